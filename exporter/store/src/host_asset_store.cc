#include "qx/store/host_asset_store.h"

#include <algorithm>
#include <limits>

#include "qx/records/timestamp.h"

namespace qx {
namespace {

constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kMinBuckets = 16;
// Compact the QID pool when garbage is more than half of it and at least
// this many entries (so small stores never bother).
constexpr std::size_t kCompactMin = std::size_t{1} << 16;
// DistinctQids uses a bitmap up to this QID (8 MiB), sorting above it.
constexpr std::uint32_t kBitmapMaxQid = std::uint32_t{1} << 26;

// ISO-8601 -> Unix seconds in 32 bits; 0 when empty, malformed or before
// 1970 (counted as never), saturated after 2106.
std::uint32_t Seconds32(std::string_view iso) {
  if (iso.empty()) return 0;
  const auto t = ParseIsoTimestamp(iso);
  if (!t || *t <= 0) return 0;
  return static_cast<std::uint32_t>(
      std::min<std::int64_t>(*t, std::numeric_limits<std::uint32_t>::max()));
}

std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

}  // namespace

// ------------------------------------------------------------------ QIDs

std::uint32_t HostAssetStore::Encode(std::uint64_t qid) {
  if (qid < kWideBit) {
    auto narrow = static_cast<std::uint32_t>(qid);
    max_narrow_ = std::max(max_narrow_, narrow);
    return narrow;
  }
  auto it = wide_index_.find(qid);
  if (it != wide_index_.end()) return it->second | kWideBit;
  if (wide_qids_.size() >= kWideBit) {
    throw std::length_error("host asset store: too many distinct QIDs >= 2^31");
  }
  auto index = static_cast<std::uint32_t>(wide_qids_.size());
  wide_qids_.push_back(qid);
  wide_index_.emplace(qid, index);
  return index | kWideBit;
}

void HostAssetStore::StoreQids(std::uint32_t slot) {
  const std::uint32_t old = qid_count_[slot];
  const std::size_t n = scratch_.size();
  // Invariant: a slot without QIDs has offset 0, so offsets never point
  // past the end of a pool that shrank in a compaction.
  if (n <= old) {
    // Fits where the old ones were.
    if (n > 0) {
      std::copy(scratch_.begin(), scratch_.end(),
                pool_.begin() + qid_begin_[slot]);
    } else {
      qid_begin_[slot] = 0;
    }
    pool_garbage_ += old - n;
    qid_count_[slot] = static_cast<std::uint32_t>(n);
  } else {
    pool_garbage_ += old;
    qid_count_[slot] = 0;
    qid_begin_[slot] = 0;
    MaybeCompact();
    if (pool_.size() + n > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("host asset store: more than 2^32 detections");
    }
    qid_begin_[slot] = static_cast<std::uint32_t>(pool_.size());
    pool_.insert(pool_.end(), scratch_.begin(), scratch_.end());
    qid_count_[slot] = static_cast<std::uint32_t>(n);
  }
  MaybeCompact();
}

void HostAssetStore::MaybeCompact() {
  if (pool_garbage_ >= kCompactMin && pool_garbage_ * 2 > pool_.size()) {
    Compact();
  }
}

void HostAssetStore::Compact() {
  Pool next;
  for (std::uint32_t s = 0; s < slots(); ++s) {
    if (!Live(s) || qid_count_[s] == 0) {
      qid_begin_[s] = 0;
      continue;
    }
    auto from = pool_.cbegin() + qid_begin_[s];
    auto begin = static_cast<std::uint32_t>(next.size());
    next.insert(next.end(), from, from + qid_count_[s]);
    qid_begin_[s] = begin;
  }
  pool_ = std::move(next);
  pool_garbage_ = 0;
}

// ------------------------------------------------------------- the index

std::size_t HostAssetStore::Bucket(std::uint64_t id) const {
  return static_cast<std::size_t>(Mix(id)) & (index_.size() - 1);
}

std::uint32_t HostAssetStore::Find(std::uint64_t id) const {
  if (index_.empty()) return kNoSlot;
  const std::size_t mask = index_.size() - 1;
  for (std::size_t b = Bucket(id);; b = (b + 1) & mask) {
    const std::uint32_t e = index_[b];
    if (e == kEmpty) return kNoSlot;
    if (ids_[e - 1] == id) return e - 1;
  }
}

void HostAssetStore::IndexInsert(std::uint64_t id, std::uint32_t slot) {
  const std::size_t mask = index_.size() - 1;
  std::size_t b = Bucket(id);
  while (index_[b] != kEmpty) b = (b + 1) & mask;
  index_[b] = slot + 1;
}

void HostAssetStore::IndexErase(std::uint64_t id) {
  if (index_.empty()) return;
  const std::size_t mask = index_.size() - 1;
  std::size_t hole = Bucket(id);
  while (true) {
    const std::uint32_t e = index_[hole];
    if (e == kEmpty) return;
    if (ids_[e - 1] == id) break;
    hole = (hole + 1) & mask;
  }
  // Backward-shift deletion: pull later entries of the probe run into the
  // hole unless their home bucket lies cyclically in (hole, j].
  for (std::size_t j = (hole + 1) & mask;; j = (j + 1) & mask) {
    const std::uint32_t e = index_[j];
    if (e == kEmpty) break;
    const std::size_t home = Bucket(ids_[e - 1]);
    const bool stays =
        hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      index_[hole] = e;
      hole = j;
    }
  }
  index_[hole] = kEmpty;
}

