#include "qx/store/binary_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

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
  const std::string p = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return nullptr;
    throw std::runtime_error("cannot read " + p + ": " + std::strerror(errno));
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0);
  char magic[kMagic.size()];
  if (size < static_cast<std::streamoff>(kMagic.size() + 9) ||
      !in.read(magic, sizeof magic) ||
      std::string_view(magic, sizeof magic) != kMagic) {
    throw StateError("state file " + p +
                     " is not a qualys-exporter store file");
  }
  // Pass 1: the checksum over everything before the trailer.
  const auto body_end = static_cast<std::uint64_t>(size) - 8;
  std::uint64_t hash = Fnv(kFnvOffset, magic, sizeof magic);
  std::string chunk(1 << 20, '\0');
  for (std::uint64_t done = sizeof magic; done < body_end;) {
    const auto n = static_cast<std::streamsize>(
        std::min<std::uint64_t>(chunk.size(), body_end - done));
    if (!in.read(chunk.data(), n)) throw std::runtime_error("cannot read " + p);
    hash = Fnv(hash, chunk.data(), static_cast<std::size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
  char trailer[8];
  if (!in.read(trailer, 8)) throw std::runtime_error("cannot read " + p);
  std::uint64_t stored = 0;
  for (int i = 0; i < 8; ++i) {
    stored |= static_cast<std::uint64_t>(static_cast<unsigned char>(trailer[i]))
              << (8 * i);
  }
  if (hash != stored) {
    throw StateError("state file " + p +
                     " is corrupt or truncated (checksum mismatch)");
  }
  // Pass 2 decodes from just after the magic.
  in.clear();
  in.seekg(static_cast<std::streamoff>(kMagic.size()));
  std::unique_ptr<BinaryStateReader> r(
      new BinaryStateReader(std::move(in), body_end - kMagic.size(), p));
  *kind = r->Str();
  return r;
}

void BinaryStateReader::Truncated() const {
  throw StateError("state file " + path_ + " ends in the middle of a record");
}

void BinaryStateReader::Fill() {
  if (left_ == 0) Truncated();
  buf_.resize(static_cast<std::size_t>(
      std::min<std::uint64_t>(left_, std::uint64_t{64} << 10)));
  if (!in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()))) {
    throw std::runtime_error("cannot read " + path_);
  }
  left_ -= buf_.size();
  pos_ = 0;
}

std::uint64_t BinaryStateReader::U64() {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    auto b = static_cast<unsigned char>(Next());
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
  const std::uint64_t n = U64();
  if (n > left_ + (buf_.size() - pos_)) Truncated();
  std::string s;
  s.reserve(static_cast<std::size_t>(n));
  while (s.size() < n) {
    if (pos_ == buf_.size()) Fill();
    const std::size_t take = static_cast<std::size_t>(
        std::min<std::uint64_t>(n - s.size(), buf_.size() - pos_));
    s.append(buf_, pos_, take);
    pos_ += take;
  }
  return s;
}

}  // namespace qx
