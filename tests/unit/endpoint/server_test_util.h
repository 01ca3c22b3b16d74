// Helpers for the tests of qx::MetricsServer: plain and TLS HTTP clients
// (Poco) against servers the tests start on loopback.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

namespace qx::testing {

struct Reply {
  int status = -1;  // -1: the connection or TLS handshake failed
  std::string body;
  std::map<std::string, std::string> headers;
  std::string error;
};

inline Reply Exchange(Poco::Net::HTTPClientSession& session,
                      const std::string& method, const std::string& path,
                      const std::map<std::string, std::string>& headers) {
  Reply r;
  try {
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    session.setKeepAlive(true);  // sendRequest copies it into the request
    for (const auto& [k, v] : headers) req.set(k, v);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    std::ostringstream body;
    body << in.rdbuf();
    r.status = static_cast<int>(resp.getStatus());
    r.body = body.str();
    for (const auto& [k, v] : resp) r.headers[k] = v;
  } catch (const Poco::Exception& e) {
    r.error = e.displayText();
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

inline Reply Get(const std::string& host, int port, const std::string& path,
                 const std::map<std::string, std::string>& headers = {},
                 const std::string& method = "GET") {
  Poco::Net::HTTPClientSession session(host, static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(10, 0));
  return Exchange(session, method, path, headers);
}

inline std::string BasicAuth(const std::string& user, const std::string& pw) {
  Poco::Net::HTTPRequest req;
  Poco::Net::HTTPBasicCredentials(user, pw).authenticate(req);
  return req.get("Authorization");
}

// GET https://localhost:port/path trusting ca, with an optional client
// certificate.
inline Reply HttpsGet(int port, const std::string& ca, const std::string& cert,
                      const std::string& key, const std::string& path,
                      const std::map<std::string, std::string>& headers = {}) {
  static std::once_flag init;
  std::call_once(init, [] {
    Poco::Net::initializeSSL();
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject =
        new Poco::Net::RejectCertificateHandler(false);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject,
                                                       nullptr);
  });
  try {
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, key, cert, ca,
        Poco::Net::Context::VERIFY_RELAXED, 9, false);
    Poco::Net::HTTPSClientSession session("localhost",
                                          static_cast<Poco::UInt16>(port), ctx);
    session.setTimeout(Poco::Timespan(10, 0));
    return Exchange(session, "GET", path, headers);
  } catch (const Poco::Exception& e) {
    Reply r;
    r.error = e.displayText();
    return r;
  }
}

// Polls pred every 20 ms for up to timeout.
inline bool WaitFor(const std::function<bool()>& pred,
                    std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace qx::testing
