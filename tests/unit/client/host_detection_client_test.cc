// The data-side building blocks end to end against qualys-sim: host
// detection walks (full, vm_processed_after with kReplace,
// detection_updated_since with kUpsert) stored in HostDetectionStore and
// joined to HostAssetStore by qwebHostId, scan coverage from the host
// assets, and the WAS schedule and web app searches, each compared with the
// simulator's ground truth. Paging mechanics against a scripted transport.
#include "qx/client/host_detection_client.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>
#include <sstream>

#include "qx/client/errors.h"
#include "qx/client/qps_search.h"
#include "qx/records/timestamp.h"
#include "qx/sim/simulator.h"
#include "qx/sim/time_util.h"
#include "qx/store/host_asset_store.h"
#include "qx/store/host_detection_store.h"

namespace qx {
namespace {

using ::testing::HasSubstr;
using Rows = std::map<std::vector<std::string>, std::uint64_t>;

// {labels...} -> value of the truth rows under `key`.
Rows TruthRows(const Poco::JSON::Object::Ptr& truth, const std::string& key,
               const std::vector<std::string>& labels) {
  Rows out;
  auto rows = truth->getArray(key);
  for (std::size_t i = 0; i < rows->size(); ++i) {
    auto row = rows->getObject(static_cast<unsigned>(i));
    std::vector<std::string> k;
    for (const auto& l : labels) k.push_back(row->getValue<std::string>(l));
    // Rows without a value (was_scan_schedule_info) are present: 1.
    out[k] = row->has("value") ? row->getValue<std::uint64_t>("value") : 1;
  }
  return out;
}

Poco::JSON::Object::Ptr Truth(const sim::Simulator& s,
                              std::int64_t max_age = 30 * 86400) {
  Poco::JSON::Parser parser;
  return parser.parse(s.ExpectedJson(2, max_age))
      .extract<Poco::JSON::Object::Ptr>();
}

class SourcesVsSim : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimOptions opts;
    opts.host_assets = 400;
    opts.webapps = 5;
    opts.findings_per_webapp = 4;
    opts.seed = 5;
    opts.time_base = sim::UtcSeconds(2024, 6, 3, 6);  // reproducible clock
    sim_ = std::make_unique<sim::Simulator>(opts);
    TransportOptions t;
    t.base_url = sim_->base_url();
    RetryPolicy retry;
    retry.max_attempts = 2;
    client_ = std::make_unique<QualysClient>(
        MakePocoTransport(t), Credentials{"demo", "demo"}, retry);
  }

  HostAssetStore WalkHostAssets() {
    HostAssetStore store;
    QpsSearchRequest req;
    req.path = kHostAssetSearchPath;
    req.endpoint_label = "hostasset";
    req.limit_results = 150;
    SearchHostAssets(*client_, req,
                     [&](HostAsset&& a) { store.Upsert(std::move(a)); });
    return store;
  }

  HostDetectionProgress WalkDetections(HostDetectionStore& store,
                                       const HostDetectionRequest& req,
                                       HostDetectionStore::Merge mode) {
    return FetchHostDetections(
        *client_, req, [&](DetectionHost&& h) { store.Apply(h, mode); });
  }

  // The open detections by (cloud_provider, severity, type) and by
  // (subscription, vnet, subnet, severity, type), joined by qwebHostId.
  static std::pair<Rows, Rows> Join(const HostAssetStore& assets,
                                    const HostDetectionStore& detections) {
    Rows all;
    Rows azure;
    const auto index = assets.BuildQwebIndex();
    detections.ForEachHost(
        [&](std::uint64_t host, const HostDetectionStore::Counts& counts) {
          const auto* e = index.Find(host);
          const std::string cloud(CloudProviderLabel(
              e != nullptr ? e->cloud_provider : CloudProvider::kNone));
          for (int sev = 0; sev < 8; ++sev) {
            for (DetectionType type :
                 {DetectionType::kConfirmed, DetectionType::kPotential}) {
              const auto n = counts[HostDetectionStore::CountIndex(sev, type)];
              if (n == 0) continue;
              const std::string s = std::to_string(sev);
              const std::string t(DetectionTypeLabel(type));
              all[{cloud, s, t}] += n;
              if (e != nullptr && e->azure != HostAssetStore::kNoAzure) {
                const AzureSource& az = assets.azure_sources()[e->azure];
                azure[{az.subscription_id, az.vnet, az.subnet, s, t}] += n;
              }
            }
          }
        });
    return {all, azure};
  }

