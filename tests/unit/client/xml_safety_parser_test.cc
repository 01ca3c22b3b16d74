// Hostile or broken XML: entity expansion, external entities, nesting and
// text size limits. Every parser shares the same SAX driver; the host asset
// parser stands in for all of them, the others are spot-checked.
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

#include "qx/client/errors.h"
#include "qx/client/parsers.h"

namespace qx {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<HostAsset> ParseAssets(const std::string& body) {
  std::vector<HostAsset> out;
  std::istringstream in(body);
  ParseHostAssetPage(in, [&out](HostAsset&& a) { out.push_back(a); });
  return out;
}

std::string ParseErrorOf(const std::string& body) {
  try {
    ParseAssets(body);
  } catch (const ParseError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ParseError";
  return {};
}

// The classic "billion laughs": 10^9 "lol"s from a 1 KB document.
std::string BillionLaughs(const std::string& root, const std::string& body) {
  std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE " + root +
                    " [\n<!ENTITY lol0 \"lol\">\n";
  for (int i = 1; i <= 9; ++i) {
    doc += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int j = 0; j < 10; ++j) doc += "&lol" + std::to_string(i - 1) + ";";
    doc += "\">\n";
  }
  return doc + "]>\n" + body;
}

std::string Asset(const std::string& name_xml) {
  return "<ServiceResponse><responseCode>SUCCESS</responseCode><data>"
         "<HostAsset><id>1</id><name>" +
         name_xml + "</name></HostAsset></data></ServiceResponse>";
}

TEST(XmlSafety, BillionLaughsFailsFast) {
  auto start = std::chrono::steady_clock::now();
  std::string err =
      ParseErrorOf(BillionLaughs("ServiceResponse", Asset("&lol9;")));
  EXPECT_THAT(err, HasSubstr("entity"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));

  start = std::chrono::steady_clock::now();
  std::istringstream kb(BillionLaughs(
      "KNOWLEDGE_BASE_VULN_LIST_OUTPUT",
      "<KNOWLEDGE_BASE_VULN_LIST_OUTPUT><RESPONSE><VULN_LIST><VULN><QID>1"
      "</QID><TITLE>&lol9;</TITLE></VULN></VULN_LIST></RESPONSE>"
      "</KNOWLEDGE_BASE_VULN_LIST_OUTPUT>"));
  EXPECT_THROW(ParseKnowledgeBase(kb, [](KnowledgeBaseEntry&&) {}), ParseError);
  EXPECT_FALSE(ParseSimpleReturn(
      BillionLaughs("SIMPLE_RETURN",
                    "<SIMPLE_RETURN><RESPONSE><TEXT>&lol9;</TEXT></RESPONSE>"
                    "</SIMPLE_RETURN>")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

// The parsers reject entity declarations themselves; expat's amplification
// limit (libexpat >= 2.4, used by Debian's Poco) is the second line. This
// checks that the second line exists in the library we link.
TEST(XmlSafety, LinkedExpatLimitsAmplification) {
  Poco::XML::SAXParser parser;
  std::istringstream in(BillionLaughs("r", "<r>&lol9;</r>"));
  Poco::XML::InputSource source(in);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(parser.parse(&source), Poco::XML::SAXParseException);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(XmlSafety, ExternalEntitiesAreNeverRead) {
  const std::string decl =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE ServiceResponse [\n"
      "<!ENTITY x SYSTEM \"file:///etc/passwd\">\n]>\n";
  // Referenced: the parse fails and nothing from the file shows up.
  std::vector<HostAsset> seen;
  try {
    std::istringstream in(decl + Asset("&x;"));
    ParseHostAssetPage(in, [&seen](HostAsset&& a) { seen.push_back(a); });
    ADD_FAILURE() << "no ParseError";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("entity"));
    EXPECT_THAT(e.what(), Not(HasSubstr("root:")));
  }
  for (const HostAsset& a : seen) EXPECT_THAT(a.name, Not(HasSubstr("root:")));

  // Declared only: still refused.
  EXPECT_THAT(ParseErrorOf(decl + Asset("plain")), HasSubstr("entity"));
  // Parameter entity pulling in an external DTD fragment.
  EXPECT_THROW(
      ParseAssets("<?xml version=\"1.0\"?>\n<!DOCTYPE ServiceResponse "
                  "[<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>" +
                  Asset("x")),
      ParseError);
}

TEST(XmlSafety, ExternalDtdIsIgnored) {
  // An unreachable DTD: fetching it would fail or hang.
  auto assets = ParseAssets(
      "<?xml version=\"1.0\"?>\n<!DOCTYPE ServiceResponse SYSTEM "
      "\"http://127.0.0.1:1/never-fetched.dtd\">\n" +
      Asset("a &amp; b &#x6771;&#20140;"));
  ASSERT_EQ(assets.size(), 1u);
  EXPECT_EQ(assets[0].name, "a & b 東京");
}

std::string Nested(int depth) {
  std::string open, close;
  for (int i = 0; i < depth; ++i) {
    open += "<n>";
    close += "</n>";
  }
  return "<ServiceResponse><data><HostAsset><id>1</id>" + open + close +
         "</HostAsset></data></ServiceResponse>";
}

TEST(XmlSafety, NestingDepthIsLimited) {
  EXPECT_EQ(ParseAssets(Nested(200)).size(), 1u);
  std::string err = ParseErrorOf(Nested(300));
  EXPECT_THAT(err, HasSubstr("nested deeper than 256"));
  EXPECT_THAT(ParseErrorOf(Nested(100000)), HasSubstr("nested deeper"));
}

TEST(XmlSafety, TextSizeIsLimited) {
  const std::string big((16u << 20) + 1, 'a');
  std::string err = ParseErrorOf(Asset(big));
  EXPECT_THAT(err, HasSubstr("ServiceResponse/data/HostAsset/name"));
  EXPECT_THAT(err, HasSubstr("16 MiB"));
  // Text that is not collected is not limited (and not held).
  auto assets =
      ParseAssets("<ServiceResponse><data><HostAsset><id>1</id><blob>" + big +
                  "</blob></HostAsset></data></ServiceResponse>");
  EXPECT_EQ(assets.size(), 1u);
}

// Hands out `data`, then fails like a connection reset.
class FailingStream : public std::streambuf {
 public:
  explicit FailingStream(std::string data) : data_(std::move(data)) {
    setg(data_.data(), data_.data(), data_.data() + data_.size());
  }

 protected:
  int_type underflow() override { throw std::runtime_error("reset"); }

 private:
  std::string data_;
};

TEST(XmlSafety, ReadFailureIsReported) {
  FailingStream buf("<ServiceResponse><data><HostAsset><id>1</id>");
  std::istream in(&buf);
  try {
    ParseHostAssetPage(in, [](HostAsset&&) {});
    ADD_FAILURE() << "no ParseError";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("reading the body failed"));
  }
}

}  // namespace
}  // namespace qx
