// A small, fast, escaping XML writer that appends to a std::string. Element
// names must outlive the element (string literals in practice). Text is
// escaped; CDATA sections split any "]]>" so they stay well-formed; code
// points XML 1.0 forbids are dropped.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qx/sim/time_util.h"

namespace qx::sim {

using XmlAttrs =
    std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Appends <![CDATA[text]]>, splitting "]]>" across two sections.
void AppendCdata(std::string& out, std::string_view text);

class XmlWriter {
 public:
  // Appends to *out. The buffer may be drained (cleared) between elements
  // when streaming a large document.
  explicit XmlWriter(std::string* out, bool indent = true)
      : out_(out), indent_(indent), wrote_(!out->empty()) {}

  void Declaration();  // <?xml version="1.0" encoding="UTF-8"?>
  void Raw(std::string_view text) { out_->append(text); }

  void Open(std::string_view name, XmlAttrs attrs = {});
  void Close();
  void CloseAll() {
    while (!stack_.empty()) Close();
  }
  void Empty(std::string_view name);
  void Text(std::string_view name, std::string_view value);
  void Cdata(std::string_view name, std::string_view value);
  void Bool(std::string_view name, bool value) {
    Text(name, value ? "true" : "false");
  }
  void Date(std::string_view name, Seconds t) { Text(name, FormatIso(t)); }
  template <std::integral T>
  void Number(std::string_view name, T value) {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, value);
    Text(name, std::string_view(buf, static_cast<std::size_t>(res.ptr - buf)));
  }
  void Decimal(std::string_view name, double value, int digits = 1);

  std::size_t depth() const { return stack_.size(); }
  std::string& buffer() { return *out_; }

 private:
  void NewLine();

  std::string* out_;
  bool indent_;
  bool wrote_;
  std::vector<std::string_view> stack_;
};

// RAII element: opens in the constructor, closes in the destructor.
class XmlElement {
 public:
  XmlElement(XmlWriter& w, std::string_view name, XmlAttrs attrs = {}) : w_(w) {
    w_.Open(name, attrs);
  }
  ~XmlElement() { w_.Close(); }
  XmlElement(const XmlElement&) = delete;
  XmlElement& operator=(const XmlElement&) = delete;

 private:
  XmlWriter& w_;
};

}  // namespace qx::sim
