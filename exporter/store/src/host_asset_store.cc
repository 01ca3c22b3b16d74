#include "qx/store/host_asset_store.h"

#include <algorithm>

#include "qx/store/binary_state.h"
#include "qx/store/state_file.h"

namespace qx {

std::uint32_t HostAssetStore::InternAzure(AzureSource&& s) {
  auto key = std::make_tuple(s.subscription_id, s.resource_group, s.vnet,
                             s.subnet, s.location, s.state);
  auto [it, inserted] = azure_index_.try_emplace(
      std::move(key), static_cast<std::uint32_t>(azure_sources_.size()));
  if (inserted) azure_sources_.push_back(std::move(s));
  return it->second;
}

void HostAssetStore::Upsert(HostAsset&& asset) {
  Host h;
  h.cloud_provider = asset.cloud_provider;
  if (asset.azure) h.azure = InternAzure(std::move(*asset.azure));
  h.qids.reserve(asset.vulns.size());
  for (const auto& v : asset.vulns) h.qids.push_back(v.qid);
  hosts_[asset.id] = std::move(h);
}

void HostAssetStore::Clear() {
  hosts_.clear();
  azure_sources_.clear();
  azure_index_.clear();
}

std::vector<std::uint64_t> HostAssetStore::DistinctQids() const {
  std::vector<std::uint64_t> out;
  for (const auto& [id, h] : hosts_) {
    out.insert(out.end(), h.qids.begin(), h.qids.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {
constexpr char kKind[] = "host-asset-store-v1";
}  // namespace

void HostAssetStore::Save(const std::filesystem::path& path) const {
  BinaryStateWriter w(path, kKind);
  w.U64(azure_sources_.size());
  for (const auto& s : azure_sources_) {
    for (const auto* f : {&s.subscription_id, &s.resource_group, &s.vnet,
                          &s.subnet, &s.location, &s.state}) {
      w.Str(*f);
    }
  }
  w.U64(hosts_.size());
  for (const auto& [id, h] : hosts_) {
    w.U64(id);
    w.U64(static_cast<std::uint64_t>(h.cloud_provider));
    w.U64(h.azure == kNoAzure ? 0 : std::uint64_t{h.azure} + 1);
    w.U64(h.qids.size());
    for (auto q : h.qids) w.U64(q);
  }
  w.Commit();
}

bool HostAssetStore::Load(const std::filesystem::path& path) {
  auto r = BinaryStateReader::Open(path, kKind);
  if (!r) return false;
  HostAssetStore next;
  auto n_azure = r->U64();
  for (std::uint64_t i = 0; i < n_azure; ++i) {
    AzureSource s;
    for (auto* f : {&s.subscription_id, &s.resource_group, &s.vnet, &s.subnet,
                    &s.location, &s.state}) {
      *f = r->Str();
    }
    next.InternAzure(std::move(s));
  }
  auto n_hosts = r->U64();
  next.hosts_.reserve(n_hosts);
  for (std::uint64_t i = 0; i < n_hosts; ++i) {
    auto id = r->U64();
    Host h;
    auto provider = r->U64();
    auto azure = r->U64();
    if (provider > static_cast<std::uint64_t>(CloudProvider::kGcp) ||
        azure > n_azure) {
      throw StateError("state file " + path.string() + " has an invalid host");
    }
    h.cloud_provider = static_cast<CloudProvider>(provider);
    h.azure = azure == 0 ? kNoAzure : static_cast<std::uint32_t>(azure - 1);
    auto n_qids = r->U64();
    if (n_qids > 1'000'000) {
      throw StateError("state file " + path.string() + " has an invalid host");
    }
    h.qids.resize(n_qids);
    for (auto& q : h.qids) q = r->U64();
    next.hosts_.emplace(id, std::move(h));
  }
  if (!r->AtEnd()) {
    throw StateError("state file " + path.string() + " has trailing data");
  }
  *this = std::move(next);
  return true;
}

}  // namespace qx
