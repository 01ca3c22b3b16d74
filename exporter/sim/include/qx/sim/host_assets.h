// Host assets (AM API HostAsset): a compact model and a deterministic
// generator. Nothing is stored per asset: record i at epoch e is a pure
// function of (seed, i, e), so a million assets cost no memory and any page
// can be produced on demand.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qx/sim/time_util.h"

namespace qx::sim {

enum class Cloud : std::uint8_t { kNone, kAzure, kAws, kGcp };
// cloud_provider label: none, azure, aws, gcp.
std::string_view CloudLabel(Cloud c);

// "xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxxxxxxx" from a hash.
std::string GuidFromHash(std::uint64_t a, std::uint64_t b);

struct AzureSubscription {
  std::string id;  // GUID
  bool legacy;     // an older tenant: most VMs lack <virtualNetwork>
};
struct AzureResourceGroup {
  std::size_t subscription;
  std::string name;
  std::string location;
};
struct AzureVnet {
  std::size_t resource_group;
  std::string name;
  std::vector<std::string> subnets;  // bare names, repeated across VNets
  unsigned octet;                    // 10.<octet>.x.x
};
struct AzureTopology {
  std::vector<AzureSubscription> subscriptions;
  std::vector<AzureResourceGroup> resource_groups;
  std::vector<AzureVnet> vnets;
};

// One HostAssetVuln (an open detection), or a fixed one (fixed != 0).
struct HostVulnRec {
  std::uint64_t qid = 0;
  std::uint64_t host_instance_vuln_id = 0;
  Seconds first_found = 0;
  Seconds last_found = 0;
  Seconds fixed = 0;      // the scan that no longer found it; 0: open
  bool reopened = false;  // found again after having been fixed
  Seconds reopened_at = 0;
};

struct HostAssetRec {
  std::uint64_t index = 0;
  std::uint64_t id = 0;
  std::string name;
  bool name_cdata = false;  // the writer sends <name> as CDATA
  Seconds created = 0;
  Seconds modified = 0;
  Seconds vulns_updated = 0;
  Seconds last_vuln_scan = 0;
  Seconds last_boot = 0;
  Seconds source_updated = 0;  // cloud source lastUpdated
  Cloud cloud = Cloud::kNone;
  bool has_source_info = true;      // emit <sourceInfo>
  bool extra_asset_source = false;  // a plain <AssetSource/> next to the cloud
  unsigned os = 0;                  // index into OsNames()
  bool agent = false;               // tracked by a cloud agent (agentInfo)
  // Azure: topology indices.
  std::size_t vnet = 0;
  std::size_t subnet = 0;  // index into the VNet's subnets
  bool has_vnet_element = true;
  // Cloud instance state, index into the provider's state names.
  unsigned state = 0;
  // EC2 / GCP placement.
  unsigned region = 0;
  unsigned network = 0;
  std::uint32_t private_ip = 0;
  std::uint64_t salt = 0;  // stable per-asset hash for synthetic ids
  std::vector<HostVulnRec> vulns;
  // Scan coverage (HostMix): a VM host has a qwebHostId (the Host List
  // Detection API's HOST/ID); a scanned one has a lastVulnScan.
  bool has_qweb_host = true;
  bool vm_scanned = true;
  std::uint64_t qweb_host_id = 0;
  // Detections the last scans no longer found (status Fixed).
  std::vector<HostVulnRec> fixed_vulns;
};

std::span<const std::string_view> OsNames();
std::span<const std::string_view> AzureStates();  // RUNNING, STOPPED, ...
std::span<const std::string_view> Ec2States();
std::span<const std::string_view> GcpStates();
std::span<const std::string_view> Ec2Regions();
std::span<const std::string_view> GcpZones();

// The shape of the generated estate; the defaults are a mixed enterprise
// tenant. Benchmarks set other shapes (all Azure, 5 detections, 1 % churn).
struct HostMix {
  // Weights of Azure, EC2, GCP and no cloud source.
  std::array<int, 4> cloud_weights = {60, 15, 10, 15};
  // Detections per host; negative: 0-8, skewed towards 2-4.
  int vulns_per_host = -1;
  // Share of the hosts that change in each epoch, in percent.
  double change_percent = 6;
  // Scan coverage, percent of the host assets: not a VM host at all (no
  // qwebHostId, never scanned); a VM host never scanned (qwebHostId, no
  // lastVulnScan); scanned last 91-400 days ago. Hosts without a scan carry
  // no detections and do not change their scan state.
  int no_vm_host_percent = 4;
  int unscanned_percent = 2;
  int stale_scan_percent = 8;
};

// hostInstanceVulnId values live above 2^32, like the real ones (~1e10).
inline constexpr std::uint64_t kVulnIdBase = 10'000'000'000ULL;

// qwebHostId of host asset `index`: every third id from kQwebHostIdBase, so
// that the detection API's hosts unknown to Asset Management (index >=
// size(), see DetectionModel) fit in between.
inline constexpr std::uint64_t kQwebHostIdBase = 215'000'000;
constexpr std::uint64_t QwebHostIdOf(std::uint64_t index) {
  return kQwebHostIdBase + 3 * index;
}

class HostAssetGenerator {
 public:
  // time_base: "now" of epoch 0 (see kStampSpread).
  HostAssetGenerator(std::uint64_t seed, std::size_t count, Seconds time_base,
                     HostMix mix = {});

  std::size_t size() const { return count_; }
  std::uint64_t seed() const { return seed_; }
  const AzureTopology& azure() const { return azure_; }

  // Strictly increasing in index, with gaps of at least 5.
  std::uint64_t IdOf(std::uint64_t index) const;
  // Index of the first asset whose id is >= id (size() if none).
  std::uint64_t LowerBound(std::uint64_t id) const;

  // The asset as of the last epoch in epoch_times (epoch_times[0] must be
  // the time base). Indices >= size() give the VM hosts that only the
  // detection API knows: always scanned, qweb_host_id left 0 for the caller.
  HostAssetRec Generate(std::uint64_t index,
                        std::span<const Seconds> epoch_times) const;

  // Azure accessors for a record whose cloud is kAzure.
  const AzureVnet& VnetOf(const HostAssetRec& h) const {
    return azure_.vnets[h.vnet];
  }
  const AzureResourceGroup& ResourceGroupOf(const HostAssetRec& h) const {
    return azure_.resource_groups[VnetOf(h).resource_group];
  }
  const AzureSubscription& SubscriptionOf(const HostAssetRec& h) const {
    return azure_.subscriptions[ResourceGroupOf(h).subscription];
  }
  std::string_view SubnetOf(const HostAssetRec& h) const {
    return VnetOf(h).subnets[h.subnet];
  }
  // "" when the asset has no <virtualNetwork>.
  std::string_view VnetLabelOf(const HostAssetRec& h) const {
    return h.has_vnet_element ? std::string_view(VnetOf(h).name)
                              : std::string_view();
  }
  std::string_view StateOf(const HostAssetRec& h) const;

 private:
  void GenerateBase(std::uint64_t index, HostAssetRec* h) const;
  void GenerateCoverage(HostAssetRec* h) const;
  void ApplyChange(int epoch, Seconds at, HostAssetRec* h) const;

  std::uint64_t seed_;
  std::size_t count_;
  Seconds time_base_;
  HostMix mix_;
  AzureTopology azure_;
};

}  // namespace qx::sim
