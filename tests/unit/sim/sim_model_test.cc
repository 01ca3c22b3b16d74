// Unit tests of the simulator's building blocks: writers, time format,
// request parsing, pagination plan, generators and the KnowledgeBase.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "qx/sim/dataset.h"
#include "qx/sim/host_assets.h"
#include "qx/sim/json_writer.h"
#include "qx/sim/knowledge_base.h"
#include "qx/sim/pagination.h"
#include "qx/sim/service_request.h"
#include "qx/sim/time_util.h"
#include "qx/sim/was_findings.h"
#include "qx/sim/xml_writer.h"

namespace qx::sim {
namespace {

constexpr Seconds kBase = UtcSeconds(2024, 6, 3, 6, 0, 0);

// Epoch moments T(0..epoch) of a fixed clock.
std::vector<Seconds> Times(int epoch) {
  std::vector<Seconds> t;
  for (int e = 0; e <= epoch; ++e) t.push_back(kBase + e * kDay);
  return t;
}

TEST(SimXmlWriterTest, EscapesTextAndAttributes) {
  std::string out;
  XmlWriter w(&out, /*indent=*/false);
  w.Open("a", {{"k", "x\"<&>\n"}});
  w.Text("b", "R&D <lab> \"q\" 'a' \\ Zürich");
  w.Close();
  EXPECT_EQ(
      out,
      "<a k=\"x&quot;&lt;&amp;&gt;&#10;\"><b>R&amp;D &lt;lab&gt; &quot;q&quot; "
      "'a' \\ Zürich</b></a>");
}

TEST(SimXmlWriterTest, CdataSplitsTerminatorAndDropsForbiddenChars) {
  std::string out;
  AppendCdata(out, std::string("a]]>b\x01") + "c");
  EXPECT_EQ(out, "<![CDATA[a]]]]><![CDATA[>bc]]>");
}

TEST(SimXmlWriterTest, IndentsNestedElements) {
  std::string out;
  XmlWriter w(&out);
  {
    XmlElement a(w, "a");
    w.Number("n", 18446744073709551615ULL);
  }
  EXPECT_EQ(out, "<a>\n  <n>18446744073709551615</n>\n</a>");
}

TEST(SimJsonWriterTest, EscapesStrings) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Field("k\"", "a\\b\n\x01");
  j.Key("list");
  j.BeginArray();
  j.Uint(1);
  j.Int(-2);
  j.EndArray();
  j.EndObject();
  EXPECT_EQ(out, "{\"k\\\"\":\"a\\\\b\\n\\u0001\",\"list\":[1,-2]}");
}

TEST(SimTimeTest, FormatsAndParsesIso) {
  EXPECT_EQ(FormatIso(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIso(UtcSeconds(2021, 2, 19, 18, 13, 41)),
            "2021-02-19T18:13:41Z");
  EXPECT_EQ(FormatIso(UtcSeconds(2024, 2, 29, 23, 59, 59)),
            "2024-02-29T23:59:59Z");
  EXPECT_EQ(ParseIso("2021-02-19T18:13:41Z"),
            UtcSeconds(2021, 2, 19, 18, 13, 41));
  EXPECT_EQ(ParseIso("2021-02-19T18:13:41.123Z"),
            UtcSeconds(2021, 2, 19, 18, 13, 41));
  EXPECT_FALSE(ParseIso("2021-02-19 18:13:41Z"));
  EXPECT_FALSE(ParseIso("2021-13-19T18:13:41Z"));
  EXPECT_FALSE(ParseIso("yesterday"));
}

TEST(SimServiceRequestTest, ParsesPreferencesAndCriteria) {
  auto parsed = ParseServiceRequest(
      "<ServiceRequest><preferences><limitResults> 25 </limitResults>"
      "<verbose>true</verbose><limitHistories>3</limitHistories>"
      "</preferences><filters><Criteria field=\"id\" operator=\"GREATER\">"
      "\n 42 \n</Criteria></filters>"
      "<Criteria field=\"updated\" operator=\"GREATER\">"
      "2024-01-01T00:00:00Z</Criteria></ServiceRequest>");
  ASSERT_TRUE(std::holds_alternative<ServiceRequest>(parsed));
  const auto& req = std::get<ServiceRequest>(parsed);
  EXPECT_EQ(req.limit_results, 25u);
  EXPECT_TRUE(req.verbose);
  EXPECT_EQ(req.limit_histories, 3u);
  ASSERT_EQ(req.criteria.size(), 2u);
  EXPECT_EQ(req.criteria[0].field, "id");
  EXPECT_EQ(req.criteria[0].value, "42");
  EXPECT_EQ(req.criteria[1].field, "updated");
}

TEST(SimServiceRequestTest, RejectsMalformedBodies) {
  EXPECT_TRUE(std::holds_alternative<std::string>(
      ParseServiceRequest("<ServiceRequest><preferences>")));
  EXPECT_TRUE(
      std::holds_alternative<std::string>(ParseServiceRequest("<Other/>")));
  EXPECT_TRUE(std::holds_alternative<std::string>(ParseServiceRequest(
      "<ServiceRequest><preferences><limitResults>x</limitResults>"
      "</preferences></ServiceRequest>")));
  EXPECT_TRUE(std::holds_alternative<ServiceRequest>(ParseServiceRequest("")));
}

TEST(SimServiceRequestTest, DoesNotExpandExternalEntities) {
  auto parsed = ParseServiceRequest(
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
      "\"file:///etc/passwd\">]><ServiceRequest><filters>"
      "<Criteria field=\"name\" operator=\"EQUALS\">&x;</Criteria>"
      "</filters></ServiceRequest>");
  if (std::holds_alternative<ServiceRequest>(parsed)) {
    const auto& req = std::get<ServiceRequest>(parsed);
    ASSERT_EQ(req.criteria.size(), 1u);
    EXPECT_EQ(req.criteria[0].value.find("root:"), std::string::npos);
  }
}

constexpr FieldSpec kFields[] = {{"id", FieldType::kId},
                                 {"updated", FieldType::kDate},
                                 {"name", FieldType::kText}};

TEST(SimQueryTest, CompilesIdBoundsAndPredicates) {
  const std::vector<Criterion> criteria = {
      {"id", "GREATER", "100"},
      {"id", "LESSER", "500"},
      {"updated", "GREATER", "2024-01-01T00:00:00Z"},
      {"name", "CONTAINS", "web"}};
  auto compiled = Query::Compile(criteria, kFields);
  ASSERT_TRUE(std::holds_alternative<Query>(compiled));
  const Query& q = std::get<Query>(compiled);
  EXPECT_EQ(q.min_id(), 101u);
  EXPECT_EQ(q.max_id(), 499u);
  EXPECT_EQ(q.after_id(), 100u);
  const Seconds t = UtcSeconds(2024, 1, 1);
  auto get = [&](Seconds updated, std::string_view name) {
    return [=](std::size_t field) {
      FieldValue v;
      if (field == 1) v.date = updated;
      if (field == 2) v.text = name;
      return v;
    };
  };
  EXPECT_TRUE(q.Matches(get(t + 1, "vm-web-01")));
  EXPECT_FALSE(q.Matches(get(t, "vm-web-01")));
  EXPECT_FALSE(q.Matches(get(t + 1, "vm-sql-01")));
}

TEST(SimQueryTest, ReportsUnknownFieldsOperatorsAndValues) {
  auto unknown = Query::Compile(
      std::vector<Criterion>{{"trackingMethod", "EQUALS", "QAGENT"}}, kFields);
  ASSERT_TRUE(std::holds_alternative<std::string>(unknown));
  EXPECT_NE(std::get<std::string>(unknown).find("trackingMethod"),
            std::string::npos);
  EXPECT_TRUE(std::holds_alternative<std::string>(Query::Compile(
      std::vector<Criterion>{{"updated", "CONTAINS", "x"}}, kFields)));
  EXPECT_TRUE(std::holds_alternative<std::string>(Query::Compile(
      std::vector<Criterion>{{"updated", "GREATER", "2024-01-01"}}, kFields)));
  EXPECT_TRUE(std::holds_alternative<std::string>(Query::Compile(
      std::vector<Criterion>{{"id", "GREATER", "-1"}}, kFields)));
}

TEST(SimPaginationTest, WindowsAndForcedEmptyPages) {
  auto id_of = [](std::uint64_t pos) { return 1000 + pos * 10; };
  // Page 0: records 0..9.
  PagePlan p = PlanPage(0, 25, 10, 3, std::nullopt, id_of);
  EXPECT_FALSE(p.forced_empty);
  EXPECT_EQ(p.window_begin, 0u);
  EXPECT_EQ(p.window_end, 10u);
  EXPECT_TRUE(p.has_more);
  EXPECT_EQ(p.last_id, 1090u);
  // Page 2 (third page) is the forced empty one; its lastId sits in the gap.
  p = PlanPage(20, 25, 10, 3, 1190u, id_of);
  EXPECT_TRUE(p.forced_empty);
  EXPECT_TRUE(p.has_more);
  EXPECT_EQ(p.last_id, 1199u);
  // Continuing from the gap id serves the records.
  p = PlanPage(20, 25, 10, 3, 1199u, id_of);
  EXPECT_FALSE(p.forced_empty);
  EXPECT_EQ(p.window_end, 25u);
  EXPECT_FALSE(p.has_more);
  EXPECT_EQ(p.last_id, 1240u);
  // Nothing left.
  p = PlanPage(25, 25, 10, 3, 1240u, id_of);
  EXPECT_FALSE(p.has_more);
  EXPECT_FALSE(p.last_id);
}

TEST(SimPaginationTest, DensePagesHoldLimitMatchesAndEndAtTheLastMatch) {
  auto id_of = [](std::uint64_t pos) { return 1000 + pos * 10; };
  // Every 7th record matches: 0, 7, 14, 21, 28 of 30.
  auto match = [](std::uint64_t pos) { return pos % 7 == 0; };
  PagePlan p = PlanDensePage(0, 30, 2, 0, std::nullopt, id_of, match);
  EXPECT_EQ(p.window_begin, 0u);
  EXPECT_EQ(p.window_end, 8u);  // holds 0 and 7
  EXPECT_TRUE(p.has_more);
  EXPECT_EQ(p.last_id, 1070u);
  p = PlanDensePage(8, 30, 2, 0, 1070u, id_of, match);
  EXPECT_EQ(p.window_end, 22u);  // 14 and 21
  EXPECT_TRUE(p.has_more);
  // The last page: 28 only; nothing matches after it, so no more records.
  p = PlanDensePage(22, 30, 2, 0, 1210u, id_of, match);
  EXPECT_EQ(p.window_end, 30u);
  EXPECT_FALSE(p.has_more);
  // A page that ends exactly on the last match says there is no more.
  p = PlanDensePage(22, 29, 1, 0, 1210u, id_of, match);
  EXPECT_EQ(p.window_end, 29u);
  EXPECT_FALSE(p.has_more);
  EXPECT_EQ(p.last_id, 1280u);
  // Forced empty pages still happen (every 2nd page here).
  p = PlanDensePage(5, 30, 5, 2, 1040u, id_of, match);
  EXPECT_TRUE(p.forced_empty);
  EXPECT_TRUE(p.has_more);
}

TEST(SimKnowledgeBaseTest, SortedAndUnknownQidsAbsent) {
  const auto entries = KnowledgeBaseEntries();
  ASSERT_GT(entries.size(), 50u);
  for (std::size_t i = 1; i < entries.size(); ++i) {
    EXPECT_LT(entries[i - 1].qid, entries[i].qid);
  }
  std::set<int> severities;
  std::size_t unknown = 0;
  for (std::uint64_t qid : HostQidPool()) {
    if (IsUnknownHostQid(qid)) {
      ++unknown;
      EXPECT_EQ(FindKbEntry(qid), nullptr);
    } else {
      ASSERT_NE(FindKbEntry(qid), nullptr) << qid;
      severities.insert(FindKbEntry(qid)->severity);
    }
  }
  EXPECT_GE(HostQidPool().size(), 50u);
  EXPECT_EQ(unknown, 3u);
  EXPECT_EQ(severities, (std::set<int>{1, 2, 3, 4, 5}));
  for (const WasQidInfo& q : WasQids()) {
    EXPECT_NE(FindKbEntry(q.qid), nullptr) << q.qid;
  }
}

TEST(SimHostAssetsTest, DeterministicAndIdsIncreasing) {
  const HostAssetGenerator a(7, 2000, kBase);
  const HostAssetGenerator b(7, 2000, kBase);
  const HostAssetGenerator c(8, 2000, kBase);
  bool differs = false;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    if (i > 0) {
      EXPECT_GE(a.IdOf(i), a.IdOf(i - 1) + 5);
    }
    const HostAssetRec x = a.Generate(i, Times(3));
    const HostAssetRec y = b.Generate(i, Times(3));
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.modified, y.modified);
    ASSERT_EQ(x.vulns.size(), y.vulns.size());
    differs = differs || c.Generate(i, Times(3)).name != x.name ||
              c.Generate(i, Times(3)).cloud != x.cloud;
    EXPECT_LE(x.vulns.size(), 8u);
    EXPECT_EQ(a.LowerBound(x.id), i);
    EXPECT_EQ(a.LowerBound(x.id + 1), i + 1);
  }
  EXPECT_TRUE(differs);
  EXPECT_GT(a.IdOf(1999), 1ULL << 32);
  EXPECT_LT(a.IdOf(0), 1ULL << 32);
}

