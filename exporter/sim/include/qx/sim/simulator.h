// qualys-sim: a faithful fake of the parts of the Qualys API the exporter
// uses, served over HTTP on loopback. Data is deterministic for a given seed
// and size, evolves one epoch at a time (Advance), and the simulator can
// report the ground truth the exporter's metrics must match (ExpectedJson).
//
// Qualys endpoints (HTTP Basic auth):
//   POST /qps/rest/2.0/search/am/hostasset[/]   ServiceRequest -> HostAsset
//   POST /qps/rest/3.0/search/was/finding[/]    ServiceRequest -> Finding
//   POST /qps/rest/2.0/count/am/hostasset[/]    ServiceRequest -> count
//   POST /qps/rest/3.0/count/was/finding[/]     ServiceRequest -> count
//   GET|POST /api/2.0/fo/knowledge_base/vuln/   action=list&ids=..
//        (needs X-Requested-With; sends X-RateLimit-* headers)
//   GET|POST /api/2.0/fo/asset/host/vm/detection/   action=list (query or
//        form): truncation_limit paging via WARNING CODE 1980 + URL with
//        id_min; show_igs, include_ignored, include_disabled, status, ids,
//        id_min/id_max, vm_processed_after/before, vm_scan_since,
//        detection_updated_since/before, detection_processed_after,
//        show_results, show_asset_id (X-Requested-With, X-RateLimit-*)
//   POST /qps/rest/3.0/{search,count}/was/wasscanschedule
//   POST /qps/rest/3.0/{search,count}/was/webapp   (web apps with tags)
// Control endpoints (no auth, loopback clients only):
//   POST /sim/advance[?n=K]            next epoch(s) -> {"epoch":N}
//   GET  /sim/expected?min_scans=N[&max_scan_age=S]   ExpectedJson(N, S)
//        (S: seconds, or with a d/h/m suffix; default 30d)
//   GET  /sim/stats                    {path:count,...} (RequestCounts)
//   GET  /sim/faults                   {"active":[{path,match,kind,status,
//        remaining,skip,hits}],"applied":{path:n}} (faulted answers so far)
//   POST /sim/fail?path=P&status=S[&match=M][&times=K][&skip=N][&code=C]
//                 [&wait=W][&delay_ms=D][&bytes=B][&chunked=1]
//        the next K (default 1; 0 = until cleared) Qualys requests whose
//        path contains P (and, with match, whose body or query string
//        contains M, e.g. match=operator%3D%22GREATER%22 for the pages after
//        the first of a walk), after N (default 0) such requests served
//        normally, are faulted (after sleeping D ms, if given). The first
//        active fault that matches a request decides. S is one of
//          0         no fault, only the delay: the normal answer after D ms
//          401       the credentials are rejected as for a wrong password
//                    (INVALID_CREDENTIALS / SIMPLE_RETURN "Bad Login/
//                    Password"), like after a password rotation
//          409       SIMPLE_RETURN CODE C (default 1965 rate limit; 1960
//                    concurrency) with X-RateLimit-ToWait-Sec W (default 2;
//                    wait=none: no such header, as QPS may answer)
//          414, 5xx  an HTML gateway page (text/html)
//          200..599  otherwise: on a QPS path a ServiceResponse with
//                    responseCode C (default OTHER_ERROR), on API v2 a
//                    SIMPLE_RETURN CODE C (default 1999)
//          reset     no response: the connection is closed with a TCP RST
//          truncate  the real answer's status and headers with a
//                    Content-Length larger than what follows (chunked=1: a
//                    chunk announced longer than what follows), the first B
//                    body bytes (default half; 0 = close right after the
//                    headers), then the connection is closed
//        Repeating a fault K times gives bursts and storms (K 5xx, K 409s).
//        /sim/fail?clear=1 clears every fault.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "qx/sim/host_assets.h"
#include "qx/sim/host_detections.h"

namespace qx::sim {

struct SimOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = ephemeral
  std::uint64_t seed = 1;
  std::size_t host_assets = 500;
  std::size_t webapps = 6;
  std::size_t findings_per_webapp = 40;
  // Shape of the host estate (cloud mix, detections, churn per epoch) and
  // the share of web apps rescanned per epoch.
  HostMix host_mix;
  unsigned was_rescan_percent = 65;
  // "Now" of epoch 0, seconds since the Unix epoch. 0 (default): the wall
  // clock at start, and each Advance() happens at the wall-clock moment of
  // the call (changes are stamped a few seconds after it), so clients that
  // sync incrementally with wall-clock cursors work as against the real API.
  // Nonzero: a fixed clock (epoch e = time_base + e days) and fully
  // reproducible timestamps. The data itself depends only on seed and sizes.
  std::int64_t time_base = 0;
  std::string username = "demo";
  std::string password = "demo";
  // Host List Detection data: VM hosts unknown to Asset Management, and
  // the share of Potential, ignored and disabled detections.
  DetectionMix detection_mix;
  // WAS scan schedules, and web apps (with tags) that have no findings.
  std::size_t scan_schedules = 12;
  std::size_t webapps_without_findings = 2;
  // Every Nth page is <count>0</count>, no <data>, hasMoreRecords true and an
  // advanced lastId (API 3.2 behaviour); 0 = never.
  std::size_t empty_page_every = 3;
  // How a search with criteria other than id pages:
  //  kWindow: each page scans limitResults records in id order and returns
  //           those that match (sparse or empty pages; API 3.2 notes);
  //  kDense:  matches are collected until limitResults are found, so a
  //           search for few changed records takes few calls.
  enum class FilteredPages { kWindow, kDense };
  FilteredPages filtered_pages = FilteredPages::kWindow;
  // limitResults is capped here; the default page is 100, like the real API.
  std::uint32_t max_limit_results = 1000;

