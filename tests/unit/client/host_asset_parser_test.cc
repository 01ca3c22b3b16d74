#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "fixtures.h"
#include "qx/client/errors.h"
#include "qx/client/parsers.h"

namespace qx {
namespace {

using ::testing::HasSubstr;

using testing::Fixture;

struct Page {
  QpsPageInfo info;
  std::vector<HostAsset> assets;
};

Page Parse(const std::string& body) {
  Page page;
  std::istringstream in(body);
  page.info = ParseHostAssetPage(
      in, [&page](HostAsset&& a) { page.assets.push_back(std::move(a)); });
  return page;
}

std::string ParseErrorOf(const std::string& body) {
  try {
    Parse(body);
  } catch (const ParseError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ParseError for: " << body.substr(0, 200);
  return {};
}

// A minimal page around one HostAsset body.
std::string Page1(const std::string& asset_body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<ServiceResponse><responseCode>SUCCESS</responseCode>"
         "<count>1</count><data><HostAsset>" +
         asset_body + "</HostAsset></data></ServiceResponse>";
}

TEST(HostAssetParser, VnetSampleAndOddButValidContent) {
  Page page = Parse(Fixture("hostasset_vnet.xml"));
  EXPECT_EQ(page.info.response_code, "SUCCESS");
  EXPECT_EQ(page.info.error_message, "");
  EXPECT_EQ(page.info.count, 4u);
  EXPECT_TRUE(page.info.has_more_records);
  EXPECT_EQ(page.info.last_id, 5000000001u);
  ASSERT_EQ(page.assets.size(), 4u);

  // The release-notes VNet sample: Azure source with every network field.
  const HostAsset& a = page.assets[0];
  EXPECT_EQ(a.id, 2797037u);              // not tags/.../TagSimple/id 7001
  EXPECT_EQ(a.name, "TestNullPublicIP");  // not the Azure source's name
  EXPECT_EQ(a.modified, "2021-02-19T18:13:41Z");
  EXPECT_EQ(a.cloud_provider, CloudProvider::kAzure);
  ASSERT_TRUE(a.azure.has_value());
  EXPECT_EQ(*a.azure,
            (AzureSource{
                .subscription_id = "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
                .resource_group = "CV-VirtualMachines-RG",
                .vnet = "CV-VirtualMachines-RG-vnet",
                .subnet = "default",
                .location = "westus2",
                .state = "RUNNING",
            }));
  ASSERT_EQ(a.vulns.size(), 2u);
  EXPECT_EQ(a.vulns[0], (HostVuln{38170, 9007199254740993u}));
  EXPECT_EQ(a.vulns[1], (HostVuln{105015, 18446744073709551615u}));

  // Older tenant: no virtualNetwork; whitespace around values, CDATA,
  // UTF-8, entities, quotes and backslashes; the second Azure source and an
  // unknown element are ignored; id above 2^32.
  const HostAsset& b = page.assets[1];
  EXPECT_EQ(b.id, 4294967297u);
  EXPECT_EQ(b.name, "legacy-vm & \"quotes\" \\back\\slash");
  EXPECT_EQ(b.cloud_provider, CloudProvider::kAzure);
  ASSERT_TRUE(b.azure.has_value());
  EXPECT_EQ(b.azure->vnet, "");
  EXPECT_EQ(b.azure->subscription_id, "1c2d3e4f-0000-4000-8000-00000000zrh1");
  EXPECT_EQ(b.azure->resource_group, "Zürich-RG");
  EXPECT_EQ(b.azure->location, "switzerlandnorth");
  EXPECT_EQ(b.azure->state, "STOPPED");
  EXPECT_EQ(b.azure->subnet, "default");
  EXPECT_TRUE(b.vulns.empty());

  // EC2 listed first, then Azure: Azure wins.
  const HostAsset& c = page.assets[2];
  EXPECT_EQ(c.name, "東京-web-01");
  EXPECT_EQ(c.cloud_provider, CloudProvider::kAzure);
  ASSERT_TRUE(c.azure.has_value());
  EXPECT_EQ(c.azure->subscription_id, "azure-wins");

  // Plain AssetSource, then GCP, then EC2: the first known cloud source.
  const HostAsset& d = page.assets[3];
  EXPECT_EQ(d.cloud_provider, CloudProvider::kGcp);
  EXPECT_FALSE(d.azure.has_value());
  ASSERT_EQ(d.vulns.size(), 1u);
  EXPECT_EQ(d.vulns[0], (HostVuln{90001, 12}));
}

TEST(HostAssetParser, EmptyPageSince32KeepsPaginating) {
  Page page = Parse(Fixture("hostasset_page_empty.xml"));
  EXPECT_EQ(page.info.response_code, "SUCCESS");
  EXPECT_EQ(page.info.count, 0u);
  EXPECT_TRUE(page.info.has_more_records);
  EXPECT_EQ(page.info.last_id, 5693290u);
  EXPECT_TRUE(page.assets.empty());
}

TEST(HostAssetParser, PlainAssetSourceAndAbsentPaging) {
  Page page = Parse(Fixture("hostasset_plain.xml"));
  EXPECT_FALSE(page.info.has_more_records);
  EXPECT_FALSE(page.info.last_id.has_value());
  ASSERT_EQ(page.assets.size(), 1u);
  EXPECT_EQ(page.assets[0].id, 5688949u);
  EXPECT_EQ(page.assets[0].cloud_provider, CloudProvider::kNone);
  EXPECT_FALSE(page.assets[0].azure.has_value());
}

TEST(HostAssetParser, ErrorResponseIsReportedNotThrown) {
  Page page = Parse(Fixture("qps_error.xml"));
  EXPECT_EQ(page.info.response_code, "INVALID_REQUEST");
  EXPECT_THAT(page.info.error_message, HasSubstr("Invalid Request"));
  EXPECT_THAT(page.info.error_message,
              HasSubstr("There were no results corresponding"));
  EXPECT_FALSE(page.info.has_more_records);
  EXPECT_TRUE(page.assets.empty());

  // Records after a non-SUCCESS responseCode are not emitted.
  Page odd = Parse(
      "<ServiceResponse><responseCode>UNAUTHORIZED</responseCode>"
      "<data><HostAsset><id>1</id></HostAsset></data></ServiceResponse>");
  EXPECT_EQ(odd.info.response_code, "UNAUTHORIZED");
  EXPECT_TRUE(odd.assets.empty());
}

TEST(HostAssetParser, WhitespaceAroundNumbersAndBooleans) {
  Page page = Parse(
      "<ServiceResponse>\n <responseCode>\n SUCCESS\n </responseCode>\n"
      " <count> 1 </count><hasMoreRecords>\n\ttrue\r\n</hasMoreRecords>"
      "<lastId>\n 42 \n</lastId><data><HostAsset><id>\n   42\n  </id>"
      "<vuln><list><HostAssetVuln><qid> 7 </qid><hostInstanceVulnId>"
      "\n9\n</hostInstanceVulnId></HostAssetVuln></list></vuln>"
      "</HostAsset></data></ServiceResponse>");
  EXPECT_EQ(page.info.response_code, "SUCCESS");
  EXPECT_TRUE(page.info.has_more_records);
  EXPECT_EQ(page.info.last_id, 42u);
  ASSERT_EQ(page.assets.size(), 1u);
  EXPECT_EQ(page.assets[0].id, 42u);
  EXPECT_EQ(page.assets[0].vulns, (std::vector<HostVuln>{{7, 9}}));
}

TEST(HostAssetParser, NamespacePrefixesAreIgnored) {
  Page page = Parse(
      "<ns2:ServiceResponse xmlns:ns2=\"http://am.oxm.api.portal.qualys.com/"
      "v3\"><ns2:responseCode>SUCCESS</ns2:responseCode><ns2:data>"
      "<ns2:HostAsset><ns2:id>3</ns2:id></ns2:HostAsset></ns2:data>"
      "</ns2:ServiceResponse>");
  ASSERT_EQ(page.assets.size(), 1u);
  EXPECT_EQ(page.assets[0].id, 3u);
  page = Parse(
      "<ServiceResponse xmlns=\"urn:x\"><data><HostAsset><id>4</id>"
      "</HostAsset></data></ServiceResponse>");
  ASSERT_EQ(page.assets.size(), 1u);
  EXPECT_EQ(page.assets[0].id, 4u);
}

TEST(HostAssetParser, InvalidNumbersNameTheElement) {
  std::string err = ParseErrorOf(Page1("<id>12a</id>"));
  EXPECT_THAT(err, HasSubstr("hostasset response"));
  EXPECT_THAT(err, HasSubstr("ServiceResponse/data/HostAsset/id"));
  EXPECT_THAT(err, HasSubstr("\"12a\""));
  EXPECT_THAT(err, HasSubstr("line 2"));
  EXPECT_THAT(ParseErrorOf(Page1("<id>-1</id>")), HasSubstr("HostAsset/id"));
  EXPECT_THAT(ParseErrorOf(Page1("<id>18446744073709551616</id>")),
              HasSubstr("HostAsset/id"));
  EXPECT_THAT(
      ParseErrorOf(Page1("<id>1</id><vuln><list><HostAssetVuln><qid>1</qid>"
                         "<hostInstanceVulnId>x</hostInstanceVulnId>"
                         "</HostAssetVuln></list></vuln>")),
      HasSubstr("HostAssetVuln/hostInstanceVulnId"));
  EXPECT_THAT(ParseErrorOf("<ServiceResponse><hasMoreRecords>maybe"
                           "</hasMoreRecords></ServiceResponse>"),
              HasSubstr("ServiceResponse/hasMoreRecords"));
  EXPECT_THAT(ParseErrorOf(Page1("<name>no id</name>")),
              HasSubstr("without <id>"));
}

TEST(HostAssetParser, TruncatedBodyNeverLooksComplete) {
  const std::string body = Fixture("hostasset_vnet.xml");
  const std::string end = "</ServiceResponse>";
  ASSERT_NE(body.rfind(end), std::string::npos);
  std::string err = ParseErrorOf(body.substr(0, body.rfind(end)));
  EXPECT_THAT(err, HasSubstr("truncated"));
  EXPECT_THAT(err, HasSubstr("<ServiceResponse"));
  // Cut anywhere inside the document element: always an error.
  for (std::size_t cut = body.find("<ServiceResponse") + 1;
       cut < body.rfind(end) + end.size() - 1; cut += 61) {
    SCOPED_TRACE(cut);
    EXPECT_THROW(Parse(body.substr(0, cut)), ParseError);
  }
}

TEST(HostAssetParser, NotXmlBodies) {
  EXPECT_THAT(ParseErrorOf(Fixture("html_error.html")), HasSubstr("HTML page"));
  EXPECT_THAT(ParseErrorOf(Fixture("html_error_legacy.html")),
              HasSubstr("HTML page"));
  EXPECT_THAT(ParseErrorOf("Service Unavailable"), HasSubstr("not XML"));
  EXPECT_THAT(ParseErrorOf("{\"error\": \"json\"}"), HasSubstr("not XML"));
  EXPECT_THAT(ParseErrorOf(""), HasSubstr("no XML element"));
  EXPECT_THAT(ParseErrorOf("  \n"), HasSubstr("no XML element"));
  EXPECT_THAT(ParseErrorOf(Fixture("simple_return_error.xml")),
              HasSubstr("unexpected document element <SIMPLE_RETURN>"));
  EXPECT_THAT(ParseErrorOf("<ServiceResponse></ServiceResponse>junk"),
              HasSubstr("after the document element"));
}

// Yields a page of `n` host assets chunk by chunk and records how many
// bytes had been handed out when the first record arrived.
class GeneratedPage : public std::streambuf {
 public:
  explicit GeneratedPage(int n) : n_(n) {}
  std::size_t produced() const { return produced_; }

 protected:
  int_type underflow() override {
    if (i_ > n_ + 1) return traits_type::eof();
    if (i_ == 0) {
      chunk_ = "<ServiceResponse><responseCode>SUCCESS</responseCode><data>";
    } else if (i_ <= n_) {
      chunk_ = "<HostAsset><id>" + std::to_string(i_) +
               "</id><name>host</name><vuln><list><HostAssetVuln><qid>1"
               "</qid></HostAssetVuln></list></vuln></HostAsset>\n";
    } else {
      chunk_ = "</data></ServiceResponse>";
    }
    ++i_;
    produced_ += chunk_.size();
    setg(chunk_.data(), chunk_.data(), chunk_.data() + chunk_.size());
    return traits_type::to_int_type(chunk_[0]);
  }

 private:
  int n_;
  int i_ = 0;
  std::string chunk_;
  std::size_t produced_ = 0;
};

TEST(HostAssetParser, StreamsRecordsBeforeTheBodyEnds) {
  GeneratedPage gen(5000);
  std::istream in(&gen);
  std::size_t records = 0;
  std::size_t produced_at_first = 0;
  ParseHostAssetPage(in, [&](HostAsset&& a) {
    if (records++ == 0) produced_at_first = gen.produced();
    EXPECT_EQ(a.id, records);
  });
  EXPECT_EQ(records, 5000u);
  EXPECT_LT(produced_at_first, gen.produced() / 10);
}

}  // namespace
}  // namespace qx
