// HostAssetStore: what aggregation needs of each host asset, keyed by id, with
// Azure network tuples interned (thousands of hosts share a few subnets).
// Upsert by id makes a page re-read after a retry harmless.
//
// Memory layout (a million hosts must fit well under 128 MiB, see
// docs/performance.md): hosts live in slots of parallel arrays (id, cloud
// provider, Azure tuple index, offset and count of their QIDs); an
// open-addressing table maps id -> slot; every host's QIDs sit in one pooled
// array of 32-bit values. QIDs below 2^31 (all real ones) are stored as is;
// larger ones are interned in a side table and the pool holds their index
// with the top bit set, so any 64-bit QID still round-trips. A host whose
// QIDs grow on upsert moves them to the end of the pool; the pool is
// compacted once more than half of it is garbage. The pool is a deque, so
// growing it never copies (no 2x transient at a million hosts).
// About 46 bytes per host plus 4 per detection. Besides the QIDs each host
// keeps what the scan-coverage and detection join need: its qwebHostId and
// the lastVulnScan and agent lastCheckedIn times (seconds, 32 bits: dates
// up to 2106).
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "qx/records/records.h"

namespace qx {

class HostAssetStore {
  using Pool = std::deque<std::uint32_t>;

 public:
  static constexpr std::uint32_t kNoAzure = 0xffffffffu;

  // A materialized copy of one host (tests, diagnostics). Aggregation walks
  // the compact form with ForEachHost instead.
  struct Host {
    CloudProvider cloud_provider = CloudProvider::kNone;
    std::uint32_t azure = kNoAzure;          // index into azure_sources()
    std::vector<std::uint64_t> qids;         // one per detection
    std::uint64_t qweb_host_id = 0;          // 0: not a VM host
    std::int64_t last_vuln_scan = 0;         // Unix seconds; 0: never scanned
    std::int64_t agent_last_checked_in = 0;  // Unix seconds; 0: no agent
  };

  // What scan coverage needs of one host (ForEachHostCoverage).
  struct Coverage {
    std::uint64_t id = 0;
    CloudProvider cloud_provider = CloudProvider::kNone;
    std::uint32_t azure = kNoAzure;
    std::uint64_t qweb_host_id = 0;
    std::int64_t last_vuln_scan = 0;         // 0: never (or unparseable)
    std::int64_t agent_last_checked_in = 0;  // 0: no agent check-in
  };

  // qwebHostId -> the host asset's cloud provider and Azure tuple, for
  // joining Host List Detection hosts (whose ID is the qwebHostId) to host
  // assets. A snapshot: build it once per aggregation (16 bytes per VM
  // host). When several host assets claim one qwebHostId, the one with the
  // lowest host asset id wins.
  class QwebIndex {
   public:
    struct Entry {
      std::uint64_t qweb_host_id = 0;
      std::uint32_t azure = kNoAzure;
      CloudProvider cloud_provider = CloudProvider::kNone;
    };
    // nullptr when no host asset has this qwebHostId.
    const Entry* Find(std::uint64_t qweb_host_id) const;
    std::size_t size() const { return entries_.size(); }

   private:
    friend class HostAssetStore;
    std::vector<Entry> entries_;  // ascending qweb_host_id, unique
  };

  // The QIDs of one host, decoded on the fly. Valid until the next change.
  class QidRange {
   public:
    class iterator {
     public:
      using iterator_category = std::forward_iterator_tag;
      using value_type = std::uint64_t;
      using difference_type = std::ptrdiff_t;
      using pointer = void;
      using reference = std::uint64_t;

      iterator() = default;
      iterator(Pool::const_iterator p, const std::uint64_t* wide)
          : p_(p), wide_(wide) {}
      std::uint64_t operator*() const { return Decode(*p_, wide_); }
      iterator& operator++() {
        ++p_;
        return *this;
      }
      iterator operator++(int) {
        iterator old = *this;
        ++p_;
        return old;
      }
      friend bool operator==(const iterator& a, const iterator& b) {
        return a.p_ == b.p_;
      }

     private:
      Pool::const_iterator p_;
      const std::uint64_t* wide_ = nullptr;
    };

    QidRange(Pool::const_iterator begin, std::uint32_t count,
             const std::uint64_t* wide)
        : begin_(begin), count_(count), wide_(wide) {}
    iterator begin() const { return {begin_, wide_}; }
    iterator end() const { return {begin_ + count_, wide_}; }
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }

   private:
    Pool::const_iterator begin_;
    std::uint32_t count_;
    const std::uint64_t* wide_;
  };

  // hosts(): a read-only view shaped like the map it replaces:
  // at(id) -> Host (throws std::out_of_range), range-for over (id, Host).
  class HostsView {
   public:
    class iterator {
     public:
      using iterator_category = std::forward_iterator_tag;
      using value_type = std::pair<std::uint64_t, Host>;
      using difference_type = std::ptrdiff_t;
      using pointer = void;
      using reference = value_type;

      iterator() = default;
      iterator(const HostAssetStore* s, std::uint32_t slot)
          : s_(s), slot_(slot) {
        Skip();
      }
      value_type operator*() const {
        return {s_->ids_[slot_], s_->Materialize(slot_)};
      }
      iterator& operator++() {
        ++slot_;
        Skip();
        return *this;
      }
      iterator operator++(int) {
        iterator old = *this;
        ++*this;
        return old;
      }
      friend bool operator==(const iterator& a, const iterator& b) {
        return a.slot_ == b.slot_;
      }

