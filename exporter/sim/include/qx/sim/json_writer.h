// Minimal streaming JSON writer (compact output, UTF-8 passed through).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qx::sim {

void AppendJsonString(std::string& out, std::string_view text);

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(std::int64_t value);
  void Uint(std::uint64_t value);
  void Bool(bool value);

  // Key + value shorthands.
  void Field(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void Field(std::string_view key, const char* value) {
    Field(key, std::string_view(value));
  }
  void FieldInt(std::string_view key, std::int64_t value) {
    Key(key);
    Int(value);
  }
  void FieldUint(std::string_view key, std::uint64_t value) {
    Key(key);
    Uint(value);
  }

 private:
  void Separator();

  std::string* out_;
  // One entry per open container: whether it already holds a value.
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

}  // namespace qx::sim