void HostAssetStore::Rehash(std::size_t buckets) {
  index_.assign(buckets, kEmpty);
  for (std::uint32_t s = 0; s < slots(); ++s) {
    if (Live(s)) IndexInsert(ids_[s], s);
  }
}

void HostAssetStore::ReserveHosts(std::size_t n) {
  // Load factor at most 3/4.
  std::size_t buckets = std::max(kMinBuckets, index_.size());
  while (n * 4 > buckets * 3) buckets *= 2;
  if (buckets != index_.size()) Rehash(buckets);
}

// ------------------------------------------------------------- the hosts

std::uint32_t HostAssetStore::InternAzure(AzureSource&& s) {
  auto key = std::make_tuple(s.subscription_id, s.resource_group, s.vnet,
                             s.subnet, s.location, s.state);
  auto [it, inserted] = azure_index_.try_emplace(
      std::move(key), static_cast<std::uint32_t>(azure_sources_.size()));
  if (inserted) azure_sources_.push_back(std::move(s));
  return it->second;
}

void HostAssetStore::Insert(std::uint64_t id, CloudProvider provider,
                            std::uint32_t azure) {
  ReserveHosts(live_ + 1);
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    ids_[slot] = id;
  } else {
    if (slots() == kNoSlot - 1) {
      throw std::length_error("host asset store: too many hosts");
    }
    slot = slots();
    ids_.push_back(id);
    provider_.push_back(kFreeSlot);
    azure_.push_back(kNoAzure);
    qid_begin_.push_back(0);
    qid_count_.push_back(0);
    qweb_.push_back(0);
    last_scan_.push_back(0);
    checked_in_.push_back(0);
  }
  provider_[slot] = static_cast<std::uint8_t>(provider);
  azure_[slot] = azure;
  StoreQids(slot);
  IndexInsert(id, slot);
  ++live_;
}

void HostAssetStore::SetCoverage(std::uint32_t slot, std::uint64_t qweb,
                                 std::uint32_t last_scan,
                                 std::uint32_t checked_in) {
  qweb_[slot] = qweb;
  last_scan_[slot] = last_scan;
  checked_in_[slot] = checked_in;
}

void HostAssetStore::Upsert(HostAsset&& asset) {
  scratch_.clear();
  scratch_.reserve(asset.vulns.size());
  for (const auto& v : asset.vulns) scratch_.push_back(Encode(v.qid));
  const std::uint32_t azure =
      asset.azure ? InternAzure(std::move(*asset.azure)) : kNoAzure;
  std::uint32_t slot = Find(asset.id);
  if (slot == kNoSlot) {
    Insert(asset.id, asset.cloud_provider, azure);
    slot = Find(asset.id);
  } else {
    provider_[slot] = static_cast<std::uint8_t>(asset.cloud_provider);
    azure_[slot] = azure;
    StoreQids(slot);
  }
  SetCoverage(slot, asset.qweb_host_id, Seconds32(asset.last_vuln_scan),
              Seconds32(asset.agent_last_checked_in));
}

void HostAssetStore::Erase(std::uint64_t id) {
  const std::uint32_t slot = Find(id);
  if (slot == kNoSlot) return;
  IndexErase(id);
  pool_garbage_ += qid_count_[slot];
  qid_count_[slot] = 0;
  qid_begin_[slot] = 0;
  provider_[slot] = kFreeSlot;
  azure_[slot] = kNoAzure;
  SetCoverage(slot, 0, 0, 0);
  free_slots_.push_back(slot);
  --live_;
  MaybeCompact();
}

