// HostDetectionStore: the detections of every Host List Detection host that
// count as host vulnerabilities (CountsAsHostVulnerability: open, Confirmed
// or Potential), keyed by the detection host id (= HostAsset qwebHostId).
//
// Two ways to apply a host, so the numbers are right whichever way the API
// answers an incremental walk:
//  - kReplace: the host's DETECTION_LIST is its complete list (full syncs,
//    vm_processed_after walks): its counted set becomes exactly that;
//  - kUpsert: the list holds only detections that changed
//    (detection_updated_since walks): each listed detection is added, or
//    removed when it no longer counts (Fixed, ignored, disabled, Info), by
//    its DetectionKey; unlisted ones stay.
// Both need closed detections in the answer to learn of a closure (see
// docs/qualys-api.md): the client asks for every status and for
// ignored and disabled detections.
//
// Layout: one 64-bit word per counted detection, (key >> 4) << 4 | severity
// (3 bits) << 1 | potential (1 bit), pooled in a deque; hosts in slots of
// parallel arrays (id, pool offset, count) with an open-addressing id index,
// as HostAssetStore. About 24 bytes per host plus 8 per counted detection;
// hosts with nothing counted are not kept.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <vector>

#include "qx/records/records.h"

namespace qx {

class HostDetectionStore {
  using Pool = std::deque<std::uint64_t>;

 public:
  enum class Merge { kReplace, kUpsert };

  // A counted detection as stored.
  static int Severity(std::uint64_t packed) {
    return static_cast<int>((packed >> 1) & 7);
  }
  static DetectionType Type(std::uint64_t packed) {
    return (packed & 1) != 0 ? DetectionType::kPotential
                             : DetectionType::kConfirmed;
  }
  // Severities outside 0..7 are stored as 0 (unknown).
  static std::uint64_t Pack(const HostDetection& d);

  // Counted detections per (severity 0..7, type): [severity * 2 + potential].
  using Counts = std::array<std::uint32_t, 16>;
  static std::size_t CountIndex(int severity, DetectionType type) {
    return static_cast<std::size_t>(severity) * 2 +
           (type == DetectionType::kPotential ? 1 : 0);
  }

  void Apply(const DetectionHost& host, Merge mode);
  void Erase(std::uint64_t host_id);
  void Clear();

  std::size_t size() const { return live_; }  // hosts with counted detections
  std::size_t detections() const { return pool_.size() - garbage_; }
  bool contains(std::uint64_t host_id) const;
  // The packed detections of one host (empty when unknown), for tests.
  std::vector<std::uint64_t> DetectionsOf(std::uint64_t host_id) const;

  // fn(host_id, const Counts&) for every host, in no particular order.
  template <typename Fn>
  void ForEachHost(Fn&& fn) const {
    Counts counts;
    for (std::uint32_t s = 0; s < static_cast<std::uint32_t>(ids_.size());
         ++s) {
      if (count_[s] == 0) continue;
      counts.fill(0);
      auto it = pool_.cbegin() + begin_[s];
      for (std::uint32_t i = 0; i < count_[s]; ++i, ++it) {
        ++counts[CountIndex(Severity(*it), Type(*it))];
      }
      fn(ids_[s], counts);
    }
  }

  // Durable copy (binary_state.h); same contract as HostAssetStore.
  void Save(const std::filesystem::path& path) const;
  bool Load(const std::filesystem::path& path);

 private:
  static constexpr std::uint32_t kNoSlot = 0xffffffffu;

  std::uint32_t Find(std::uint64_t id) const;
  std::size_t Bucket(std::uint64_t id) const;
  void IndexInsert(std::uint64_t id, std::uint32_t slot);
  void IndexErase(std::uint64_t id);
  void Rehash(std::size_t buckets);
  // Sets the host's detections to scratch_ (erasing it when empty).
  void Store(std::uint64_t id, std::uint32_t slot);
  void MaybeCompact();

  std::vector<std::uint64_t> ids_;
  std::vector<std::uint32_t> begin_;
  std::vector<std::uint32_t> count_;  // 0: free slot
  std::vector<std::uint32_t> free_slots_;
  std::size_t live_ = 0;
  std::vector<std::uint32_t> index_;  // power of two; slot + 1 or 0
  Pool pool_;
  std::size_t garbage_ = 0;
  std::vector<std::uint64_t> scratch_;
};

}  // namespace qx