TEST(SimHostAssetsTest, RealisticMixAndTopology) {
  const HostAssetGenerator gen(1, 5000, kBase);
  const AzureTopology& t = gen.azure();
  EXPECT_GE(t.subscriptions.size(), 2u);
  EXPECT_LE(t.subscriptions.size(), 3u);
  std::size_t vnets_with_default = 0;
  for (const AzureVnet& v : t.vnets) {
    vnets_with_default +=
        std::count(v.subnets.begin(), v.subnets.end(), std::string("default"));
  }
  EXPECT_GE(vnets_with_default, 2u) << "subnet names repeat across VNets";
  std::size_t counts[4] = {};
  std::size_t no_vnet = 0;
  std::size_t huge_ids = 0;
  std::set<std::string> states;
  for (std::uint64_t i = 0; i < gen.size(); ++i) {
    const HostAssetRec h = gen.Generate(i, Times(0));
    ++counts[static_cast<int>(h.cloud)];
    if (h.cloud == Cloud::kAzure) {
      no_vnet += h.has_vnet_element ? 0 : 1;
      states.insert(std::string(gen.StateOf(h)));
    }
    for (const HostVulnRec& v : h.vulns) {
      EXPECT_GT(v.host_instance_vuln_id, 1ULL << 32);
      huge_ids += v.host_instance_vuln_id > (1ULL << 53) ? 1 : 0;
      EXPECT_LE(v.first_found, v.last_found);
    }
  }
  const double n = static_cast<double>(gen.size());
  EXPECT_NEAR(static_cast<double>(counts[static_cast<int>(Cloud::kAzure)]) / n,
              0.60, 0.05);
  EXPECT_NEAR(static_cast<double>(counts[static_cast<int>(Cloud::kAws)]) / n,
              0.15, 0.04);
  EXPECT_NEAR(static_cast<double>(counts[static_cast<int>(Cloud::kGcp)]) / n,
              0.10, 0.04);
  EXPECT_GT(no_vnet, 0u);
  EXPECT_GT(huge_ids, 0u);
  EXPECT_EQ(states,
            (std::set<std::string>{"DEALLOCATED", "RUNNING", "STOPPED"}));
}

