// Small HTTP helpers shared by the simulator's handlers.
#pragma once

#include <Poco/Net/HTTPResponse.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace qx::sim {

inline constexpr std::string_view kQpsContentType = "application/xml";
inline constexpr std::string_view kV2ContentType = "text/xml;charset=UTF-8";

using FormParams = std::vector<std::pair<std::string, std::string>>;

// The request, response and body of one exchange.
struct HttpIo {
  Poco::Net::HTTPServerRequest& req;
  Poco::Net::HTTPServerResponse& resp;
  const std::string& body;
};

// The request body (empty without Content-Length or chunking), capped.
std::string ReadBody(Poco::Net::HTTPServerRequest& req);
void Send(Poco::Net::HTTPServerResponse& resp,
          Poco::Net::HTTPResponse::HTTPStatus status,
          std::string_view content_type, const std::string& body);
void SendJson(Poco::Net::HTTPServerResponse& resp, const std::string& body,
              Poco::Net::HTTPResponse::HTTPStatus status =
                  Poco::Net::HTTPResponse::HTTP_OK);
// The HTML page a gateway answers with (404, 414, 5xx).
std::string GatewayHtml(int status);
std::optional<std::uint64_t> ToUint(std::string_view s);
// application/x-www-form-urlencoded pairs (also query strings).
FormParams ParseForm(std::string_view text);
// The first value of key, or fallback.
std::string Param(const FormParams& params, std::string_view key,
                  std::string_view fallback = {});
std::string StripSlash(std::string path);

}  // namespace qx::sim
