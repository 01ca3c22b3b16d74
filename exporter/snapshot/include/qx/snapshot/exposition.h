// The text exposition, rendered once and served many times.
//
// A RenderedBlock holds one published snapshot as exposition text (rendered
// by prometheus::TextSerializer when the poller publishes it) and, once some
// client asks for gzip, the same text compressed -- computed at most once per
// block. A response is any number of such blocks plus a small tail rendered
// per request (the self-metrics). To send them gzip-compressed without
// recompressing the blocks, each block is compressed as raw deflate data
// ending in a full flush (byte-aligned, no back-references across the
// boundary, as pigz does for parallel compression); GzipStream then frames the
// pieces as one gzip member: header, pieces, the tail compressed with
// Z_FINISH, and a trailer with the CRC-32 of the whole text combined from the
// pieces' CRCs.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace qx {

// Raw deflate data of some text and what the gzip trailer needs of it.
struct DeflatedPiece {
  std::string bytes;
  std::uint32_t crc32 = 0;   // of the uncompressed text
  std::uint64_t length = 0;  // uncompressed bytes
};

// Compresses text as raw deflate (no zlib/gzip framing). final: end the
// stream (Z_FINISH); otherwise end with a full flush, so that more pieces can
// follow. Throws std::runtime_error if zlib fails.
DeflatedPiece Deflate(std::string_view text, bool final, int level);

class RenderedBlock {
 public:
  // zlib level for the lazily compressed copy: Z_BEST_SPEED. The copy is
  // made once per poll, in the first gzip scrape after it, so speed matters
  // more than the last few percent of size.
  static constexpr int kGzipLevel = 1;

  explicit RenderedBlock(std::string text) : text_(std::move(text)) {}
  RenderedBlock(const RenderedBlock&) = delete;
  RenderedBlock& operator=(const RenderedBlock&) = delete;

  const std::string& text() const { return text_; }
  // The text deflated with a full flush at the end; computed on the first
  // call (concurrent callers wait for that one computation).
  const DeflatedPiece& deflated() const;
  bool deflated_yet() const;

 private:
  std::string text_;
  mutable std::once_flag once_;
  mutable DeflatedPiece deflated_;
  mutable std::atomic<bool> done_{false};
};

using Exposition = std::vector<std::shared_ptr<const RenderedBlock>>;

// The gzip framing around pre-deflated pieces (RFC 1952, one member).
class GzipStream {
 public:
  static std::string_view Header();
  // The trailer for pieces whose CRCs and lengths were combined with Add.
  void Add(const DeflatedPiece& piece);
  std::string Trailer() const;

 private:
  std::uint32_t crc_ = 0;
  std::uint64_t length_ = 0;
};

}  // namespace qx