TEST(SimHostAssetsTest, ChangesMoveModifiedIntoTheEpoch) {
  const HostAssetGenerator gen(3, 3000, kBase);
  std::size_t changed = 0;
  for (std::uint64_t i = 0; i < gen.size(); ++i) {
    const HostAssetRec before = gen.Generate(i, Times(0));
    const HostAssetRec after = gen.Generate(i, Times(1));
    EXPECT_LE(before.modified, kBase);
    if (after.modified != before.modified) {
      ++changed;
      // Stamped just after the moment of the epoch, never before it.
      EXPECT_GT(after.modified, kBase + kDay);
      EXPECT_LE(after.modified, kBase + kDay + kStampSpread);
    }
  }
  EXPECT_GT(changed, 60u);
  EXPECT_LT(changed, 400u);
}

TEST(SimHostAssetsTest, MixKnobsShapeTheEstate) {
  HostMix mix;
  mix.cloud_weights = {1, 0, 0, 0};
  mix.vulns_per_host = 5;
  mix.change_percent = 1;
  // Hosts that were never scanned carry no detections.
  mix.no_vm_host_percent = 0;
  mix.unscanned_percent = 0;
  const HostAssetGenerator gen(3, 20000, kBase, mix);
  std::size_t changed = 0;
  for (std::uint64_t i = 0; i < gen.size(); ++i) {
    const HostAssetRec before = gen.Generate(i, Times(0));
    ASSERT_EQ(before.cloud, Cloud::kAzure);
    ASSERT_EQ(before.vulns.size(), 5u);
    changed += gen.Generate(i, Times(1)).modified != before.modified ? 1 : 0;
  }
  EXPECT_GT(changed, 150u);  // 1 % of 20000 is 200
  EXPECT_LT(changed, 250u);
}

