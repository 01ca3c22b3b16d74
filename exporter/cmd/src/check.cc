#include "qx/cmd/check.h"

#include <chrono>
#include <iomanip>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "qx/base/clock.h"
#include "qx/client/errors.h"
#include "qx/client/host_detection_client.h"
#include "qx/client/knowledge_base_client.h"
#include "qx/client/parsers.h"
#include "qx/client/qps_search.h"
#include "qx/records/timestamp.h"
#include "qx/sources/incremental_sync.h"
#include "qx/sources/sources.h"

namespace qx {
namespace {

enum class Verdict { kOk, kWarn, kFail };

class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}

  void Line(Verdict v, std::string_view check, std::string_view seen,
            std::string_view todo = {}) {
    static constexpr const char* kWord[] = {"ok", "warn", "FAIL"};
    out_ << std::left << std::setw(5) << kWord[static_cast<int>(v)] << ' '
         << std::setw(46) << check << ' ' << seen;
    if (!todo.empty()) out_ << " -> " << todo;
    out_ << '\n';
    out_.flush();
    failed_ = failed_ || v == Verdict::kFail;
  }
  bool failed() const { return failed_; }

 private:
  std::ostream& out_;
  bool failed_ = false;
};

// One answered QPS search page: its envelope, size and time.
struct Probe {
  QpsPageInfo page;
  std::uint64_t records = 0;
  std::size_t bytes = 0;
  double seconds = 0;
};

Probe ProbeSearch(QualysClient& client, const QpsSearchRequest& request) {
  HttpRequest http;
  http.path = request.path;
  http.content_type = "text/xml";
  http.body = BuildServiceRequest(request, std::nullopt);
  Probe probe;
  const double start = SystemClockSeconds();
  client.Call(
      request.endpoint_label, http,
      [&](const HttpResponseHead&, std::istream& body) {
        // Read whole to measure the page; one page fits in memory.
        const std::string text = ReadCapped(body, 256u << 20);
        probe.bytes = text.size();
        std::istringstream in(text);
        probe.records = 0;
        probe.page =
            request.path == kWasFindingSearchPath
                ? ParseWasFindingPage(in,
                                      [&](WasFinding&&) { ++probe.records; })
                : ParseHostAssetPage(in, [&](HostAsset&&) { ++probe.records; });
      },
      // A page the gateway cannot serve is reported, not retried.
      CallOptions{.retry_gateway_errors = false});
  probe.seconds = SystemClockSeconds() - start;
  return probe;
}

std::string Kib(std::size_t bytes) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / 1024.0
    << " KiB";
  return s.str();
}

std::string Secs(double s) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(2) << s << " s";
  return o.str();
}

// What to do about an error the API or the network answered.
std::string Advice(const std::exception& e) {
  if (const auto* api = dynamic_cast<const ApiError*>(&e)) {
    switch (api->http_status()) {
      case 401:
        return "check QUALYS_USERNAME / QUALYS_PASSWORD and that --qualys.url "
               "is your platform's API server";
      case 403:
        return "give the API user this module and API access";
      case 404:
        return "check --qualys.url: this platform has no such endpoint";
      default:
        break;
    }
  }
  if (dynamic_cast<const TransportError*>(&e) != nullptr) {
    return "check --qualys.url, the network path, proxy (HTTPS_PROXY) and "
           "--qualys.ca-file";
  }
  return "see the error above";
}

struct CriterionCheck {
  std::string field;
  std::string op;
  bool needed;  // false: the exporter falls back when refused
  std::string fallback;
};

