#include "qx/client/http_transport.h"

#include <Poco/Exception.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "qx/client/errors.h"

namespace qx {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" ||
         host.rfind("127.", 0) == 0;
}

std::string Getenv(const char* upper, const char* lower) {
  if (const char* v = std::getenv(upper); v != nullptr && *v) return v;
  if (const char* v = std::getenv(lower); v != nullptr && *v) return v;
  return {};
}

class PocoTransport final : public HttpTransport {
 public:
  PocoTransport(TransportOptions options, Poco::URI base)
      : options_(std::move(options)), base_(std::move(base)) {
    https_ = base_.getScheme() == "https";
    prefix_ = base_.getPath();
    while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
    if (https_) {
      static std::once_flag ssl_init;
      std::call_once(ssl_init, [] { Poco::Net::initializeSSL(); });
      // Verify the peer against the system CAs (plus an optional bundle);
      // Poco also checks the host name against the certificate.
      context_ = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, options_.ca_file,
          Poco::Net::Context::VERIFY_RELAXED, 9, /*loadDefaultCAs=*/true,
          "HIGH:!aNULL:!MD5");
      // Poco consults the SSLManager's handler when verification fails;
      // reject instead of prompting or accepting.
      static std::once_flag handler_init;
      std::call_once(handler_init, [] {
        Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject =
            new Poco::Net::RejectCertificateHandler(false);
        Poco::Net::SSLManager::instance().initializeClient(nullptr, reject,
                                                           nullptr);
      });
    }
    std::string proxy = options_.proxy_url;
    if (proxy.empty()) {
      proxy = ProxyFromEnvironment(base_.getScheme(), base_.getHost());
    }
    if (!proxy.empty()) {
      Poco::URI p(proxy);
      proxy_host_ = p.getHost();
      proxy_port_ = p.getPort();
      const std::string& info = p.getUserInfo();
      if (auto colon = info.find(':'); colon != std::string::npos) {
        Poco::URI::decode(info.substr(0, colon), proxy_user_);
        Poco::URI::decode(info.substr(colon + 1), proxy_pass_);
      }
    }
  }

  void Send(const HttpRequest& request,
            const ResponseHandler& on_response) override {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (https_) {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(
          base_.getHost(), base_.getPort(), context_);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(base_.getHost(),
                                                               base_.getPort());
    }
    if (!proxy_host_.empty()) {
      session->setProxy(proxy_host_, proxy_port_);
      if (!proxy_user_.empty()) {
        session->setProxyCredentials(proxy_user_, proxy_pass_);
      }
    }
    session->setTimeout(
        Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(
                           options_.connect_timeout)
                           .count()),
        Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(
                           options_.read_timeout)
                           .count()),
        Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(
                           options_.read_timeout)
                           .count()));

    Poco::Net::HTTPRequest req(request.method, prefix_ + request.path,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("User-Agent", options_.user_agent);
    req.set("Accept", "application/xml, text/xml;q=0.9, */*;q=0.1");
    for (const auto& [name, value] : request.headers) req.set(name, value);
    if (!request.content_type.empty()) req.setContentType(request.content_type);
    if (request.method == "POST" || !request.body.empty()) {
      req.setContentLength(static_cast<std::streamsize>(request.body.size()));
    }
    try {
      std::ostream& out = session->sendRequest(req);
      out.write(request.body.data(),
                static_cast<std::streamsize>(request.body.size()));
      Poco::Net::HTTPResponse resp;
      std::istream& in = session->receiveResponse(resp);
      HttpResponseHead head;
      head.status = static_cast<int>(resp.getStatus());
      head.reason = resp.getReason();
      head.content_type = resp.getContentType();
      if (resp.hasContentLength()) {
        head.content_length =
            static_cast<std::uint64_t>(resp.getContentLength64());
      }
      for (const auto& [name, value] : resp)
        head.headers.emplace_back(name, value);
      on_response(head, in);
    } catch (const Poco::TimeoutException& e) {
      throw TransportError("timeout talking to " + base_.getHost() + ": " +
                           e.displayText());
    } catch (const Poco::Net::SSLException& e) {
      throw TransportError("TLS error with " + base_.getHost() + ": " +
                           e.displayText());
    } catch (const Poco::Net::NetException& e) {
      throw TransportError("network error with " + base_.getHost() + ": " +
                           e.displayText());
    } catch (const Poco::IOException& e) {
      throw TransportError("I/O error with " + base_.getHost() + ": " +
                           e.displayText());
    }
  }

 private:
  TransportOptions options_;
  Poco::URI base_;
  bool https_ = false;
  std::string prefix_;
  Poco::Net::Context::Ptr context_;
  std::string proxy_host_;
  Poco::UInt16 proxy_port_ = 0;
  std::string proxy_user_;
  std::string proxy_pass_;
};

}  // namespace

std::optional<std::string> HttpResponseHead::Header(
    std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return std::nullopt;
}

std::string ProxyFromEnvironment(std::string_view scheme,
                                 std::string_view host) {
  std::string no_proxy = Getenv("NO_PROXY", "no_proxy");
  size_t start = 0;
  while (start <= no_proxy.size()) {
    size_t end = no_proxy.find(',', start);
    if (end == std::string::npos) end = no_proxy.size();
    std::string entry = no_proxy.substr(start, end - start);
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    if (!entry.empty()) {
      if (entry == "*") return {};
      if (entry.front() == '.') entry.erase(0, 1);
      if (host == entry || (host.size() > entry.size() &&
                            host.substr(host.size() - entry.size()) == entry &&
                            host[host.size() - entry.size() - 1] == '.')) {
        return {};
      }
    }
    start = end + 1;
  }
  if (scheme == "https") return Getenv("HTTPS_PROXY", "https_proxy");
  return Getenv("HTTP_PROXY", "http_proxy");
}

std::unique_ptr<HttpTransport> MakePocoTransport(TransportOptions options) {
  Poco::URI uri;
  try {
    uri = Poco::URI(options.base_url);
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument("invalid Qualys URL '" + options.base_url +
                                "': " + e.displayText());
  }
  const std::string& scheme = uri.getScheme();
  if (scheme != "https" && scheme != "http") {
    throw std::invalid_argument("Qualys URL '" + options.base_url +
                                "' must start with https://");
  }
  if (uri.getHost().empty()) {
    throw std::invalid_argument("Qualys URL '" + options.base_url +
                                "' has no host");
  }
  if (!uri.getUserInfo().empty()) {
    throw std::invalid_argument(
        "Qualys URL must not carry credentials; use QUALYS_USERNAME and "
        "QUALYS_PASSWORD");
  }
  if (scheme == "http" && !IsLoopbackHost(uri.getHost()) &&
      !options.allow_insecure_http) {
    throw std::invalid_argument(
        "refusing plain http:// to non-loopback host '" + uri.getHost() +
        "' (credentials would travel in clear); use https:// or "
        "--qualys.insecure-http");
  }
  return std::make_unique<PocoTransport>(std::move(options), std::move(uri));
}

}  // namespace qx
