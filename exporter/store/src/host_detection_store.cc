#include "qx/store/host_detection_store.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "qx/store/binary_state.h"
#include "qx/store/state_file.h"

namespace qx {
namespace {

constexpr char kKind[] = "host-detection-store-v1";
constexpr std::size_t kMinBuckets = 16;
constexpr std::size_t kCompactMin = std::size_t{1} << 16;
constexpr std::uint64_t kKeyMask = ~std::uint64_t{15};

std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

}  // namespace

std::uint64_t HostDetectionStore::Pack(const HostDetection& d) {
  const std::uint64_t severity = d.severity >= 0 && d.severity <= 7
                                     ? static_cast<std::uint64_t>(d.severity)
                                     : 0;
  // The key's low bits make room for severity and type; 60 bits keep
  // collisions within one host out of reach.
  return (DetectionKey(d) & kKeyMask) | severity << 1 |
         (d.type == DetectionType::kPotential ? 1 : 0);
}

// ------------------------------------------------------------- the index

std::size_t HostDetectionStore::Bucket(std::uint64_t id) const {
  return static_cast<std::size_t>(Mix(id)) & (index_.size() - 1);
}

std::uint32_t HostDetectionStore::Find(std::uint64_t id) const {
  if (index_.empty()) return kNoSlot;
  const std::size_t mask = index_.size() - 1;
  for (std::size_t b = Bucket(id);; b = (b + 1) & mask) {
    const std::uint32_t e = index_[b];
    if (e == 0) return kNoSlot;
    if (ids_[e - 1] == id) return e - 1;
  }
}

void HostDetectionStore::IndexInsert(std::uint64_t id, std::uint32_t slot) {
  const std::size_t mask = index_.size() - 1;
  std::size_t b = Bucket(id);
  while (index_[b] != 0) b = (b + 1) & mask;
  index_[b] = slot + 1;
}

void HostDetectionStore::IndexErase(std::uint64_t id) {
  const std::size_t mask = index_.size() - 1;
  std::size_t hole = Bucket(id);
  while (ids_[index_[hole] - 1] != id) hole = (hole + 1) & mask;
  // Backward-shift deletion (see HostAssetStore::IndexErase).
  for (std::size_t j = (hole + 1) & mask;; j = (j + 1) & mask) {
    const std::uint32_t e = index_[j];
    if (e == 0) break;
    const std::size_t home = Bucket(ids_[e - 1]);
    const bool stays =
        hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      index_[hole] = e;
      hole = j;
    }
  }
  index_[hole] = 0;
}

void HostDetectionStore::Rehash(std::size_t buckets) {
  index_.assign(buckets, 0);
  for (std::uint32_t s = 0; s < ids_.size(); ++s) {
    if (count_[s] != 0) IndexInsert(ids_[s], s);
  }
}

// ------------------------------------------------------------- the hosts

bool HostDetectionStore::contains(std::uint64_t host_id) const {
  return Find(host_id) != kNoSlot;
}

std::vector<std::uint64_t> HostDetectionStore::DetectionsOf(
    std::uint64_t host_id) const {
  const std::uint32_t s = Find(host_id);
  if (s == kNoSlot) return {};
  auto it = pool_.cbegin() + begin_[s];
  return std::vector<std::uint64_t>(it, it + count_[s]);
}

void HostDetectionStore::Apply(const DetectionHost& host, Merge mode) {
  const std::uint32_t slot = Find(host.id);
  // The listed detections, by key, the last of a repeated key winning;
  // bit 0 of `counts` tells whether it counts. Sorting keeps a host with
  // thousands of detections O(n log n).
  struct Update {
    std::uint64_t packed;
    bool counts;
  };
  std::vector<Update> updates;
  updates.reserve(host.detections.size());
  for (const HostDetection& d : host.detections) {
    updates.push_back({Pack(d), CountsAsHostVulnerability(d)});
  }
  std::stable_sort(updates.begin(), updates.end(),
                   [](const Update& a, const Update& b) {
                     return (a.packed & kKeyMask) < (b.packed & kKeyMask);
                   });
  auto same_key = [](std::uint64_t a, std::uint64_t b) {
    return (a & kKeyMask) == (b & kKeyMask);
  };
  scratch_.clear();
  if (mode == Merge::kUpsert && slot != kNoSlot) {
    auto it = pool_.cbegin() + begin_[slot];
    scratch_.assign(it, it + count_[slot]);
    std::sort(scratch_.begin(), scratch_.end());  // by key: key is high bits
  }
  std::vector<std::uint64_t> merged;
  merged.reserve(scratch_.size() + updates.size());
  std::size_t old = 0;
  for (std::size_t u = 0; u < updates.size(); ++u) {
    if (u + 1 < updates.size() &&
        same_key(updates[u].packed, updates[u + 1].packed)) {
      continue;  // a later listing of the same detection wins
    }
    const std::uint64_t key = updates[u].packed & kKeyMask;
    while (old < scratch_.size() && (scratch_[old] & kKeyMask) < key) {
      merged.push_back(scratch_[old++]);
    }
    while (old < scratch_.size() && (scratch_[old] & kKeyMask) == key) ++old;
    if (updates[u].counts) merged.push_back(updates[u].packed);
  }
  while (old < scratch_.size()) merged.push_back(scratch_[old++]);
  scratch_ = std::move(merged);
  Store(host.id, slot);
}