void CheckSource(QualysClient& client, Report& report, std::string_view label,
                 const QpsSearchRequest& page_request,
                 const std::vector<CriterionCheck>& criteria) {
  const std::string name(label);
  try {
    const Probe p = ProbeSearch(client, page_request);
    if (p.page.response_code != "SUCCESS") {
      report.Line(
          Verdict::kFail, name + ": one page",
          "responseCode " + p.page.response_code + ": " + p.page.error_message,
          "give the API user read access to this module");
      return;
    }
    report.Line(
        Verdict::kOk, name + ": one page",
        std::to_string(p.records) + " records of " +
            std::to_string(page_request.limit_results) + " asked, " +
            Kib(p.bytes) + ", " + Secs(p.seconds) +
            (p.records ? ", " + Kib(p.bytes / p.records) + " per record" : ""));
  } catch (const GatewayError& e) {
    report.Line(Verdict::kWarn, name + ": one page", e.what(),
                "the exporter halves such pages; a smaller page size avoids "
                "the first timeout");
  } catch (const std::exception& e) {
    report.Line(Verdict::kFail, name + ": one page", e.what(), Advice(e));
    return;
  }
  const std::string since = FormatIsoTimestamp(
      static_cast<std::int64_t>(SystemClockSeconds()) - 24 * 3600);
  for (const CriterionCheck& c : criteria) {
    QpsSearchRequest req = page_request;
    req.limit_results = 1;
    req.verbose = false;
    req.limit_histories.reset();
    req.criteria = {{c.field, c.op, c.field == "id" ? "1" : since}};
    const std::string what = name + ": criterion " + c.field + " " + c.op;
    std::string refusal;
    try {
      const Probe p = ProbeSearch(client, req);
      if (p.page.response_code == "SUCCESS") {
        report.Line(Verdict::kOk, what, "accepted");
        continue;
      }
      refusal = p.page.response_code + ": " + p.page.error_message;
    } catch (const ApiError& e) {
      if (!IsRefusal(e)) {
        report.Line(Verdict::kFail, what, e.what(), Advice(e));
        continue;
      }
      refusal = e.what();
    } catch (const std::exception& e) {
      report.Line(Verdict::kFail, what, e.what(), Advice(e));
      continue;
    }
    report.Line(c.needed ? Verdict::kFail : Verdict::kWarn, what,
                "refused (" + refusal + ")", c.fallback);
  }
}

// One page of the VM Host List Detection API (API v2), and its incremental
// filter: the walk stops after the first page.
void CheckDetections(QualysClient& client, Report& report,
                     const SourceOptions& s) {
  struct FirstPage {};
  for (const bool incremental : {false, true}) {
    HostDetectionRequest req;
    req.truncation_limit = incremental ? 1 : s.detection_page_size;
    if (incremental) {
      req.vm_processed_after = FormatIsoTimestamp(
          static_cast<std::int64_t>(SystemClockSeconds()) - 24 * 3600);
    }
    const std::string what = incremental
                                 ? "detection: filter vm_processed_after"
                                 : "detection: one page";
    const double start = SystemClockSeconds();
    std::uint64_t hosts = 0;
    std::uint64_t detections = 0;
    try {
      FetchHostDetections(
          client, req,
          [&](DetectionHost&& h) {
            ++hosts;
            detections += h.detections.size();
          },
          [](const HostDetectionProgress& p) {
            if (!p.done) throw FirstPage{};
          });
    } catch (const FirstPage&) {
    } catch (const ApiError& e) {
      if (incremental && IsRefusal(e)) {
        report.Line(Verdict::kWarn, what,
                    std::string("refused (") + e.what() + ")",
                    "every detection poll walks every host");
      } else {
        report.Line(Verdict::kFail, what, e.what(),
                    "give the API user VM (vulnerability management) API "
                    "access");
      }
      continue;
    } catch (const std::exception& e) {
      report.Line(Verdict::kFail, what, e.what(), Advice(e));
      continue;
    }
    report.Line(Verdict::kOk, what,
                incremental ? "accepted"
                            : std::to_string(hosts) + " hosts, " +
                                  std::to_string(detections) +
                                  " detections in the first page, " +
                                  Secs(SystemClockSeconds() - start));
  }
}

// The web apps (their tags) and the scan schedules: one small page each.
void CheckSchedules(QualysClient& client, Report& report) {
  for (const auto& [path, label] :
       {std::pair{kWebAppSearchPath, "webapp"},
        std::pair{kWasScanScheduleSearchPath, "was_scan_schedule"}}) {
    QpsSearchRequest req;
    req.path = path;
    req.endpoint_label = label;
    req.limit_results = 1;
    const std::string what = std::string(label) + ": search";
    try {
      std::uint64_t n = 0;
      auto count = [&](auto&&) { ++n; };
      if (req.path == kWebAppSearchPath) {
        SearchWebApps(client, req, count, [](const SearchProgress&) {
          throw std::out_of_range("first page");
        });
      } else {
        SearchWasScanSchedules(client, req, count, [](const SearchProgress&) {
          throw std::out_of_range("first page");
        });
      }
    } catch (const std::out_of_range&) {
    } catch (const std::exception& e) {
      report.Line(Verdict::kFail, what, e.what(),
                  "give the API user WAS read access");
      continue;
    }
    report.Line(Verdict::kOk, what, "accepted");
  }
}

