#include "qx/sim/http_util.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>

namespace qx::sim {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {
constexpr std::size_t kMaxBody = 64 << 20;
}  // namespace

std::string ReadBody(HTTPServerRequest& req) {
  std::string body;
  // Without Content-Length or chunking a request has no body (Poco would
  // otherwise read until the client closes the connection).
  if (!req.hasContentLength() && !req.getChunkedTransferEncoding()) {
    return body;
  }
  std::istream& in = req.stream();
  char buf[16384];
  while (in && body.size() < kMaxBody) {
    in.read(buf, sizeof buf);
    body.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  return body;
}

void Send(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status,
          std::string_view content_type, const std::string& body) {
  resp.setStatusAndReason(status);
  resp.setContentType(std::string(content_type));
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  resp.sendBuffer(body.data(), body.size());
}

void SendJson(HTTPServerResponse& resp, const std::string& body,
              HTTPResponse::HTTPStatus status) {
  Send(resp, status, "application/json", body);
}

std::string GatewayHtml(int status) {
  const std::string reason = HTTPResponse::getReasonForStatus(
      static_cast<HTTPResponse::HTTPStatus>(status));
  return "<html>\r\n<head><title>" + std::to_string(status) + " " + reason +
         "</title></head>\r\n<body>\r\n<center><h1>" + std::to_string(status) +
         " " + reason + "</h1></center>\r\n</body>\r\n</html>\r\n";
}

std::optional<std::uint64_t> ToUint(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

FormParams ParseForm(std::string_view text) {
  FormParams out;
  auto decode = [](std::string_view s) {
    std::string plus(s);
    std::replace(plus.begin(), plus.end(), '+', ' ');
    std::string decoded;
    try {
      Poco::URI::decode(plus, decoded);
    } catch (const Poco::Exception&) {
      decoded = plus;
    }
    return decoded;
  };
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t amp = text.find('&', start);
    if (amp == std::string_view::npos) amp = text.size();
    const std::string_view pair = text.substr(start, amp - start);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      out.emplace_back(decode(pair.substr(0, eq)),
                       eq == std::string_view::npos
                           ? std::string()
                           : decode(pair.substr(eq + 1)));
    }
    start = amp + 1;
  }
  return out;
}

std::string Param(const FormParams& params, std::string_view key,
                  std::string_view fallback) {
  for (const auto& [k, v] : params) {
    if (k == key) return v;
  }
  return std::string(fallback);
}

std::string StripSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace qx::sim