TEST(SimWasTest, InitialShapeAndEvolution) {
  WasDataset was(1, 6, 40, kBase);
  ASSERT_EQ(was.findings().size(), 240u);
  std::size_t keyword = 0;
  std::size_t duplicate_history = 0;
  for (std::size_t i = 0; i < was.findings().size(); ++i) {
    const WasFindingRec& f = was.findings()[i];
    if (i > 0) {
      EXPECT_GE(f.id, was.findings()[i - 1].id + 2);
    }
    EXPECT_GE(f.history.size(), 1u);
    EXPECT_LE(f.history.size(), 6u);
    if (f.qid == kKeywordQid) ++keyword;
    if (f.history.size() == 2 && was.DistinctScans(f) == 1) {
      ++duplicate_history;
      EXPECT_EQ(f.status, "ACTIVE");
    }
    if (f.type == FindingType::kInformationGathered) {
      EXPECT_TRUE(f.status.empty());
    } else {
      EXPECT_FALSE(f.status.empty());
    }
  }
  EXPECT_EQ(keyword, 6u);
  EXPECT_EQ(duplicate_history, 6u);

  const std::vector<WasFindingRec> before = was.findings();
  was.Advance(1, kBase + kDay);
  std::size_t fixed = 0, reopened = 0, grown = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    const WasFindingRec& a = before[i];
    const WasFindingRec& b = was.findings()[i];
    ASSERT_EQ(a.id, b.id);
    if (a.status != "FIXED" && b.status == "FIXED") ++fixed;
    if (a.status == "FIXED" && b.status == "REOPENED") ++reopened;
    if (b.history.size() > a.history.size()) {
      ++grown;
      EXPECT_GT(b.updated, a.updated);
      EXPECT_GT(b.last_tested, a.last_tested);
    }
  }
  EXPECT_GT(fixed, 0u);
  EXPECT_GT(grown, 0u);
  EXPECT_GE(was.findings().size(), before.size());
  // Over a few epochs some fixed finding reopens.
  for (int e = 2; e <= 4; ++e) was.Advance(e, kBase + e * kDay);
  for (const WasFindingRec& f : was.findings()) {
    reopened += f.status == "REOPENED" ? 1 : 0;
  }
  EXPECT_GT(reopened, 0u);
}