void CheckRateLimits(QualysClient& client, Report& report) {
  for (const char* api : {kApiQps, kApiV2}) {
    const RateLimitInfo rl = client.last_rate_limit(api);
    std::string seen;
    if (!rl.limit && !rl.remaining && !rl.concurrency_limit) {
      seen =
          "no rate-limit headers: treated as unlimited (409 answers are "
          "still honoured)";
    } else {
      auto num = [](const std::optional<std::int64_t>& v) {
        return v ? std::to_string(*v) : std::string("?");
      };
      seen = num(rl.remaining) + " of " + num(rl.limit) + " calls left per " +
             num(rl.window_sec) + " s, concurrency " +
             num(rl.concurrency_running) + "/" + num(rl.concurrency_limit);
    }
    report.Line(Verdict::kOk, std::string("rate limits: ") + api, seen);
  }
}

}  // namespace

bool RunChecks(QualysClient& client, const Options& options,
               std::ostream& out) {
  Report report(out);
  out << "qualys-exporter --check against " << options.transport.base_url
      << "\n";
  // Authentication and Asset Management access: the cheapest call there is.
  try {
    const auto n = CountRecords(client, kHostAssetCountPath, "hostasset");
    report.Line(Verdict::kOk, "authentication",
                "accepted; " + std::to_string(n) + " host assets in scope");
  } catch (const std::exception& e) {
    report.Line(Verdict::kFail, "authentication", e.what(), Advice(e));
    const auto* api = dynamic_cast<const ApiError*>(&e);
    if ((api != nullptr && api->http_status() == 401) ||
        dynamic_cast<const TransportError*>(&e) != nullptr) {
      // Nothing else can work; asking more would only add failed logins.
      out << "FAIL: the exporter cannot run as configured\n";
      return false;
    }
  }

  const SourceOptions& s = options.sources;
  QpsSearchRequest hosts;
  hosts.path = kHostAssetSearchPath;
  hosts.endpoint_label = "hostasset";
  hosts.limit_results = s.host_page_size;
  CheckSource(client, report, "hostasset", hosts,
              {{"updated", "GREATER", false,
                "incremental polls use vulnsUpdated alone (wider overlap)"},
               {"vulnsUpdated", "GREATER", false,
                "incremental polls use updated alone (wider overlap)"},
               {"updated", "LESSER", false,
                "incremental walks may fetch a record twice (more calls)"},
               {"id", "GREATER", true,
                "pagination needs it: report to Qualys support"}});

  QpsSearchRequest findings;
  findings.path = kWasFindingSearchPath;
  findings.endpoint_label = "was_finding";
  findings.limit_results = s.was_page_size;
  findings.verbose = true;
  if (s.was_limit_histories > 0)
    findings.limit_histories = s.was_limit_histories;
  CheckSource(client, report, "was_finding", findings,
              {{"updatedDate", "GREATER", false,
                "incremental polls use lastTestedDate with "
                "--sync.processing-lag"},
               {"lastTestedDate", "GREATER", false,
                "re-detections without a change wait for the daily full "
                "resync"},
               {"updatedDate", "LESSER", false,
                "incremental walks may fetch a finding twice (more calls)"},
               {"id", "GREATER", true,
                "pagination needs it: report to Qualys support"}});

  CheckDetections(client, report, s);
  CheckSchedules(client, report);
  try {
    std::uint64_t entries = 0;
    const double start = SystemClockSeconds();
    const std::uint64_t qid = 38170;  // a long-standing QID (SSL certificate)
    FetchKnowledgeBase(client, std::span<const std::uint64_t>(&qid, 1), 1,
                       [&](KnowledgeBaseEntry&&) { ++entries; });
    report.Line(Verdict::kOk, "knowledge_base: lookup",
                std::to_string(entries) + " entry for QID 38170, " +
                    Secs(SystemClockSeconds() - start));
  } catch (const std::exception& e) {
    report.Line(Verdict::kFail, "knowledge_base: lookup", e.what(),
                "give the API user KnowledgeBase access (VM module)");
  }
  CheckRateLimits(client, report);
  out << (report.failed() ? "FAIL: the exporter cannot run as configured\n"
                          : "ok: the exporter can run\n");
  return !report.failed();
}

}  // namespace qx
