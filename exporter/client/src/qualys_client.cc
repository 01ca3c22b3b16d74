#include "qx/client/qualys_client.h"

#include <Poco/Base64Encoder.h>
#include <glog/logging.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>
#include <thread>

#include "qx/client/errors.h"
#include "qx/client/parsers.h"

namespace qx {
namespace {

std::string BasicAuth(const Credentials& c) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << c.username << ':' << c.password;
  enc.close();
  return "Basic " + out.str();
}

std::optional<std::int64_t> HeaderInt(const HttpResponseHead& head,
                                      std::string_view name) {
  auto v = head.Header(name);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc()) return std::nullopt;
  return n;
}

bool IsRetryableStatus(int status) {
  return status == 409 || status == 429 || status == 502 || status == 503 ||
         status == 504;
}

std::string ExtractTag(std::string_view body, std::string_view tag) {
  std::string open = "<" + std::string(tag);
  auto start = body.find(open);
  if (start == std::string_view::npos) return {};
  start = body.find('>', start);
  if (start == std::string_view::npos) return {};
  ++start;
  auto end = body.find("</" + std::string(tag), start);
  if (end == std::string_view::npos) return {};
  std::string text(body.substr(start, end - start));
  // Drop CDATA markers and squeeze whitespace for a one-line message.
  for (std::string_view marker : {"<![CDATA[", "]]>"}) {
    for (auto p = text.find(marker); p != std::string::npos;
         p = text.find(marker)) {
      text.erase(p, marker.size());
    }
  }
  std::string out;
  bool space = false;
  for (char ch : text) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += ch;
    }
  }
  return out;
}

// Seconds to wait named by a SIMPLE_RETURN rate-limit answer (CODE 1965,
// "... cannot be run again for another 42 seconds."), if it names any.
std::optional<std::int64_t> WaitFromSimpleReturn(std::string_view body) {
  auto sr = ParseSimpleReturn(body);
  if (!sr || sr->code != "1965") return std::nullopt;
  std::string_view text = sr->text;
  auto pos = text.find(" second");
  if (pos == std::string_view::npos) return std::nullopt;
  auto begin = pos;
  while (begin > 0 &&
         std::isdigit(static_cast<unsigned char>(text[begin - 1]))) {
    --begin;
  }
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data() + begin, text.data() + pos, n);
  if (ec != std::errc() || ptr != text.data() + pos) return std::nullopt;
  return n;
}

// Counts the bytes the parser pulls, so a body cut short by the peer (fewer
// bytes than Content-Length) is told apart from malformed XML and retried.
class CountingStreamBuf final : public std::streambuf {
 public:
  explicit CountingStreamBuf(std::istream& in) : in_(in) {}
  std::uint64_t count() const { return count_; }
  bool hit_end() const { return hit_end_; }

 protected:
  int_type underflow() override {
    in_.read(buf_, sizeof buf_);
    auto n = in_.gcount();
    if (n <= 0) {
      hit_end_ = true;
      return traits_type::eof();
    }
    count_ += static_cast<std::uint64_t>(n);
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(buf_[0]);
  }

 private:
  std::istream& in_;
  char buf_[16384];
  std::uint64_t count_ = 0;
  bool hit_end_ = false;
};

}  // namespace