  void ExpectDetectionsMatchTruth(const HostAssetStore& assets,
                                  const HostDetectionStore& detections) {
    const auto truth = Truth(*sim_);
    const auto [all, azure] = Join(assets, detections);
    EXPECT_EQ(all, TruthRows(truth, "host_detections",
                             {"cloud_provider", "severity", "type"}));
    EXPECT_EQ(azure, TruthRows(truth, "azure_host_detections",
                               {"subscription_id", "vnet", "subnet", "severity",
                                "type"}));
  }

  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<QualysClient> client_;
};

TEST_F(SourcesVsSim, FullDetectionWalkJoinedToHostAssetsEqualsTruth) {
  const HostAssetStore assets = WalkHostAssets();
  HostDetectionStore detections;
  HostDetectionRequest req;
  req.truncation_limit = 37;
  std::uint64_t pages = 0;
  std::optional<std::uint64_t> previous;
  const auto progress = FetchHostDetections(
      *client_, req,
      [&](DetectionHost&& h) {
        if (previous) {
          EXPECT_GT(h.id, *previous);  // ascending, each once
        }
        previous = h.id;
        detections.Apply(h, HostDetectionStore::Merge::kReplace);
      },
      [&](const HostDetectionProgress& p) { pages = p.pages; });
  EXPECT_TRUE(progress.done);
  EXPECT_GT(progress.pages, 5u);
  EXPECT_EQ(pages, progress.pages);
  EXPECT_EQ(progress.first_datetime, "2024-06-03T06:00:00Z");
  ExpectDetectionsMatchTruth(assets, detections);
  // Both sides have hosts the other does not know.
  const auto truth = Truth(*sim_);
  EXPECT_GT(truth->getObject("detection_hosts")->getValue<int>("vm_only"), 0);
  const auto index = assets.BuildQwebIndex();
  std::size_t unknown = 0;
  detections.ForEachHost([&](std::uint64_t id, const auto&) {
    unknown += index.Find(id) == nullptr ? 1 : 0;
  });
  EXPECT_GT(unknown, 0u);
  EXPECT_LT(index.size(), assets.size());  // assets without a VM host
}

TEST_F(SourcesVsSim, IncrementalWalksEitherWayStayExact) {
  HostDetectionStore by_host;    // vm_processed_after, complete lists
  HostDetectionStore by_change;  // detection_updated_since, changes only
  HostDetectionRequest full;
  full.truncation_limit = 100;
  std::string cursor =
      WalkDetections(by_host, full, HostDetectionStore::Merge::kReplace)
          .first_datetime;
  WalkDetections(by_change, full, HostDetectionStore::Merge::kReplace);
  for (int epoch = 1; epoch <= 3; ++epoch) {
    sim_->Advance();
    HostDetectionRequest inc_host = full;
    inc_host.vm_processed_after = cursor;
    const auto p =
        WalkDetections(by_host, inc_host, HostDetectionStore::Merge::kReplace);
    HostDetectionRequest inc_change = full;
    inc_change.detection_updated_since = cursor;
    const auto q = WalkDetections(by_change, inc_change,
                                  HostDetectionStore::Merge::kUpsert);
    EXPECT_GT(p.hosts, 0u) << "epoch " << epoch;
    EXPECT_LT(p.hosts, 100u) << "an incremental walk is small";
    EXPECT_LE(q.detections, p.detections);
    cursor = p.first_datetime;
    const HostAssetStore assets = WalkHostAssets();
    SCOPED_TRACE("epoch " + std::to_string(epoch));
    ExpectDetectionsMatchTruth(assets, by_host);
    ExpectDetectionsMatchTruth(assets, by_change);
  }
}

