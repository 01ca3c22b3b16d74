// HttpTransport: one HTTP exchange, body streamed to the caller. The only
// place that touches sockets, so the client above it can be tested with a
// fake and the real one swapped for Poco.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qx {

struct HttpRequest {
  std::string method = "POST";
  std::string path;  // path and query, e.g. /qps/rest/2.0/search/am/hostasset
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponseHead {
  int status = 0;
  std::string reason;
  std::string content_type;
  std::optional<std::uint64_t> content_length;
  // Response headers, names as sent. Small: Qualys sends a dozen.
  std::vector<std::pair<std::string, std::string>> headers;

  // Case-insensitive header lookup.
  std::optional<std::string> Header(std::string_view name) const;
};

// Called once per exchange with the head and the body stream. May throw; the
// exception propagates out of Send.
using ResponseHandler =
    std::function<void(const HttpResponseHead&, std::istream& body)>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Throws TransportError for connect/TLS/timeout/reset faults.
  virtual void Send(const HttpRequest& request,
                    const ResponseHandler& on_response) = 0;
};

struct TransportOptions {
  std::string base_url;  // scheme://host[:port][/prefix]
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds read_timeout{300};
  bool allow_insecure_http = false;  // http:// to a non-loopback host
  std::string ca_file;               // extra CA bundle; system CAs otherwise
  // Proxy URL (http://[user:pass@]host:port). Empty: taken from the
  // HTTPS_PROXY / HTTP_PROXY environment (and NO_PROXY) by MakeTransport.
  std::string proxy_url;
  std::string user_agent = "qualys-exporter";
};

// Validates the URL (scheme, loopback rule for http) and builds a Poco-based
// transport that verifies TLS peers against the system CAs. Throws
// std::invalid_argument with a clear message for a bad URL.
std::unique_ptr<HttpTransport> MakePocoTransport(TransportOptions options);

// Proxy selection from the environment, honouring NO_PROXY. Exposed for
// tests. Returns "" when no proxy applies.
std::string ProxyFromEnvironment(std::string_view scheme,
                                 std::string_view host);

}  // namespace qx
