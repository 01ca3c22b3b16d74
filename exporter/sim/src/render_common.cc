#include "qx/sim/renderers.h"

namespace qx::sim {

void OpenServiceResponse(XmlWriter& w, std::string_view xsd) {
  w.Declaration();
  w.Open("ServiceResponse",
         {{"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"},
          {"xsi:noNamespaceSchemaLocation", xsd}});
}

std::string RenderQpsError(std::string_view xsd, std::string_view code,
                           std::string_view message,
                           std::string_view resolution) {
  std::string out;
  XmlWriter w(&out);
  OpenServiceResponse(w, xsd);
  w.Text("responseCode", code);
  {
    XmlElement details(w, "responseErrorDetails");
    w.Text("errorMessage", message);
    if (!resolution.empty()) w.Text("errorResolution", resolution);
  }
  w.CloseAll();
  out.push_back('\n');
  return out;
}

std::string RenderQpsCount(std::string_view xsd, std::uint64_t count) {
  std::string out;
  XmlWriter w(&out);
  OpenServiceResponse(w, xsd);
  w.Text("responseCode", "SUCCESS");
  w.Number("count", count);
  w.CloseAll();
  out.push_back('\n');
  return out;
}

std::string RenderSimpleReturn(std::string_view code, std::string_view text,
                               Seconds now,
                               std::optional<Seconds> seconds_to_wait) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
      "<!DOCTYPE SIMPLE_RETURN SYSTEM "
      "\"https://qualysapi.qualys.com/api/2.0/simple_return.dtd\">";
  XmlWriter w(&out);
  XmlElement root(w, "SIMPLE_RETURN");
  XmlElement response(w, "RESPONSE");
  w.Date("DATETIME", now);
  if (!code.empty()) w.Text("CODE", code);
  w.Text("TEXT", text);
  if (seconds_to_wait) {
    XmlElement list(w, "ITEM_LIST");
    XmlElement item(w, "ITEM");
    w.Text("KEY", "SECONDS_TO_WAIT");
    w.Number("VALUE", *seconds_to_wait);
  }
  return out;
}

std::string Base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                       (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace qx::sim
