#include "qx/snapshot/exposition.h"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

namespace qx {

DeflatedPiece Deflate(std::string_view text, bool final, int level) {
  z_stream z{};
  // -15: raw deflate with a 32 KiB window (the framing is GzipStream's).
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib: deflateInit2 failed");
  }
  DeflatedPiece out;
  out.length = text.size();
  std::string_view rest = text;
  while (!rest.empty()) {  // crc32 takes uInt lengths
    auto n = static_cast<uInt>(std::min<std::size_t>(rest.size(), 1u << 30));
    out.crc32 = static_cast<std::uint32_t>(
        crc32(out.crc32, reinterpret_cast<const Bytef*>(rest.data()), n));
    rest.remove_prefix(n);
  }
  out.bytes.resize(deflateBound(&z, text.size()) + 64);
  constexpr std::size_t kMaxChunk = std::size_t{1} << 30;  // fits uInt
  std::size_t consumed = 0, produced = 0;
  const int flush = final ? Z_FINISH : Z_FULL_FLUSH;
  for (;;) {
    const std::size_t in_left = text.size() - consumed;
    const auto in_now = static_cast<uInt>(std::min(in_left, kMaxChunk));
    const bool last_chunk = in_now == in_left;
    if (out.bytes.size() - produced < 64)
      out.bytes.resize(out.bytes.size() * 2);
    const auto out_now =
        static_cast<uInt>(std::min(out.bytes.size() - produced, kMaxChunk));
    z.next_in =
        reinterpret_cast<Bytef*>(const_cast<char*>(text.data()) + consumed);
    z.avail_in = in_now;
    z.next_out = reinterpret_cast<Bytef*>(out.bytes.data() + produced);
    z.avail_out = out_now;
    const int rc = deflate(&z, last_chunk ? flush : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) {
      deflateEnd(&z);
      throw std::runtime_error("zlib: deflate failed");
    }
    consumed += in_now - z.avail_in;
    produced += out_now - z.avail_out;
    // A flush is complete when deflate left output space unused.
    if (final ? rc == Z_STREAM_END
              : last_chunk && z.avail_in == 0 && z.avail_out != 0) {
      break;
    }
  }
  deflateEnd(&z);
  out.bytes.resize(produced);
  out.bytes.shrink_to_fit();
  return out;
}

const DeflatedPiece& RenderedBlock::deflated() const {
  std::call_once(once_, [this] {
    deflated_ = Deflate(text_, /*final=*/false, kGzipLevel);
    done_.store(true, std::memory_order_release);
  });
  return deflated_;
}

bool RenderedBlock::deflated_yet() const {
  return done_.load(std::memory_order_acquire);
}

std::string_view GzipStream::Header() {
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown).
  static constexpr char kHeader[] = {'\x1f', '\x8b', '\x08', '\0', '\0',
                                     '\0',   '\0',   '\0',   '\0', '\xff'};
  return {kHeader, sizeof kHeader};
}

void GzipStream::Add(const DeflatedPiece& piece) {
  crc_ = static_cast<std::uint32_t>(
      crc32_combine(crc_, piece.crc32, static_cast<z_off_t>(piece.length)));
  length_ += piece.length;
}

std::string GzipStream::Trailer() const {
  std::string t(8, '\0');
  for (int i = 0; i < 4; ++i) {
    t[static_cast<std::size_t>(i)] =
        static_cast<char>((crc_ >> (8 * i)) & 0xff);
    t[static_cast<std::size_t>(4 + i)] =
        static_cast<char>((length_ >> (8 * i)) & 0xff);  // ISIZE: mod 2^32
  }
  return t;
}

}  // namespace qx