  // API v2 limits, reported in X-RateLimit-* / X-Concurrency-* headers. When
  // enforce_rate_limit is set, exceeding them answers HTTP 409 with
  // SIMPLE_RETURN code 1965 (rate) or 1960 (concurrency).
  bool enforce_rate_limit = false;
  std::uint32_t rate_limit = 300;
  std::uint32_t rate_limit_window_sec = 3600;
  std::uint32_t concurrency_limit = 2;
  // HTTP worker threads.
  int http_threads = 8;

  // Real-API behaviours, off by default:
  // WAS scans ran this long before their results were processed: a
  // finding's lastTestedDate is hours older than its updatedDate.
  std::int64_t processing_lag_sec = 0;
  // Search fields the API refuses as criteria (e.g. "updatedDate"): such a
  // search is answered INVALID_REQUEST naming the field, with HTTP
  // refuse_status (200, as QPS usually answers, or 400).
  std::set<std::string> refused_criteria;
  int refuse_status = 200;
  // A gateway that gives up on pages it cannot build in time: a verbose WAS
  // finding search asking more than was_gateway_max_records per page, or a
  // host asset search asking more than hostasset_gateway_max_records, is
  // answered 504 with an HTML page. 0 = no limit.
  std::uint32_t was_gateway_max_records = 0;
  std::uint32_t hostasset_gateway_max_records = 0;
};

class Simulator {
 public:
  // Starts the HTTP server; throws std::runtime_error when it cannot bind.
  explicit Simulator(SimOptions options);
  ~Simulator();  // stops the server
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // http://127.0.0.1:PORT

  // Evolves the WAS data (and a few hosts) one epoch. Thread-safe.
  void Advance();
  int epoch() const;

  // Ground truth computed from the data model:
  // {"epoch":N,"host_assets":{"azure":N,"aws":N,"gcp":N,"none":N},
  //  "azure_host_assets":[{subscription_id,resource_group,vnet,subnet,
  //                        location,state,value}],
  //  "azure_host_vulnerabilities":[{subscription_id,vnet,subnet,severity,
  //                                 value}],
  //  "host_vulnerabilities":[{cloud_provider,severity,value}],
  //  "was_findings":[{webapp_id,severity,status,category,value}],
  //  "was_recurring_findings":[{webapp_id,severity,value}],
  //  "was_recurring_finding_ids":[id,...],            (numeric finding ids)
  //  "was_recurring_finding_unique_ids":["uuid",...],
  //  "was_recurring_finding_severity":{"<id>":"<severity>",...},
  //  "was_recurring_finding_info":[{id,unique_id,qid,webapp_id,severity}],
  //  "was_keyword_links":[{webapp_id,regex,value}],   (0 rows included)
  //  "was_open_finding_scans":[{category,severity,scans,value}],
  //  "was_webapp_last_scan_timestamp_seconds":[{webapp_id,value}],
  //  "was_webapps":[{webapp_id,name,url}],
  //  -- VM Host List Detection (open = counted: New/Active/Re-Opened, not
  //     ignored or disabled, Confirmed/Potential; joined to host assets by
  //     qwebHostId; VM hosts unknown to Asset Management count as "none"):
  //  "host_detections":[{cloud_provider,severity,type,value}],
  //  "azure_host_detections":[{subscription_id,vnet,subnet,severity,type,
  //                            value}],
  //  "detection_hosts":{"known_to_asset_management":N,"vm_only":N},
  //  -- scan coverage (lastVulnScan absent, or older than max_scan_age
  //     before "now", the simulator's clock):
  //  "max_scan_age_seconds":S, "now":T,
  //  "host_assets_unscanned":{"azure":N,"aws":N,"gcp":N,"none":N},
  //  "azure_host_assets_unscanned":[{subscription_id,vnet,subnet,value}]
  //                                 (every Azure tuple, 0 rows included),
  //  "host_last_vuln_scan_age":{"never":N,"buckets":[{le,value}]}
  //     (cumulative: scanned hosts with now - lastVulnScan <= le seconds;
  //      le 86400 .. 31536000 and "+Inf"),
  //  -- WAS scan schedules:
  //  "was_scan_schedules":[{type,active,occurrence_type,value}],
  //  "was_webapp_scheduled":[{webapp_id,value}] (every web app, 0 or 1: an
  //     active VULNERABILITY schedule targets it directly or by its tags),
  //  "was_scan_schedule_info":[{schedule_id,name,webapp_id,type,active,
  //     occurrence_type,send_mail_from}] (a row per web app the schedule
  //     targets; webapp_id "" when it targets none that exists),
  //  "was_scan_schedule_next_launch":[{schedule_id,value}]}
  // Label values are strings; severity is "1".."5" or "unknown" (QID absent
  // from the KnowledgeBase). Rows with value 0 are omitted unless noted.
  std::string ExpectedJson(int recurrence_min_scans = 2,
                           std::int64_t max_scan_age_seconds = 30 *
                                                               86400) const;

  // Requests received per endpoint path (canonical, without trailing slash
  // for QPS paths), including rejected ones.
  std::map<std::string, std::uint64_t> RequestCounts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qx::sim