TEST_F(SourcesVsSim, DetectionWalkSurvivesFaultsOnItsPages) {
  // A rate-limit answer, a gateway error and a body cut short, each on a
  // page after the first: retried, the re-read page re-delivers its hosts
  // and the replace merge makes that harmless.
  auto fail = [&](const std::string& query) {
    Poco::Net::HTTPClientSession session("127.0.0.1", sim_->port());
    Poco::Net::HTTPRequest req("POST", "/sim/fail?" + query,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentLength(0);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    session.receiveResponse(resp);
    ASSERT_EQ(resp.getStatus(), Poco::Net::HTTPResponse::HTTP_OK) << query;
  };
  fail("path=/vm/detection/&status=409&wait=0&skip=1");
  fail("path=/vm/detection/&status=503&skip=2");
  fail("path=/vm/detection/&status=truncate&skip=3");
  TransportOptions t;
  t.base_url = sim_->base_url();
  RetryPolicy retry;
  retry.max_attempts = 3;
  QualysClient client(MakePocoTransport(t), Credentials{"demo", "demo"}, retry,
                      nullptr, [](std::chrono::milliseconds) {});
  HostDetectionStore detections;
  HostDetectionRequest req;
  req.truncation_limit = 60;
  FetchHostDetections(client, req, [&](DetectionHost&& h) {
    detections.Apply(h, HostDetectionStore::Merge::kReplace);
  });
  ExpectDetectionsMatchTruth(WalkHostAssets(), detections);
}

TEST_F(SourcesVsSim, ScanCoverageFromHostAssetsEqualsTruth) {
  sim_->Advance();
  const HostAssetStore assets = WalkHostAssets();
  for (std::int64_t max_age : {30 * 86400, 120 * 86400}) {
    const auto truth = Truth(*sim_, max_age);
    const std::int64_t now = truth->getValue<std::int64_t>("now");
    std::map<std::string, std::uint64_t> unscanned{
        {"azure", 0}, {"aws", 0}, {"gcp", 0}, {"none", 0}};
    Rows azure;
    std::uint64_t never = 0;
    assets.ForEachHostCoverage([&](const HostAssetStore::Coverage& c) {
      const bool stale =
          c.last_vuln_scan == 0 || now - c.last_vuln_scan > max_age;
      never += c.last_vuln_scan == 0 ? 1 : 0;
      if (stale) ++unscanned[std::string(CloudProviderLabel(c.cloud_provider))];
      if (c.azure != HostAssetStore::kNoAzure) {
        const AzureSource& az = assets.azure_sources()[c.azure];
        azure[{az.subscription_id, az.vnet, az.subnet}] += stale ? 1 : 0;
      }
    });
    auto t = truth->getObject("host_assets_unscanned");
    for (const auto& [cloud, n] : unscanned) {
      EXPECT_EQ(n, t->getValue<std::uint64_t>(cloud))
          << cloud << " " << max_age;
    }
    EXPECT_EQ(azure, TruthRows(truth, "azure_host_assets_unscanned",
                               {"subscription_id", "vnet", "subnet"}));
    EXPECT_EQ(never, truth->getObject("host_last_vuln_scan_age")
                         ->getValue<std::uint64_t>("never"));
    EXPECT_GT(never, 0u);
    EXPECT_GT(unscanned["azure"], never / 4);
  }
}

TEST_F(SourcesVsSim, SchedulesAndWebAppTagsEqualTruth) {
  sim_->Advance();  // one schedule flips for this epoch
  std::vector<WasScanSchedule> schedules;
  QpsSearchRequest req;
  req.path = kWasScanScheduleSearchPath;
  req.endpoint_label = "was_scan_schedule";
  req.limit_results = 4;
  SearchWasScanSchedules(*client_, req, [&](WasScanSchedule&& s) {
    schedules.push_back(std::move(s));
  });
  std::vector<WebApp> apps;
  req.path = kWebAppSearchPath;
  req.endpoint_label = "was_webapp";
  SearchWebApps(*client_, req, [&](WebApp&& a) { apps.push_back(a); });
  EXPECT_EQ(
      CountRecords(*client_, kWasScanScheduleCountPath, "was_scan_schedule"),
      schedules.size());
  EXPECT_EQ(CountRecords(*client_, kWebAppCountPath, "was_webapp"),
            apps.size());

  const auto truth = Truth(*sim_);
  Rows by_kind;
  std::set<std::string> types, froms;
  for (const auto& s : schedules) {
    ++by_kind[{s.type, s.active ? "true" : "false", s.occurrence_type}];
    types.insert(s.type);
    froms.insert(s.send_mail_from);
  }
  EXPECT_EQ(by_kind, TruthRows(truth, "was_scan_schedules",
                               {"type", "active", "occurrence_type"}));
  EXPECT_EQ(types, (std::set<std::string>{"DISCOVERY", "VULNERABILITY"}));
  EXPECT_EQ(froms, (std::set<std::string>{"", "OWNER", "QUALYS_SUPPORT"}));

  Rows scheduled;
  Rows info;
  for (const WebApp& app : apps) {
    bool any = false;
    for (const auto& s : schedules) {
      any = any || (IsActiveVulnerabilitySchedule(s) &&
                    ScheduleTargetsWebApp(s, app.id, app.tag_ids));
    }
    scheduled[{std::to_string(app.id)}] = any ? 1 : 0;
  }
  EXPECT_EQ(scheduled, TruthRows(truth, "was_webapp_scheduled", {"webapp_id"}));
  std::set<std::uint64_t> values;
  for (const auto& [k, v] : scheduled) values.insert(v);
  EXPECT_EQ(values, (std::set<std::uint64_t>{0, 1}));
  for (const auto& s : schedules) {
    bool targets_any = false;
    for (const WebApp& app : apps) {
      if (!ScheduleTargetsWebApp(s, app.id, app.tag_ids)) continue;
      targets_any = true;
      info[{std::to_string(s.id), std::to_string(app.id), s.send_mail_from}] =
          1;
    }
    if (!targets_any) info[{std::to_string(s.id), "", s.send_mail_from}] = 1;
  }
  EXPECT_EQ(info, TruthRows(truth, "was_scan_schedule_info",
                            {"schedule_id", "webapp_id", "send_mail_from"}));
  // nextLaunchDate only where the API gives it.
  std::map<std::string, std::uint64_t> next;
  for (const auto& s : schedules) {
    if (!s.next_launch_date.empty()) {
      next[std::to_string(s.id)] =
          static_cast<std::uint64_t>(*ParseIsoTimestamp(s.next_launch_date));
    }
  }
  Rows next_truth =
      TruthRows(truth, "was_scan_schedule_next_launch", {"schedule_id"});
  EXPECT_EQ(next.size(), next_truth.size());
  for (const auto& [k, v] : next_truth) EXPECT_EQ(next[k[0]], v);
}

// ----------------------------------------------------- scripted transport

struct Scripted {
  int status = 200;
  std::string body;
};

class FakeTransport : public HttpTransport {
 public:
  std::deque<Scripted> script;
  std::vector<HttpRequest> requests;
  void Send(const HttpRequest& request,
            const ResponseHandler& on_response) override {
    requests.push_back(request);
    if (script.empty()) throw std::logic_error("unexpected request");
    Scripted s = script.front();
    script.pop_front();
    HttpResponseHead head;
    head.status = s.status;
    head.content_type = "text/xml";
    head.content_length = s.body.size();
    std::istringstream body(s.body);
    on_response(head, body);
  }
};

std::string Page(std::uint64_t first_id, int hosts, const std::string& url) {
  std::string b =
      "<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><DATETIME>2024-01-01T00:00:"
      "00Z</DATETIME><HOST_LIST>";
  for (int i = 0; i < hosts; ++i) {
    b += "<HOST><ID>" + std::to_string(first_id + static_cast<unsigned>(i)) +
         "</ID></HOST>";
  }
  b += "</HOST_LIST>";
  if (!url.empty()) {
    b += "<WARNING><CODE>1980</CODE><TEXT>more</TEXT><URL><![CDATA[" + url +
         "]]></URL></WARNING>";
  }
  return b + "</RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>";
}

TEST(HostDetectionClient, FormAndNextPageRequests) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* fake = t.get();
  QualysClient client(std::move(t), Credentials{"u", "p"});
  fake->script = {
      {200, Page(10, 2,
                 "https://qualysapi.qualys.com/api/2.0/fo/asset/host/vm/"
                 "detection/?action=list&truncation_limit=2&id_min=12")},
      {200, Page(12, 1, "")}};
  HostDetectionRequest req;
  req.truncation_limit = 2;
  req.vm_processed_after = "2024-01-01T00:00:00Z";
  std::vector<std::uint64_t> ids;
  int pages = 0;
  const auto p = FetchHostDetections(
      client, req, [&](DetectionHost&& h) { ids.push_back(h.id); },
      [&](const HostDetectionProgress&) { ++pages; });
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{10, 11, 12}));
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(p.last_host_id, 12u);
  ASSERT_EQ(fake->requests.size(), 2u);
  const HttpRequest& first = fake->requests[0];
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.path, "/api/2.0/fo/asset/host/vm/detection/");
  EXPECT_EQ(first.content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(first.body,
            "action=list&output_format=XML&show_results=0&show_igs=0&include_"
            "ignored=1&include_disabled=1&truncation_limit=2&vm_processed_"
            "after=2024-01-01T00%3A00%3A00Z");
  bool header = false;
  for (const auto& [k, v] : first.headers) header |= k == "X-Requested-With";
  EXPECT_TRUE(header);
  // The URL's query, completed with what the first form asked for.
  const HttpRequest& second = fake->requests[1];
  EXPECT_EQ(second.path, "/api/2.0/fo/asset/host/vm/detection/");
  EXPECT_EQ(second.body,
            "action=list&truncation_limit=2&id_min=12&output_format=XML&show_"
            "results=0&show_igs=0&include_ignored=1&include_disabled=1&vm_"
            "processed_after=2024-01-01T00%3A00%3A00Z");
}

