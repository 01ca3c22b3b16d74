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

// Counts per severity 1-5, index 0 = unknown.
using SeverityCounts = std::array<std::uint64_t, 6>;

void EmitSeverities(FamilyBuilder& b, Labels labels,
                    const SeverityCounts& counts) {
  labels.emplace_back("severity", "");
  for (int s = 1; s <= 5; ++s) {
    labels.back().second = std::to_string(s);
    b.Gauge(labels, static_cast<double>(counts[static_cast<std::size_t>(s)]));
  }
  if (counts[0] > 0) {
    labels.back().second = kUnknownSeverity;
    b.Gauge(labels, static_cast<double>(counts[0]));
  }
}

}  // namespace

std::vector<prometheus::MetricFamily> AggregateHostAssets(
    const HostAssetStore& store) {
  std::array<std::uint64_t, 4> by_provider{};
  std::vector<std::uint64_t> by_azure(store.azure_sources().size(), 0);
  store.ForEachHost([&](std::uint64_t, CloudProvider provider,
                        std::uint32_t azure, const HostAssetStore::QidRange&) {
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

std::vector<prometheus::MetricFamily> AggregateHostVulnerabilities(
    const HostAssetStore& store, const SeverityLookup& severity,
    std::vector<std::uint64_t>* unknown_qids) {
  std::array<SeverityCounts, 4> by_provider{};
  // A subnet is identified only with its VNet and subscription. Each
  // interned Azure tuple maps to its subnet's counts once, not per host.
  std::map<std::tuple<std::string, std::string, std::string>, SeverityCounts>
      by_subnet;
  const auto& src = store.azure_sources();
  std::vector<SeverityCounts*> subnet_of(src.size(), nullptr);
  // Severity index per QID, asked once per distinct QID (the lookup is a
  // std::function into the KB cache; detections outnumber QIDs 1000:1).
  std::unordered_map<std::uint64_t, std::uint8_t> severity_index;
  std::set<std::uint64_t> unknown;
  auto index_of = [&](std::uint64_t qid) -> std::size_t {
    auto [it, inserted] = severity_index.try_emplace(qid, 0);
    if (inserted) {
      auto sev = severity(qid);
      if (sev && *sev >= 1 && *sev <= 5) {
        it->second = static_cast<std::uint8_t>(*sev);
      } else {
        unknown.insert(qid);
      }
    }
    return it->second;
  };
  store.ForEachHost([&](std::uint64_t, CloudProvider cloud_provider,
                        std::uint32_t azure,
                        const HostAssetStore::QidRange& qids) {
    SeverityCounts* subnet = nullptr;
    if (azure != HostAssetStore::kNoAzure) {
      subnet = subnet_of[azure];
      if (subnet == nullptr) {
        const auto& s = src[azure];
        subnet = subnet_of[azure] =
            &by_subnet[{s.subscription_id, s.vnet, s.subnet}];
      }
    }
    auto& provider = by_provider[static_cast<std::size_t>(cloud_provider)];
    for (auto qid : qids) {
      const std::size_t idx = index_of(qid);
      provider[idx]++;
      if (subnet) (*subnet)[idx]++;
    }
  });
  FamilyBuilder azure(
      "qualys_azure_host_vulnerabilities",
      std::string("Open vulnerability detections on Azure hosts by "
                  "subscription, VNet, subnet and QID severity") +
          kPollNote,
      prometheus::MetricType::Gauge);
  for (const auto& [key, counts] : by_subnet) {
    const auto& [sub, vnet, subnet] = key;
    EmitSeverities(
        azure, {{"subscription_id", sub}, {"vnet", vnet}, {"subnet", subnet}},
        counts);
  }
  FamilyBuilder all("qualys_host_vulnerabilities",
                    std::string("Open vulnerability detections on all hosts "
                                "by cloud provider and QID severity") +
                        kPollNote,
                    prometheus::MetricType::Gauge);
  for (auto p : kProviders) {
    EmitSeverities(all,
                   {{"cloud_provider", std::string(CloudProviderLabel(p))}},
                   by_provider[static_cast<std::size_t>(p)]);
  }
  if (unknown_qids) unknown_qids->assign(unknown.begin(), unknown.end());
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(azure).Build());
  out.push_back(std::move(all).Build());
  return out;
}

}  // namespace qx
