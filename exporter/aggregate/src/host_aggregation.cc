#include "qx/aggregate/host_aggregation.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>

#include "qx/aggregate/family_builder.h"

namespace qx {
namespace {

constexpr std::array<CloudProvider, 4> kProviders = {
    CloudProvider::kAzure, CloudProvider::kAws, CloudProvider::kGcp,
    CloudProvider::kNone};

}  // namespace

std::vector<prometheus::MetricFamily> AggregateHostAssets(
    const HostAssetStore& store) {
  std::array<std::uint64_t, 4> by_provider{};
  std::vector<std::uint64_t> by_azure(store.azure_sources().size(), 0);
  store.ForEachHost(
      [&](std::uint64_t, CloudProvider provider, std::uint32_t azure) {
        by_provider[static_cast<std::size_t>(provider)]++;
        if (azure != HostAssetStore::kNoAzure) by_azure[azure]++;
      });
  FamilyBuilder assets(
      "qualys_host_assets",
      std::string("Host assets in scope by cloud provider") + kPollNote,
      prometheus::MetricType::Gauge);
  for (auto p : kProviders) {
    assets.Gauge({{"cloud_provider", std::string(CloudProviderLabel(p))}},
                 static_cast<double>(by_provider[static_cast<std::size_t>(p)]));
  }
  FamilyBuilder azure(
      "qualys_azure_host_assets",
      std::string("Azure host assets by subscription, resource group, VNet, "
                  "subnet, location and state") +
          kPollNote,
      prometheus::MetricType::Gauge);
  // Sorted output keeps the exposition stable between polls.
  std::vector<std::uint32_t> order(by_azure.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto& src = store.azure_sources();
  std::sort(order.begin(), order.end(), [&](auto a, auto b) {
    return std::tie(src[a].subscription_id, src[a].resource_group, src[a].vnet,
                    src[a].subnet, src[a].location, src[a].state) <
           std::tie(src[b].subscription_id, src[b].resource_group, src[b].vnet,
                    src[b].subnet, src[b].location, src[b].state);
  });
  for (auto i : order) {
    if (by_azure[i] == 0) continue;  // interned but no longer referenced
    const auto& s = src[i];
    azure.Gauge({{"subscription_id", s.subscription_id},
                 {"resource_group", s.resource_group},
                 {"vnet", s.vnet},
                 {"subnet", s.subnet},
                 {"location", s.location},
                 {"state", s.state}},
                static_cast<double>(by_azure[i]));
  }
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(assets).Build());
  out.push_back(std::move(azure).Build());
  return out;
}

}  // namespace qx