TEST(HostDetectionClient, RefusesForeignOrStuckNextPages) {
  auto run = [](std::vector<Scripted> script) -> std::string {
    auto t = std::make_unique<FakeTransport>();
    t->script.assign(script.begin(), script.end());
    QualysClient client(std::move(t), Credentials{"u", "p"});
    HostDetectionRequest req;
    req.id_min = 10;
    try {
      FetchHostDetections(client, req, [](DetectionHost&&) {});
    } catch (const ApiError& e) {
      return e.what();
    }
    return "no ApiError";
  };
  EXPECT_THAT(run({{200, Page(10, 1, "https://evil.example/steal?x=1")}}),
              HasSubstr("not one of the detection API"));
  EXPECT_THAT(
      run({{200, Page(10, 1,
                      "/api/2.0/fo/asset/host/vm/detection/?action=list&id_"
                      "min=5")}}),
      HasSubstr("pagination did not advance"));
  EXPECT_THAT(run({{200,
                    "<SIMPLE_RETURN><RESPONSE><CODE>1905</CODE><TEXT>bad"
                    "</TEXT></RESPONSE></SIMPLE_RETURN>"}}),
              HasSubstr("1905"));
  EXPECT_THROW(BuildHostDetectionForm({.truncation_limit = 0}),
               std::invalid_argument);
  EXPECT_EQ(NextPagePathAndQuery("/api/2.0/fo/asset/host/vm/detection/"
                                 "index.php?action=list&id_min=3"),
            "/api/2.0/fo/asset/host/vm/detection/index.php?action=list&id_"
            "min=3");
  EXPECT_EQ(QueryParam("a=1&id_min=42&b", "id_min"), "42");
  EXPECT_EQ(QueryParam("a=1&b", "b"), "");
  EXPECT_EQ(QueryParam("a=1", "id_min"), std::nullopt);
}

}  // namespace
}  // namespace qx