TEST(SimDatasetTest, ExpectedJsonIsDeterministic) {
  const Dataset a(11, 300, 3, 10, kBase);
  const Dataset b(11, 300, 3, 10, kBase);
  EXPECT_EQ(a.ExpectedJson(2), b.ExpectedJson(2));
  EXPECT_NE(a.ExpectedJson(2), a.ExpectedJson(5));
  EXPECT_NE(a.ExpectedJson(2).find("\"host_assets\":{"), std::string::npos);
  EXPECT_NE(a.ExpectedJson(2).find("\"severity\":\"unknown\""),
            std::string::npos);
}

TEST(SimDatasetTest, WallClockEpochsStampChangesAfterTheAdvance) {
  Dataset d(5, 400, 2, 10);  // wall clock
  const std::vector<Seconds> t0 = d.EpochTimes();
  ASSERT_EQ(t0.size(), 1u);
  d.Advance();
  d.Advance();  // immediately again: the clock still moves forward
  const std::vector<Seconds> t = d.EpochTimes();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_GT(t[1], t[0]);
  EXPECT_GT(t[2], t[1] + kStampSpread);
  EXPECT_GE(d.now(), t[2]);
  std::size_t changed = 0;
  for (std::uint64_t i = 0; i < d.hosts().size(); ++i) {
    const HostAssetRec h = d.hosts().Generate(i, t);
    if (h.modified > t[0]) {
      ++changed;
      EXPECT_TRUE((h.modified > t[1] && h.modified <= t[1] + kStampSpread) ||
                  (h.modified > t[2] && h.modified <= t[2] + kStampSpread));
    }
  }
  EXPECT_GT(changed, 0u);
  d.WithWas([&](const WasDataset& was) {
    for (const WasFindingRec& f : was.findings()) {
      EXPECT_TRUE(f.updated < t[0] || f.updated > t[1]) << f.id;
    }
    return 0;
  });
}

}  // namespace
}  // namespace qx::sim