std::string ReadCapped(std::istream& in, std::size_t cap) {
  std::string out;
  char buf[4096];
  while (out.size() < cap && in.read(buf, sizeof buf), in.gcount() > 0) {
    out.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  if (out.size() > cap) out.resize(cap);
  return out;
}

std::string DescribeErrorBody(std::string_view content_type,
                              std::string_view body) {
  if (content_type.find("html") != std::string_view::npos ||
      body.find("<html") != std::string_view::npos ||
      body.find("<HTML") != std::string_view::npos) {
    std::string title = ExtractTag(body, "title");
    if (title.empty()) title = ExtractTag(body, "TITLE");
    return "HTML error page" + (title.empty() ? "" : " \"" + title + "\"");
  }
  if (auto sr = ParseSimpleReturn(body)) {
    return "code " + sr->code + ": " + sr->text;
  }
  std::string code = ExtractTag(body, "responseCode");
  std::string msg = ExtractTag(body, "errorMessage");
  if (!code.empty() || !msg.empty()) {
    std::string res = ExtractTag(body, "errorResolution");
    return code + (msg.empty() ? "" : ": " + msg) +
           (res.empty() ? "" : " (" + res + ")");
  }
  std::string snippet(body.substr(0, 200));
  std::replace_if(
      snippet.begin(), snippet.end(),
      [](char ch) { return ch == '\n' || ch == '\r' || ch == '\t'; }, ' ');
  return snippet.empty() ? "empty body" : "body: " + snippet;
}

QualysClient::QualysClient(std::unique_ptr<HttpTransport> transport,
                           Credentials credentials, RetryPolicy retry,
                           Telemetry* telemetry, Sleeper sleeper,
                           int max_concurrency)
    : transport_(std::move(transport)),
      authorization_(BasicAuth(credentials)),
      retry_(retry),
      telemetry_(telemetry),
      sleeper_(sleeper ? std::move(sleeper)
                       : Sleeper([](std::chrono::milliseconds d) {
                           std::this_thread::sleep_for(d);
                         })),
      in_flight_(std::clamp(max_concurrency, 1, kMaxConcurrency)),
      rng_(std::random_device{}()) {}

std::string_view ApiFamilyOfPath(std::string_view path) {
  if (path.starts_with("/qps/")) return kApiQps;
  if (path.starts_with("/api/2.0/")) return kApiV2;
  return kApiOther;
}

RateLimitInfo QualysClient::last_rate_limit(std::string_view api) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rate_limits_.find(api);
  return it == rate_limits_.end() ? RateLimitInfo{} : it->second;
}

int QualysClient::Jitter(int max_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return std::uniform_int_distribution<int>(0, max_ms)(rng_);
}

std::chrono::milliseconds QualysClient::Backoff(int attempt) {
  // Full jitter: uniform in [base/2, base], base doubling per attempt.
  auto base = retry_.initial_backoff * (1LL << std::min(attempt, 16));
  base = std::min<std::chrono::milliseconds>(base, retry_.max_backoff);
  std::uniform_int_distribution<std::int64_t> dist(base.count() / 2,
                                                   base.count());
  std::lock_guard<std::mutex> lock(mu_);
  return std::chrono::milliseconds(dist(rng_));
}

