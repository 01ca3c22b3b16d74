#include "qx/store/binary_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "qx/store/atomic_file.h"
#include "qx/store/state_file.h"

namespace qx {
namespace {

constexpr std::string_view kMagic = "QXSTATE1";
constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;

std::uint64_t Fnv(std::uint64_t h, const char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

BinaryStateWriter::BinaryStateWriter(std::filesystem::path path,
                                     std::string_view kind)
    : path_(std::move(path)), hash_(kFnvOffset) {
  tmp_ = path_;
  tmp_ += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error("cannot create " + tmp_.string() + ": " +
                             std::strerror(errno));
  }
  ::close(fd);
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) throw std::runtime_error("cannot open " + tmp_.string());
  Raw(kMagic.data(), kMagic.size());
  Str(kind);
}

BinaryStateWriter::~BinaryStateWriter() {
  if (!committed_) {
    out_.close();
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

void BinaryStateWriter::Raw(const char* data, std::size_t n) {
  hash_ = Fnv(hash_, data, n);
  out_.write(data, static_cast<std::streamsize>(n));
}

void BinaryStateWriter::U64(std::uint64_t v) {
  char buf[10];
  std::size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  Raw(buf, n);
}

void BinaryStateWriter::I64(std::int64_t v) {
  // Zigzag so small negative numbers stay small.
  U64((static_cast<std::uint64_t>(v) << 1) ^
      static_cast<std::uint64_t>(v >> 63));
}

void BinaryStateWriter::Str(std::string_view s) {
  U64(s.size());
  Raw(s.data(), s.size());
}

void BinaryStateWriter::Commit() {
  std::uint64_t h = hash_;
  char trailer[8];
  for (int i = 0; i < 8; ++i) trailer[i] = static_cast<char>(h >> (8 * i));
  out_.write(trailer, 8);
  out_.close();
  if (!out_) throw std::runtime_error("cannot write " + tmp_.string());
  int fd = ::open(tmp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot fsync " + tmp_.string());
  }
  ::close(fd);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    throw std::runtime_error("cannot rename into " + path_.string() + ": " +
                             std::strerror(errno));
  }
  auto dir = path_.parent_path();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  committed_ = true;
}

std::unique_ptr<BinaryStateReader> BinaryStateReader::Open(
    const std::filesystem::path& path, std::string_view kind) {
  std::string got;
  auto r = OpenAnyKind(path, &got);
  if (r && got != kind) {
    throw StateError("state file " + path.string() + " holds '" + got +
                     "', expected '" + std::string(kind) + "'");
  }
  return r;
}

std::unique_ptr<BinaryStateReader> BinaryStateReader::OpenAnyKind(
    const std::filesystem::path& path, std::string* kind) {
  auto content = ReadFileIfExists(path);
  if (!content) return nullptr;
  std::string& data = *content;
  const std::string p = path.string();
  if (data.size() < kMagic.size() + 9 ||
      std::string_view(data).substr(0, kMagic.size()) != kMagic) {
    throw StateError("state file " + p +
                     " is not a qualys-exporter store file");
  }
  std::size_t body_end = data.size() - 8;
  std::uint64_t stored = 0;
  for (int i = 0; i < 8; ++i) {
    stored |= static_cast<std::uint64_t>(static_cast<unsigned char>(
                  data[body_end + static_cast<std::size_t>(i)]))
              << (8 * i);
  }
  if (Fnv(kFnvOffset, data.data(), body_end) != stored) {
    throw StateError("state file " + p +
                     " is corrupt or truncated (checksum mismatch)");
  }
  std::unique_ptr<BinaryStateReader> r(
      new BinaryStateReader(std::move(data), kMagic.size(), body_end, p));
  *kind = r->Str();
  return r;
}

void BinaryStateReader::Truncated() const {
  throw StateError("state file " + path_ + " ends in the middle of a record");
}

std::uint64_t BinaryStateReader::U64() {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= end_) Truncated();
    auto b = static_cast<unsigned char>(data_[pos_++]);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw StateError("state file " + path_ + " has an invalid number");
}

std::int64_t BinaryStateReader::I64() {
  std::uint64_t z = U64();
  return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

std::string BinaryStateReader::Str() {
  std::uint64_t n = U64();
  if (n > end_ - pos_) Truncated();
  std::string s = data_.substr(pos_, n);
  pos_ += n;
  return s;
}

}  // namespace qx
