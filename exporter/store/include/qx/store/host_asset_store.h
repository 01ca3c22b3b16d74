// HostAssetStore: what aggregation needs of each host asset, keyed by id, with
// Azure network tuples interned (thousands of hosts share a few subnets).
// Upsert by id makes a page re-read after a retry harmless.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <unordered_map>
#include <vector>

#include "qx/records/records.h"

namespace qx {

class HostAssetStore {
 public:
  static constexpr std::uint32_t kNoAzure = 0xffffffffu;

  struct Host {
    CloudProvider cloud_provider = CloudProvider::kNone;
    std::uint32_t azure = kNoAzure;  // index into azure_sources()
    std::vector<std::uint64_t> qids;  // one per detection
  };

  void Upsert(HostAsset&& asset);
  void Erase(std::uint64_t id) { hosts_.erase(id); }
  void Clear();

  std::size_t size() const { return hosts_.size(); }
  const std::unordered_map<std::uint64_t, Host>& hosts() const {
    return hosts_;
  }
  const std::vector<AzureSource>& azure_sources() const {
    return azure_sources_;
  }
  // Every distinct QID detected on any host, sorted.
  std::vector<std::uint64_t> DistinctQids() const;

  // Durable copy (binary_state.h). Load replaces the contents only when the
  // whole file verified; returns false when the file does not exist; throws
  // StateError for a corrupt or foreign file.
  void Save(const std::filesystem::path& path) const;
  bool Load(const std::filesystem::path& path);

 private:
  std::uint32_t InternAzure(AzureSource&& source);

  std::unordered_map<std::uint64_t, Host> hosts_;
  std::vector<AzureSource> azure_sources_;
  std::map<std::tuple<std::string, std::string, std::string, std::string,
                      std::string, std::string>,
           std::uint32_t>
      azure_index_;
};

}  // namespace qx
