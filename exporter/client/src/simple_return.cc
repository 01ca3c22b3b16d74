// <SIMPLE_RETURN><RESPONSE><DATETIME/><CODE/><TEXT/></RESPONSE></SIMPLE_RETURN>:
// the error answer of API v2 and of HTTP 409 limit responses. Used on error
// bodies, which may be anything (HTML, truncated, empty): every body that is
// not a complete SIMPLE_RETURN document yields nullopt rather than an error.
#include <optional>
#include <string>

#include "qx/client/errors.h"
#include "qx/client/parsers.h"
#include "xml_sax.h"

namespace qx {
namespace {

enum Id : int { kCode, kText };

const sax::PathTable& Table() {
  static const sax::PathTable table = [] {
    sax::PathTable t;
    t.Add(kCode, "SIMPLE_RETURN/RESPONSE/CODE");
    t.Add(kText, "SIMPLE_RETURN/RESPONSE/TEXT");
    return t;
  }();
  return table;
}

class SimpleReturnHandler final : public sax::PathHandler {
 public:
  SimpleReturnHandler() : PathHandler(Table(), "SIMPLE_RETURN") {}
  SimpleReturn result;

 private:
  void OnEnd(int id, std::string_view text) override {
    if (id == kCode) result.code = text;
    if (id == kText) result.text = text;
  }
};

}  // namespace

std::optional<SimpleReturn> ParseSimpleReturn(std::string_view body) {
  SimpleReturnHandler handler;
  try {
    handler.Parse(body);
  } catch (const ParseError&) {
    return std::nullopt;
  }
  return std::move(handler.result);
}

}  // namespace qx
