#include "qx/sim/xml_writer.h"

#include <cstdio>

#include "qx/base/xml_escape.h"

namespace qx::sim {
namespace {

// XML 1.0 allows tab, newline and carriage return among the C0 controls.
constexpr bool Forbidden(unsigned char c) {
  return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

}  // namespace

void AppendCdata(std::string& out, std::string_view text) {
  out += "<![CDATA[";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == ']' && text.substr(i, 3) == "]]>") {
      // End the section between "]]" and ">" and start a new one.
      out += "]]]]><![CDATA[>";
      i += 2;
      continue;
    }
    if (!Forbidden(static_cast<unsigned char>(ch))) out += ch;
  }
  out += "]]>";
}

void XmlWriter::Declaration() {
  out_->append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
  wrote_ = true;
}

void XmlWriter::NewLine() {
  if (!indent_) return;
  if (wrote_) out_->push_back('\n');
  wrote_ = true;
  out_->append(2 * stack_.size(), ' ');
}

void XmlWriter::Open(std::string_view name, XmlAttrs attrs) {
  NewLine();
  out_->push_back('<');
  out_->append(name);
  for (const auto& [key, value] : attrs) {
    out_->push_back(' ');
    out_->append(key);
    out_->append("=\"");
    AppendXmlEscaped(*out_, value);
    out_->push_back('"');
  }
  out_->push_back('>');
  stack_.push_back(name);
}

void XmlWriter::Close() {
  if (stack_.empty()) return;
  const std::string_view name = stack_.back();
  stack_.pop_back();
  NewLine();
  out_->append("</");
  out_->append(name);
  out_->push_back('>');
}

void XmlWriter::Empty(std::string_view name) {
  NewLine();
  out_->push_back('<');
  out_->append(name);
  out_->append("/>");
}

void XmlWriter::Text(std::string_view name, std::string_view value) {
  NewLine();
  out_->push_back('<');
  out_->append(name);
  out_->push_back('>');
  AppendXmlEscaped(*out_, value);
  out_->append("</");
  out_->append(name);
  out_->push_back('>');
}

void XmlWriter::Cdata(std::string_view name, std::string_view value) {
  NewLine();
  out_->push_back('<');
  out_->append(name);
  out_->push_back('>');
  AppendCdata(*out_, value);
  out_->append("</");
  out_->append(name);
  out_->push_back('>');
}

void XmlWriter::Decimal(std::string_view name, double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  Text(name, buf);
}

}  // namespace qx::sim