void QualysClient::Call(std::string_view endpoint, const HttpRequest& request,
                        const ResponseHandler& on_body, CallOptions options) {
  HttpRequest req = request;
  req.headers.emplace_back("Authorization", authorization_);
  const std::string_view api = ApiFamilyOfPath(request.path);
  std::string last_error;
  int last_status = 0;  // 0: the last attempt failed in transport
  for (int attempt = 0; attempt < retry_.max_attempts; ++attempt) {
    std::optional<std::chrono::milliseconds> wait;
    try {
      // Held for the exchange only, never across a backoff sleep.
      in_flight_.acquire();
      struct Release {
        std::counting_semaphore<kMaxConcurrency>& s;
        ~Release() { s.release(); }
      } release{in_flight_};
      transport_->Send(req, [&](const HttpResponseHead& head,
                                std::istream& body) {
        if (telemetry_) {
          telemetry_->ApiRequest(endpoint, std::to_string(head.status));
        }
        RateLimitInfo rl;
        rl.limit = HeaderInt(head, "X-RateLimit-Limit");
        rl.window_sec = HeaderInt(head, "X-RateLimit-Window-Sec");
        rl.remaining = HeaderInt(head, "X-RateLimit-Remaining");
        rl.to_wait_sec = HeaderInt(head, "X-RateLimit-ToWait-Sec");
        rl.concurrency_limit = HeaderInt(head, "X-Concurrency-Limit-Limit");
        rl.concurrency_running = HeaderInt(head, "X-Concurrency-Limit-Running");
        if (rl.limit || rl.remaining || rl.to_wait_sec ||
            rl.concurrency_limit) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            rate_limits_.insert_or_assign(std::string(api), rl);
          }
          if (telemetry_) telemetry_->ApiRateLimit(api, rl);
        }
        if (head.status >= 200 && head.status < 300) {
          CountingStreamBuf counter(body);
          std::istream counted(&counter);
          try {
            on_body(head, counted);
          } catch (const ParseError& e) {
            if (head.content_length && counter.count() < *head.content_length) {
              throw TransportError("response body cut short after " +
                                   std::to_string(counter.count()) + " of " +
                                   std::to_string(*head.content_length) +
                                   " bytes");
            }
            // A chunked body whose connection dropped mid-chunk just ends
            // (Poco reports no error), so a parse failure at the end of a
            // body of unknown length is treated as a cut connection and
            // retried; a truly malformed answer still fails after the
            // bounded retries.
            if (!head.content_length && counter.hit_end()) {
              throw TransportError(std::string(e.what()) +
                                   " (body of unknown length ended early?)");
            }
            throw;
          }
          return;
        }
        const std::string error_body = ReadCapped(body, 64 * 1024);
        std::string detail = DescribeErrorBody(head.content_type, error_body);
        std::string message = std::string(endpoint) + ": HTTP " +
                              std::to_string(head.status) + " " + head.reason +
                              ": " + detail;
        if (!options.retry_gateway_errors &&
            (head.status == 502 || head.status == 503 || head.status == 504)) {
          throw GatewayError(message, head.status);
        }
        if (!IsRetryableStatus(head.status)) {
          if (head.status == 401) {
            message = std::string(endpoint) +
                      ": HTTP 401: authentication failed; check "
                      "QUALYS_USERNAME/QUALYS_PASSWORD and the API URL (" +
                      detail + ")";
          }
          throw ApiError(message, head.status);
        }
        last_error = message;
        last_status = head.status;
        std::optional<std::int64_t> to_wait = rl.to_wait_sec;
        if (!to_wait || *to_wait < 0) to_wait = HeaderInt(head, "Retry-After");
        // QPS calls may omit the rate-limit headers; the 1965 text still
        // says how long ("cannot be run again for another N seconds").
        if (!to_wait || *to_wait < 0)
          to_wait = WaitFromSimpleReturn(error_body);
        if (to_wait && *to_wait >= 0) {
          auto server_wait = std::chrono::seconds(*to_wait);
          if (server_wait > retry_.max_server_wait) {
            throw ApiError(message + "; server asks to wait " +
                               std::to_string(*to_wait) +
                               " s, more than the configured maximum",
                           head.status);
          }
          // A little jitter so several exporters do not return in step.
          wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                     server_wait) +
                 std::chrono::milliseconds(Jitter(1000));
        } else {
          wait = Backoff(attempt);
        }
      });
      if (!wait) return;  // success
    } catch (const TransportError& e) {
      if (telemetry_) telemetry_->ApiRequest(endpoint, "error");
      last_error = std::string(endpoint) + ": " + e.what();
      last_status = 0;
      if (!options.retry_gateway_errors) throw GatewayError(last_error, 0);
      wait = Backoff(attempt);
    }
    if (attempt + 1 < retry_.max_attempts) {
      LOG(WARNING) << last_error << "; retry " << (attempt + 1) << "/"
                   << (retry_.max_attempts - 1) << " in " << wait->count()
                   << " ms";
      sleeper_(*wait);
    }
  }
  const std::string gave_up = last_error + " (gave up after " +
                              std::to_string(retry_.max_attempts) +
                              " attempts)";
  if (last_status == 0) throw TransportError(gave_up);
  throw ApiError(gave_up, last_status);
}

}  // namespace qx
