// HTTP request routing and the endpoint handlers of the simulator.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qx/sim/dataset.h"
#include "qx/sim/http_util.h"
#include "qx/sim/service_request.h"
#include "qx/sim/simulator.h"

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace qx::sim {

class Query;

inline constexpr std::string_view kHostAssetPath =
    "/qps/rest/2.0/search/am/hostasset";
inline constexpr std::string_view kFindingPath =
    "/qps/rest/3.0/search/was/finding";
inline constexpr std::string_view kHostAssetCountPath =
    "/qps/rest/2.0/count/am/hostasset";
inline constexpr std::string_view kFindingCountPath =
    "/qps/rest/3.0/count/was/finding";
inline constexpr std::string_view kKnowledgeBasePath =
    "/api/2.0/fo/knowledge_base/vuln/";
inline constexpr std::string_view kHostDetectionPath =
    "/api/2.0/fo/asset/host/vm/detection/";
inline constexpr std::string_view kScheduleSearchPath =
    "/qps/rest/3.0/search/was/wasscanschedule";
inline constexpr std::string_view kScheduleCountPath =
    "/qps/rest/3.0/count/was/wasscanschedule";
inline constexpr std::string_view kWebAppSearchPath =
    "/qps/rest/3.0/search/was/webapp";
inline constexpr std::string_view kWebAppCountPath =
    "/qps/rest/3.0/count/was/webapp";

// QPS REST paths (canonical, no trailing slash) and API v2 paths (with it).
bool IsQpsPath(std::string_view path);
bool IsV2Path(std::string_view path);
// The xsd a QPS answer on `path` names.
std::string_view QpsXsdFor(std::string_view path);

// Counts an API v2 call in flight for its lifetime.
struct V2Running {
  std::atomic<int>& n;
  int value;
  explicit V2Running(std::atomic<int>& c) : n(c), value(++c) {}
  ~V2Running() { --n; }
  V2Running(const V2Running&) = delete;
  V2Running& operator=(const V2Running&) = delete;
};

// How a fault answers (see /sim/fail in simulator.h).
enum class FaultKind {
  kStatus,    // an HTTP status (0 = the normal answer, after delay_ms)
  kReset,     // close the connection (TCP RST) without any response
  kTruncate,  // the real answer, cut short after `bytes` body bytes
};

// A failure to inject into upcoming Qualys API answers (see /sim/fail).
struct Fault {
  std::string path_contains;
  std::string body_contains;  // and, if set, the body or query contains this
  FaultKind kind = FaultKind::kStatus;
  int status = 0;          // kStatus; 0: answer normally (after delay_ms)
  std::string code;        // SIMPLE_RETURN CODE / QPS responseCode
  int remaining = 1;       // answers still to fault
  bool unlimited = false;  // times=0: until /sim/fail?clear=1
  int skip = 0;            // matching requests served normally first
  int wait_seconds = 2;    // X-RateLimit-ToWait-Sec for 409; -1: no header
  int delay_ms = 0;
  // kTruncate: body bytes written before the close (-1: half the body), and
  // whether the framing is chunked (a chunk announced longer than sent)
  // instead of a Content-Length larger than the bytes written.
  std::int64_t bytes = -1;
  bool chunked = false;
  std::uint64_t hits = 0;  // answers faulted so far
};

class Router {
 public:
  Router(const SimOptions& options, Dataset* data);

  void Handle(Poco::Net::HTTPServerRequest& request,
              Poco::Net::HTTPServerResponse& response);

  std::map<std::string, std::uint64_t> RequestCounts() const;
  void AddFault(Fault fault);
  void ClearFaults();
  // {"active":[{path,match,kind,status,remaining,skip,hits},...],
  //  "applied":{path:n,...}} (applied: faulted answers per endpoint path
  //  since start, cleared faults included).
  std::string FaultsJson() const;

 private:
  // One exchange, as the handlers see it.
  struct Context {
    Poco::Net::HTTPServerRequest& req;
    Poco::Net::HTTPServerResponse& resp;
    std::string path;   // canonical endpoint path
    std::string query;  // raw query string
    std::string body;
  };

  void Count(const std::string& path);
  bool Authorized(Poco::Net::HTTPServerRequest& request) const;
  // Returns true when a fault answered the request.
  bool ApplyFault(Context& ctx);
  // The normal answer of a Qualys endpoint (after auth and faults).
  void Dispatch(Context& ctx);
  // 401 as the API sends it for bad credentials.
  void Unauthorized(Context& ctx);
  // Writes the normal answer cut short, then closes the connection.
  void SendTruncated(Context& ctx, const Fault& fault);
  // Closes the connection with a TCP RST and no response.
  static void ResetConnection(Context& ctx);

  // Answers a search whose criteria use a field in
  // SimOptions::refused_criteria as the API refuses it; true if it did.
  bool Refused(Context& ctx, const ServiceRequest& request,
               std::string_view xsd) const;
  // Answers 504 for a page larger than max_records (0 = no limit).
  bool GatewayGivesUp(Context& ctx, const ServiceRequest& request,
                      std::uint32_t max_records) const;
  // Whether a search pages densely (SimOptions::filtered_pages).
  bool DensePages(const Query& query) const;
  void HostAssets(Context& ctx, bool count_only);
  void WasFindings(Context& ctx, bool count_only);
  void KnowledgeBase(Context& ctx);
  void HostDetections(Context& ctx);
  void WasScanSchedules(Context& ctx, bool count_only);
  void WebApps(Context& ctx, bool count_only);
  void Control(Context& ctx);
  // API v2 usage limits: sets the X-RateLimit-* and X-Concurrency-*
  // headers; with enforce_rate_limit answers 409 (1965/1960) and returns
  // false when over a limit. running: v2 calls in flight, this one included.
  bool V2Limits(Context& ctx, int running);
  // The rest of every API v2 handler's front: the anti-CSRF header, the
  // method, the form (query string and urlencoded body), unknown
  // parameters and action=list. Sends the SIMPLE_RETURN error and returns nullopt on
  // failure.
  std::optional<FormParams> V2Form(Context& ctx, Seconds now,
                                   std::span<const std::string_view> known);

  const SimOptions& options_;
  Dataset* data_;

  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> counts_;
  std::vector<Fault> faults_;
  std::map<std::string, std::uint64_t> faults_applied_;
  std::chrono::steady_clock::time_point window_start_;
  std::uint32_t window_calls_ = 0;
  std::atomic<int> v2_running_{0};
};

}  // namespace qx::sim
