#include "qx/base/xml_escape.h"

namespace qx {
namespace {

struct Specials {
  bool table[256] = {};
  constexpr Specials() {
    for (unsigned c = 0; c < 0x20; ++c) table[c] = true;
    table[static_cast<unsigned char>('&')] = true;
    table[static_cast<unsigned char>('<')] = true;
    table[static_cast<unsigned char>('>')] = true;
    table[static_cast<unsigned char>('"')] = true;
  }
};
constexpr Specials kSpecials;

}  // namespace

void AppendXmlEscaped(std::string& out, std::string_view text) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (!kSpecials.table[static_cast<unsigned char>(ch)]) continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        break;  // a control character XML 1.0 forbids: dropped
    }
  }
  out.append(text.data() + run, text.size() - run);
}

}  // namespace qx
