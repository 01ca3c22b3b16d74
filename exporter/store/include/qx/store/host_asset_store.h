// HostAssetStore: what aggregation needs of each host asset, keyed by id, with
// Azure network tuples interned (thousands of hosts share a few subnets).
// Upsert by id makes a page re-read after a retry harmless.
//
// Memory layout (a million hosts must fit well under 128 MiB, see
// docs/performance.md): hosts live in slots of parallel arrays (id, cloud
// provider, Azure tuple index, qwebHostId and the lastVulnScan and agent
// lastCheckedIn times: 29 bytes a slot); an open-addressing table maps
// id -> slot (4 bytes a bucket, load factor at most 3/4). About 39 bytes per
// host at a million (qx-store-bench). The times are seconds in 32 bits
// (dates up to 2106). The host asset's own vuln list (HostAsset::vulns) is
// not kept: host vulnerabilities are counted from the Host List Detection
// API (HostDetectionStore), joined by qwebHostId (BuildQwebIndex).
#pragma once

#include <cstdint>
#include <filesystem>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "qx/records/records.h"

namespace qx {

class HostAssetStore {
 public:
  static constexpr std::uint32_t kNoAzure = 0xffffffffu;

  // A materialized copy of one host (tests, diagnostics). Aggregation walks
  // the compact form with ForEachHost instead.
  struct Host {
    CloudProvider cloud_provider = CloudProvider::kNone;
    std::uint32_t azure = kNoAzure;          // index into azure_sources()
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

  std::size_t size() const { return live_; }
  HostsView hosts() const { return HostsView(this); }
  const std::vector<AzureSource>& azure_sources() const {
    return azure_sources_;
  }

  // fn(id, CloudProvider, azure index or kNoAzure) for every host, in no
  // particular order. The fast path for aggregation.
  template <typename Fn>
  void ForEachHost(Fn&& fn) const {
    for (std::uint32_t s = 0; s < slots(); ++s) {
      if (!Live(s)) continue;
      fn(ids_[s], static_cast<CloudProvider>(provider_[s]), azure_[s]);
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

  // Durable copy (binary_state.h), written as host-asset-store-v3. Load
  // replaces the contents only when the whole file verified. It also reads
  // host-asset-store-v2 (v3 plus each host's QIDs, which it skips), so an
  // upgraded exporter keeps its state; the next Save writes v3. It returns
  // false when the file does not exist or holds host-asset-store-v1 (without
  // the coverage fields: the caller then runs a full sync, which rewrites
  // it); throws StateError for a corrupt or foreign file.
  void Save(const std::filesystem::path& path) const;
  bool Load(const std::filesystem::path& path);

 private:
  static constexpr std::uint8_t kFreeSlot = 0xff;
  static constexpr std::uint32_t kEmpty = 0;  // index_ entry: slot + 1

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

  // Adds a host that is not in the store yet; returns its slot.
  std::uint32_t Insert(std::uint64_t id, CloudProvider provider,
                       std::uint32_t azure);
  void SetCoverage(std::uint32_t slot, std::uint64_t qweb,
                   std::uint32_t last_scan, std::uint32_t checked_in);

  std::uint32_t InternAzure(AzureSource&& source);

  // Slots.
  std::vector<std::uint64_t> ids_;
  std::vector<std::uint8_t> provider_;  // CloudProvider, kFreeSlot if unused
  std::vector<std::uint32_t> azure_;
  std::vector<std::uint64_t> qweb_;
  std::vector<std::uint32_t> last_scan_;   // Unix seconds, 0: never
  std::vector<std::uint32_t> checked_in_;  // Unix seconds, 0: none
  std::vector<std::uint32_t> free_slots_;
  std::size_t live_ = 0;

  std::vector<std::uint32_t> index_;  // power-of-two size; slot + 1 or kEmpty

  std::vector<AzureSource> azure_sources_;
  std::map<std::tuple<std::string, std::string, std::string, std::string,
                      std::string, std::string>,
           std::uint32_t>
      azure_index_;
};

}  // namespace qx
