// QualysClient: authenticated Qualys API calls with the API's retry and
// rate-limit rules (CONTRACT.md): wait X-RateLimit-ToWait-Sec on 409, back
// off with jitter on 429/5xx/timeouts, never retry 400/401/403/404/413.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <semaphore>
#include <stdexcept>
#include <string>
#include <string_view>

#include "qx/client/http_transport.h"
#include "qx/telemetry/telemetry.h"

namespace qx {

struct Credentials {
  std::string username;
  std::string password;
};

struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60000};
  // Upper bound for a server-requested wait (X-RateLimit-ToWait-Sec); a
  // longer wait fails the call instead of stalling the poll for hours.
  std::chrono::seconds max_server_wait{900};
};

// Qualys counts rate and concurrency limits per API: the API v2 family
// (/api/2.0/...: KnowledgeBase, Host List Detection) sends X-RateLimit-*
// headers, QPS REST (/qps/rest/...: Asset Management, WAS) usually sends
// none. State is kept per family so one API's budget never stops another's.
inline constexpr char kApiQps[] = "qps";
inline constexpr char kApiV2[] = "api_v2";
inline constexpr char kApiOther[] = "other";

// The API family of a request path ("/api/2.0/fo/..." -> "api_v2").
std::string_view ApiFamilyOfPath(std::string_view path);

using Sleeper = std::function<void(std::chrono::milliseconds)>;

// Thrown instead of retrying when CallOptions::retry_gateway_errors is off
// and a gateway gave up on the answer (502/503/504, a timeout or a dropped
// connection): the caller can ask for less (a smaller page) instead of
// asking the same again. http_status is 0 for a transport failure.
class GatewayError : public std::runtime_error {
 public:
  GatewayError(const std::string& message, int http_status)
      : std::runtime_error(message), http_status_(http_status) {}
  int http_status() const { return http_status_; }

 private:
  int http_status_;
};

struct CallOptions {
  // False: 502/503/504 and transport failures throw GatewayError at once
  // (409 and 429 are still waited out and retried).
  bool retry_gateway_errors = true;
};

class QualysClient {
 public:
  static constexpr int kMaxConcurrency = 16;

  // telemetry may be null. sleeper defaults to std::this_thread::sleep_for.
  // At most max_concurrency calls are in flight at once (the subscription's
  // concurrency limit is shared with the customer's other integrations).
  QualysClient(std::unique_ptr<HttpTransport> transport,
               Credentials credentials, RetryPolicy retry = {},
               Telemetry* telemetry = nullptr, Sleeper sleeper = {},
               int max_concurrency = 1);

  // Sends request (auth added) with retries. On a 2xx answer calls
  // on_body(head, body); a TransportError thrown while reading the body is
  // retried like any other, so on_body must be idempotent (stores upsert by
  // id). Throws ApiError (non-retryable or exhausted) or TransportError.
  // endpoint labels the self-metrics (e.g. "hostasset").
  void Call(std::string_view endpoint, const HttpRequest& request,
            const ResponseHandler& on_body, CallOptions options = {});

  // The headers last seen from one API family; all empty (unlimited) when
  // that family never sent any.
  RateLimitInfo last_rate_limit(std::string_view api) const;

 private:
  std::chrono::milliseconds Backoff(int attempt);
  int Jitter(int max_ms);

  std::unique_ptr<HttpTransport> transport_;
  std::string authorization_;  // "Basic ..."; never logged
  RetryPolicy retry_;
  Telemetry* telemetry_;
  Sleeper sleeper_;
  std::counting_semaphore<kMaxConcurrency> in_flight_;
  mutable std::mutex mu_;  // guards rng_ and rate_limits_
  std::mt19937_64 rng_;
  std::map<std::string, RateLimitInfo, std::less<>> rate_limits_;
};

// Reads the whole body, capped (error pages only; never used for data).
std::string ReadCapped(std::istream& in, std::size_t cap);

// A short, log-safe description of an error body: the SIMPLE_RETURN code and
// text, the QPS responseErrorDetails, an HTML page's title, or a snippet.
std::string DescribeErrorBody(std::string_view content_type,
                              std::string_view body);

}  // namespace qx