     private:
      void Skip() {
        while (slot_ < s_->slots() && !s_->Live(slot_)) ++slot_;
      }
      const HostAssetStore* s_ = nullptr;
      std::uint32_t slot_ = 0;
    };

    explicit HostsView(const HostAssetStore* s) : s_(s) {}
    Host at(std::uint64_t id) const;
    bool contains(std::uint64_t id) const;
    std::size_t size() const { return s_->size(); }
    iterator begin() const { return {s_, 0}; }
    iterator end() const { return {s_, s_->slots()}; }

   private:
    const HostAssetStore* s_;
  };

  void Upsert(HostAsset&& asset);
  void Erase(std::uint64_t id);
  void Clear();

  std::size_t size() const { return live_; }
  HostsView hosts() const { return HostsView(this); }
  const std::vector<AzureSource>& azure_sources() const {
    return azure_sources_;
  }

  // fn(id, CloudProvider, azure index or kNoAzure, QidRange) for every host,
  // in no particular order. The fast path for aggregation.
  template <typename Fn>
  void ForEachHost(Fn&& fn) const {
    const std::uint64_t* wide = wide_qids_.data();
    for (std::uint32_t s = 0; s < slots(); ++s) {
      if (!Live(s)) continue;
      fn(ids_[s], static_cast<CloudProvider>(provider_[s]), azure_[s],
         QidRange(pool_.cbegin() + qid_begin_[s], qid_count_[s], wide));
    }
  }

  // fn(const Coverage&) for every host, in no particular order.
  template <typename Fn>
  void ForEachHostCoverage(Fn&& fn) const {
    for (std::uint32_t s = 0; s < slots(); ++s) {
      if (!Live(s)) continue;
      fn(Coverage{ids_[s], static_cast<CloudProvider>(provider_[s]), azure_[s],
                  qweb_[s], last_scan_[s], checked_in_[s]});
    }
  }

  QwebIndex BuildQwebIndex() const;

  // Every distinct QID detected on any host, sorted.
  std::vector<std::uint64_t> DistinctQids() const;

  // Heap bytes held (capacities, not sizes), for diagnostics and benchmarks.
  std::size_t MemoryBytes() const;

  // Durable copy (binary_state.h). Load replaces the contents only when the
  // whole file verified; returns false when the file does not exist or holds
  // the previous layout (host-asset-store-v1, without the coverage fields:
  // the caller then runs a full sync, which rewrites it); throws StateError
  // for a corrupt or foreign file.
  void Save(const std::filesystem::path& path) const;
  bool Load(const std::filesystem::path& path);

 private:
  static constexpr std::uint8_t kFreeSlot = 0xff;
  static constexpr std::uint32_t kWideBit = 0x80000000u;
  static constexpr std::uint32_t kEmpty = 0;  // index_ entry: slot + 1

  static std::uint64_t Decode(std::uint32_t v, const std::uint64_t* wide) {
    return (v & kWideBit) != 0 ? wide[v & ~kWideBit] : v;
  }
  std::uint32_t Encode(std::uint64_t qid);

  std::uint32_t slots() const {
    return static_cast<std::uint32_t>(ids_.size());
  }
  bool Live(std::uint32_t slot) const { return provider_[slot] != kFreeSlot; }
  Host Materialize(std::uint32_t slot) const;

  // Open-addressing id -> slot index (linear probing, backward-shift erase).
  std::size_t Bucket(std::uint64_t id) const;
  // Slot of id, or UINT32_MAX.
  std::uint32_t Find(std::uint64_t id) const;
  void IndexInsert(std::uint64_t id, std::uint32_t slot);
  void IndexErase(std::uint64_t id);
  void Rehash(std::size_t buckets);
  void ReserveHosts(std::size_t n);

  void MaybeCompact();
  void Compact();
  // Adds a host that is not in the store yet, with scratch_ as its QIDs.
  void Insert(std::uint64_t id, CloudProvider provider, std::uint32_t azure);
  void SetCoverage(std::uint32_t slot, std::uint64_t qweb,
                   std::uint32_t last_scan, std::uint32_t checked_in);

  std::uint32_t InternAzure(AzureSource&& source);
  // Points slot at encoded QIDs, reusing its pool range when they fit.
  void StoreQids(std::uint32_t slot);

  // Slots.
  std::vector<std::uint64_t> ids_;
  std::vector<std::uint8_t> provider_;  // CloudProvider, kFreeSlot if unused
  std::vector<std::uint32_t> azure_;
  std::vector<std::uint32_t> qid_begin_;  // offset into pool_
  std::vector<std::uint32_t> qid_count_;
  std::vector<std::uint64_t> qweb_;
  std::vector<std::uint32_t> last_scan_;   // Unix seconds, 0: never
  std::vector<std::uint32_t> checked_in_;  // Unix seconds, 0: none
  std::vector<std::uint32_t> free_slots_;
  std::size_t live_ = 0;

  std::vector<std::uint32_t> index_;  // power-of-two size; slot + 1 or kEmpty

  Pool pool_;
  std::size_t pool_garbage_ = 0;          // entries no live host refers to
  std::vector<std::uint64_t> wide_qids_;  // QIDs >= 2^31
  std::unordered_map<std::uint64_t, std::uint32_t> wide_index_;
  std::uint32_t max_narrow_ = 0;  // upper bound of the narrow QIDs stored

  std::vector<AzureSource> azure_sources_;
  std::map<std::tuple<std::string, std::string, std::string, std::string,
                      std::string, std::string>,
           std::uint32_t>
      azure_index_;

  std::vector<std::uint32_t> scratch_;  // encoded QIDs of the record at hand
};

}  // namespace qx
