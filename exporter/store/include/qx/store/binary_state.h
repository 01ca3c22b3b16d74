// Streaming binary state files for the per-record stores (hundreds of
// thousands of records): varint-encoded, written to a temp file and renamed
// into place (crash-safe like WriteFileAtomically), with a header naming the
// kind and version and an FNV-1a trailer over every byte, so a torn,
// foreign or damaged file is rejected before anything of it is used. The
// reader streams too: one pass verifies the checksum, a second decodes, so
// loading a store never holds the whole file in memory (tens of MiB at a
// million hosts) beside the store it builds. Files are replaced by rename,
// never rewritten in place, so both passes read the same bytes.
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
  bool AtEnd() const { return left_ == 0 && pos_ == buf_.size(); }

 private:
  BinaryStateReader(std::ifstream in, std::uint64_t body, std::string path)
      : in_(std::move(in)), left_(body), path_(std::move(path)) {}
  [[noreturn]] void Truncated() const;
  // The next byte of the body (before the trailer); throws at its end.
  char Next() {
    if (pos_ == buf_.size()) Fill();
    return buf_[pos_++];
  }
  void Fill();

  std::ifstream in_;
  std::uint64_t left_;  // body bytes not yet handed out
  std::string buf_;     // the chunk being decoded
  std::size_t pos_ = 0;
  std::string path_;
};

}  // namespace qx
