#include "qx/sim/json_writer.h"

#include <cstdio>

namespace qx::sim {

void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

void JsonWriter::Separator() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_value_.empty()) {
    if (has_value_.back()) out_->push_back(',');
    has_value_.back() = true;
  }
}

void JsonWriter::BeginObject() {
  Separator();
  out_->push_back('{');
  has_value_.push_back(false);
}

void JsonWriter::EndObject() {
  has_value_.pop_back();
  out_->push_back('}');
}

void JsonWriter::BeginArray() {
  Separator();
  out_->push_back('[');
  has_value_.push_back(false);
}

void JsonWriter::EndArray() {
  has_value_.pop_back();
  out_->push_back(']');
}

void JsonWriter::Key(std::string_view key) {
  Separator();
  AppendJsonString(*out_, key);
  out_->push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view value) {
  Separator();
  AppendJsonString(*out_, value);
}

void JsonWriter::Int(std::int64_t value) {
  Separator();
  *out_ += std::to_string(value);
}

void JsonWriter::Uint(std::uint64_t value) {
  Separator();
  *out_ += std::to_string(value);
}

void JsonWriter::Bool(bool value) {
  Separator();
  *out_ += value ? "true" : "false";
}

}  // namespace qx::sim