void HostAssetStore::Clear() { *this = HostAssetStore{}; }

HostAssetStore::Host HostAssetStore::Materialize(std::uint32_t slot) const {
  Host h;
  h.cloud_provider = static_cast<CloudProvider>(provider_[slot]);
  h.azure = azure_[slot];
  QidRange qids(pool_.cbegin() + qid_begin_[slot], qid_count_[slot],
                wide_qids_.data());
  h.qids.assign(qids.begin(), qids.end());
  h.qweb_host_id = qweb_[slot];
  h.last_vuln_scan = last_scan_[slot];
  h.agent_last_checked_in = checked_in_[slot];
  return h;
}

HostAssetStore::Host HostAssetStore::HostsView::at(std::uint64_t id) const {
  const std::uint32_t slot = s_->Find(id);
  if (slot == kNoSlot) {
    throw std::out_of_range("HostAssetStore: no host " + std::to_string(id));
  }
  return s_->Materialize(slot);
}

bool HostAssetStore::HostsView::contains(std::uint64_t id) const {
  return s_->Find(id) != kNoSlot;
}

std::vector<std::uint64_t> HostAssetStore::DistinctQids() const {
  std::vector<std::uint64_t> out;
  std::vector<std::uint32_t> wide;  // encoded
  if (max_narrow_ < kBitmapMaxQid) {
    std::vector<std::uint64_t> bits(max_narrow_ / 64 + 1, 0);
    for (std::uint32_t s = 0; s < slots(); ++s) {
      if (!Live(s)) continue;
      auto it = pool_.cbegin() + qid_begin_[s];
      for (std::uint32_t i = 0; i < qid_count_[s]; ++i, ++it) {
        const std::uint32_t v = *it;
        if ((v & kWideBit) != 0) {
          wide.push_back(v);
        } else {
          bits[v / 64] |= std::uint64_t{1} << (v % 64);
        }
      }
    }
    for (std::size_t w = 0; w < bits.size(); ++w) {
      for (std::uint64_t word = bits[w]; word != 0; word &= word - 1) {
        out.push_back(w * 64 +
                      static_cast<std::uint64_t>(__builtin_ctzll(word)));
      }
    }
  } else {
    std::vector<std::uint32_t> narrow;
    for (std::uint32_t s = 0; s < slots(); ++s) {
      if (!Live(s)) continue;
      auto it = pool_.cbegin() + qid_begin_[s];
      for (std::uint32_t i = 0; i < qid_count_[s]; ++i, ++it) {
        ((*it & kWideBit) != 0 ? wide : narrow).push_back(*it);
      }
    }
    std::sort(narrow.begin(), narrow.end());
    narrow.erase(std::unique(narrow.begin(), narrow.end()), narrow.end());
    out.assign(narrow.begin(), narrow.end());
  }
  // Wide QIDs are all >= 2^31, above every narrow one.
  std::vector<std::uint64_t> decoded;
  decoded.reserve(wide.size());
  for (auto v : wide) decoded.push_back(Decode(v, wide_qids_.data()));
  std::sort(decoded.begin(), decoded.end());
  decoded.erase(std::unique(decoded.begin(), decoded.end()), decoded.end());
  out.insert(out.end(), decoded.begin(), decoded.end());
  return out;
}

std::size_t HostAssetStore::MemoryBytes() const {
  std::size_t n = ids_.capacity() * sizeof(std::uint64_t) +
                  provider_.capacity() + azure_.capacity() * 4 +
                  qid_begin_.capacity() * 4 + qid_count_.capacity() * 4 +
                  qweb_.capacity() * 8 + last_scan_.capacity() * 4 +
                  checked_in_.capacity() * 4 + free_slots_.capacity() * 4 +
                  index_.capacity() * 4 + pool_.size() * 4 +
                  wide_qids_.capacity() * 8 + wide_index_.size() * 32 +
                  scratch_.capacity() * 4;
  for (const auto& s : azure_sources_) {
    n += 2 * (sizeof(AzureSource) + s.subscription_id.capacity() +
              s.resource_group.capacity() + s.vnet.capacity() +
              s.subnet.capacity() + s.location.capacity() + s.state.capacity());
  }
  return n;
}

}  // namespace qx
