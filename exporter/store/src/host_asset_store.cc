#include "qx/store/host_asset_store.h"

#include <algorithm>

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

}  // namespace qx
