#include "qx/store/host_asset_store.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "qx/records/timestamp.h"

namespace qx {
namespace {

constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kMinBuckets = 16;

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

std::uint32_t HostAssetStore::Insert(std::uint64_t id, CloudProvider provider,
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
    qweb_.push_back(0);
    last_scan_.push_back(0);
    checked_in_.push_back(0);
  }
  provider_[slot] = static_cast<std::uint8_t>(provider);
  azure_[slot] = azure;
  IndexInsert(id, slot);
  ++live_;
  return slot;
}

void HostAssetStore::SetCoverage(std::uint32_t slot, std::uint64_t qweb,
                                 std::uint32_t last_scan,
                                 std::uint32_t checked_in) {
  qweb_[slot] = qweb;
  last_scan_[slot] = last_scan;
  checked_in_[slot] = checked_in;
}

void HostAssetStore::Upsert(HostAsset&& asset) {
  const std::uint32_t azure =
      asset.azure ? InternAzure(std::move(*asset.azure)) : kNoAzure;
  std::uint32_t slot = Find(asset.id);
  if (slot == kNoSlot) {
    slot = Insert(asset.id, asset.cloud_provider, azure);
  } else {
    provider_[slot] = static_cast<std::uint8_t>(asset.cloud_provider);
    azure_[slot] = azure;
  }
  SetCoverage(slot, asset.qweb_host_id, Seconds32(asset.last_vuln_scan),
              Seconds32(asset.agent_last_checked_in));
}

void HostAssetStore::Erase(std::uint64_t id) {
  const std::uint32_t slot = Find(id);
  if (slot == kNoSlot) return;
  IndexErase(id);
  provider_[slot] = kFreeSlot;
  azure_[slot] = kNoAzure;
  SetCoverage(slot, 0, 0, 0);
  free_slots_.push_back(slot);
  --live_;
}

HostAssetStore::Host HostAssetStore::Materialize(std::uint32_t slot) const {
  Host h;
  h.cloud_provider = static_cast<CloudProvider>(provider_[slot]);
  h.azure = azure_[slot];
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

}  // namespace qx