void HostDetectionStore::Store(std::uint64_t id, std::uint32_t slot) {
  const std::size_t n = scratch_.size();
  if (slot != kNoSlot && n <= count_[slot] && n > 0) {
    std::copy(scratch_.begin(), scratch_.end(), pool_.begin() + begin_[slot]);
    garbage_ += count_[slot] - n;
    count_[slot] = static_cast<std::uint32_t>(n);
    MaybeCompact();
    return;
  }
  if (slot != kNoSlot) {
    garbage_ += count_[slot];
    if (n == 0) {  // nothing counted any more: forget the host
      IndexErase(id);
      count_[slot] = 0;
      begin_[slot] = 0;
      free_slots_.push_back(slot);
      --live_;
      MaybeCompact();
      return;
    }
    count_[slot] = 0;
  } else {
    if (n == 0) return;
    std::size_t buckets = std::max(kMinBuckets, index_.size());
    while ((live_ + 1) * 4 > buckets * 3) buckets *= 2;
    if (buckets != index_.size()) Rehash(buckets);
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
      ids_[slot] = id;
    } else {
      if (ids_.size() >= kNoSlot - 1) {
        throw std::length_error("host detection store: too many hosts");
      }
      slot = static_cast<std::uint32_t>(ids_.size());
      ids_.push_back(id);
      begin_.push_back(0);
      count_.push_back(0);
    }
    IndexInsert(id, slot);
    ++live_;
  }
  MaybeCompact();  // before appending, so the new range stays valid
  if (pool_.size() + n > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("host detection store: more than 2^32 detections");
  }
  begin_[slot] = static_cast<std::uint32_t>(pool_.size());
  pool_.insert(pool_.end(), scratch_.begin(), scratch_.end());
  count_[slot] = static_cast<std::uint32_t>(n);
}

void HostDetectionStore::MaybeCompact() {
  if (garbage_ < kCompactMin || garbage_ * 2 <= pool_.size()) return;
  Pool next;
  for (std::uint32_t s = 0; s < ids_.size(); ++s) {
    if (count_[s] == 0) {
      begin_[s] = 0;
      continue;
    }
    auto from = pool_.cbegin() + begin_[s];
    begin_[s] = static_cast<std::uint32_t>(next.size());
    next.insert(next.end(), from, from + count_[s]);
  }
  pool_ = std::move(next);
  garbage_ = 0;
}

void HostDetectionStore::Erase(std::uint64_t host_id) {
  const std::uint32_t slot = Find(host_id);
  if (slot == kNoSlot) return;
  scratch_.clear();
  Store(host_id, slot);
}

void HostDetectionStore::Clear() { *this = HostDetectionStore{}; }

// ----------------------------------------------------------- durability

void HostDetectionStore::Save(const std::filesystem::path& path) const {
  BinaryStateWriter w(path, kKind);
  w.U64(live_);
  for (std::uint32_t s = 0; s < ids_.size(); ++s) {
    if (count_[s] == 0) continue;
    w.U64(ids_[s]);
    w.U64(count_[s]);
    auto it = pool_.cbegin() + begin_[s];
    for (std::uint32_t i = 0; i < count_[s]; ++i, ++it) w.U64(*it);
  }
  w.Commit();
}

bool HostDetectionStore::Load(const std::filesystem::path& path) {
  auto r = BinaryStateReader::Open(path, kKind);
  if (!r) return false;
  HostDetectionStore next;
  const std::uint64_t n_hosts = r->U64();
  for (std::uint64_t h = 0; h < n_hosts; ++h) {
    const std::uint64_t id = r->U64();
    const std::uint64_t n = r->U64();
    if (n == 0 || n > 10'000'000 || next.Find(id) != kNoSlot) {
      throw StateError("state file " + path.string() + " has an invalid host");
    }
    next.scratch_.clear();
    for (std::uint64_t i = 0; i < n; ++i) next.scratch_.push_back(r->U64());
    next.Store(id, kNoSlot);
  }
  if (!r->AtEnd()) {
    throw StateError("state file " + path.string() + " has trailing data");
  }
  next.scratch_ = {};
  *this = std::move(next);
  return true;
}

}  // namespace qx
