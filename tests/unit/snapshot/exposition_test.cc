// Serialize-once: SnapshotCollector renders each publish to text once, and
// the pre-deflated blocks plus a per-request tail make one valid gzip member.
#include "qx/snapshot/exposition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <sstream>
#include <stdexcept>

#include "qx/aggregate/family_builder.h"
#include "qx/snapshot/snapshot_collector.h"

namespace qx {
namespace {

// zlib's own gzip decoder (16 + MAX_WBITS): one member, CRC and length
// checked. Throws on anything invalid or on trailing data.
std::string Gunzip(const std::string& gz) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    throw std::runtime_error("init");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[1 << 14];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw std::runtime_error("inflate: " + std::to_string(rc));
    }
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc != Z_STREAM_END);
  const bool trailing = z.avail_in != 0;
  inflateEnd(&z);
  if (trailing) throw std::runtime_error("data after the gzip member");
  return out;
}

Snapshot Families(const std::string& name, int series, int value) {
  FamilyBuilder b(name, "help for " + name, prometheus::MetricType::Gauge);
  for (int i = 0; i < series; ++i) {
    b.Gauge({{"id", std::to_string(i)}, {"text", "a \"quoted\"\nvalue"}},
            value + i);
  }
  Snapshot s;
  s.push_back(std::move(b).Build());
  return s;
}

std::string Serialize(const Snapshot& s) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, s);
  return out.str();
}

TEST(Exposition, PublishRendersOnceAndSharesTheBytes) {
  SnapshotCollector c;
  const Snapshot a = Families("qx_a", 3, 1), b = Families("qx_b", 2, 7);
  c.Publish("b", b);
  c.Publish("a", a);
  auto blocks = c.Blocks();
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0]->text(), Serialize(a));  // key order
  EXPECT_EQ(blocks[1]->text(), Serialize(b));
  // Two scrapes see the same bytes, not copies.
  EXPECT_EQ(c.Blocks()[0].get(), blocks[0].get());
  // A new publish replaces the block; the old one lives while it is held.
  c.Publish("a", Families("qx_a", 1, 5));
  EXPECT_NE(c.Blocks()[0].get(), blocks[0].get());
  EXPECT_EQ(blocks[0]->text(), Serialize(a));
  std::ostringstream all;
  c.WriteText(all);
  EXPECT_EQ(all.str(), Serialize(Families("qx_a", 1, 5)) + Serialize(b));
}

TEST(Exposition, RejectsAFamilyPublishedUnderTwoKeys) {
  SnapshotCollector c;
  c.Publish("one", Families("qx_dup", 1, 1));
  EXPECT_THROW(c.Publish("two", Families("qx_dup", 1, 2)),
               std::invalid_argument);
  Snapshot twice = Families("qx_x", 1, 1);
  twice.push_back(twice.front());
  EXPECT_THROW(c.Publish("three", twice), std::invalid_argument);
  EXPECT_EQ(c.Keys(), std::set<std::string>{"one"});
  // The same key may republish its family.
  EXPECT_NO_THROW(c.Publish("one", Families("qx_dup", 2, 1)));
}

TEST(Exposition, PreDeflatedBlocksAndTailFormOneGzipMember) {
  std::string big;
  for (int i = 0; i < 20000; ++i)
    big += "metric{i=\"" + std::to_string(i) + "\"} 1\n";
  const RenderedBlock b1(big), b2("second block\n"), empty("");
  EXPECT_FALSE(b1.deflated_yet());
  const std::string tail = "qualys_up 1\n";
  GzipStream gz;
  std::string out(GzipStream::Header());
  for (const RenderedBlock* b : {&b1, &empty, &b2}) {
    out += b->deflated().bytes;
    gz.Add(b->deflated());
  }
  EXPECT_TRUE(b1.deflated_yet());
  EXPECT_EQ(&b1.deflated(), &b1.deflated());  // computed once
  auto last = Deflate(tail, /*final=*/true, RenderedBlock::kGzipLevel);
  out += last.bytes;
  gz.Add(last);
  out += gz.Trailer();
  EXPECT_EQ(Gunzip(out), big + "second block\n" + tail);
  EXPECT_LT(out.size(), big.size() / 4);  // it does compress
  // A corrupted trailer is caught by the decoder: the CRC is checked.
  std::string bad = out;
  bad[bad.size() - 8] ^= 1;
  EXPECT_THROW(Gunzip(bad), std::runtime_error);
}

}  // namespace
}  // namespace qx
