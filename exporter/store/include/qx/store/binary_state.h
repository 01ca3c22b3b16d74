// Streaming binary state files for the per-record stores (hundreds of
// thousands of records): varint-encoded, written to a temp file and renamed
// into place (crash-safe like WriteFileAtomically), with a header naming the
// kind and version and an FNV-1a trailer over every byte, so a torn,
// foreign or damaged file is rejected before anything of it is used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

namespace qx {

class BinaryStateWriter {
 public:
  // Opens path's temp sibling (mode 0600). Throws std::runtime_error.
  BinaryStateWriter(std::filesystem::path path, std::string_view kind);
  ~BinaryStateWriter();  // discards the temp file unless Commit() ran

  void U64(std::uint64_t v);
  void I64(std::int64_t v);
  void Str(std::string_view s);
  // Writes the trailer, fsyncs, renames over the target.
  void Commit();

 private:
  void Raw(const char* data, std::size_t n);

  std::filesystem::path path_;
  std::filesystem::path tmp_;
  std::ofstream out_;
  std::uint64_t hash_;
  bool committed_ = false;
};

class BinaryStateReader {
 public:
  // Returns nullptr when the file does not exist. Throws StateError if the
  // header is not kind's, or the checksum/length does not match (the whole
  // file is verified before the first value is returned).
  static std::unique_ptr<BinaryStateReader> Open(
      const std::filesystem::path& path, std::string_view kind);
  // Like Open, for any kind: verifies the file and stores its kind in *kind,
  // so that a store can tell an older layout of its own (start over) from a
  // foreign file (an error).
  static std::unique_ptr<BinaryStateReader> OpenAnyKind(
      const std::filesystem::path& path, std::string* kind);

  std::uint64_t U64();
  std::int64_t I64();
  std::string Str();
  bool AtEnd() const { return pos_ == end_; }

 private:
  BinaryStateReader(std::string data, std::size_t pos, std::size_t end,
                    std::string path)
      : data_(std::move(data)), pos_(pos), end_(end), path_(std::move(path)) {}
  [[noreturn]] void Truncated() const;

  std::string data_;
  std::size_t pos_;
  std::size_t end_;
  std::string path_;
};

}  // namespace qx
