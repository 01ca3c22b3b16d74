// HTTP request routing and the endpoint handlers of the simulator.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "qx/sim/dataset.h"
#include "qx/sim/simulator.h"

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace qx::sim {

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

// A failure to inject into upcoming Qualys API answers (see /sim/fail).
struct Fault {
  std::string path_contains;
  int status = 0;    // 0: answer normally (after delay_ms)
  std::string code;  // SIMPLE_RETURN CODE / QPS responseCode
  int remaining = 1;
  int wait_seconds = 2;  // X-RateLimit-ToWait-Sec for 409
  int delay_ms = 0;
};

class Router {
 public:
  Router(const SimOptions& options, Dataset* data);

  void Handle(Poco::Net::HTTPServerRequest& request,
              Poco::Net::HTTPServerResponse& response);

  std::map<std::string, std::uint64_t> RequestCounts() const;
  void AddFault(Fault fault);
  void ClearFaults();

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

  void HostAssets(Context& ctx, bool count_only);
  void WasFindings(Context& ctx, bool count_only);
  void KnowledgeBase(Context& ctx);
  void Control(Context& ctx);

  const SimOptions& options_;
  Dataset* data_;

  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> counts_;
  std::vector<Fault> faults_;
  std::chrono::steady_clock::time_point window_start_;
  std::uint32_t window_calls_ = 0;
  std::atomic<int> v2_running_{0};
};

}  // namespace qx::sim
