#include "qx/aggregate/coverage_aggregation.h"

#include <array>
#include <map>
#include <string>
#include <tuple>

#include "qx/aggregate/family_builder.h"
#include "qx/aggregate/host_aggregation.h"

namespace qx {
namespace {

constexpr std::array<CloudProvider, 4> kProviders = {
    CloudProvider::kAzure, CloudProvider::kAws, CloudProvider::kGcp,
    CloudProvider::kNone};
constexpr std::array<DetectionType, 2> kTypes = {DetectionType::kConfirmed,
                                                 DetectionType::kPotential};
constexpr std::int64_t kDay = 24 * 3600;
constexpr std::array<std::int64_t, 4> kAgeBuckets = {kDay, 7 * kDay, 30 * kDay,
                                                     90 * kDay};

using SubnetKey = std::tuple<std::string, std::string, std::string>;

SubnetKey SubnetOf(const AzureSource& s) {
  return {s.subscription_id, s.vnet, s.subnet};
}

Labels SubnetLabels(const SubnetKey& k) {
  return {{"subscription_id", std::get<0>(k)},
          {"vnet", std::get<1>(k)},
          {"subnet", std::get<2>(k)}};
}

// Severity 1-5 of both types always; unknown (0) and 6-7 only when seen.
void EmitCounts(FamilyBuilder& b, Labels labels,
                const HostDetectionStore::Counts& counts) {
  labels.emplace_back("severity", "");
  labels.emplace_back("type", "");
  for (int s = 0; s <= 7; ++s) {
    for (DetectionType t : kTypes) {
      const auto n = counts[HostDetectionStore::CountIndex(s, t)];
      if ((s < 1 || s > 5) && n == 0) continue;
      labels[labels.size() - 2].second =
          s >= 1 && s <= 5 ? std::to_string(s) : std::string(kUnknownSeverity);
      labels.back().second = std::string(DetectionTypeLabel(t));
      b.Gauge(labels, static_cast<double>(n));
    }
  }
}

void Add(HostDetectionStore::Counts& into,
         const HostDetectionStore::Counts& counts) {
  for (std::size_t i = 0; i < into.size(); ++i) {
    // Severities outside 1-5 all become "unknown" (index of severity 0).
    const std::size_t s = i / 2;
    const std::size_t target = s >= 1 && s <= 5 ? i : i % 2;
    into[target] += counts[i];
  }
}

}  // namespace

std::vector<prometheus::MetricFamily> AggregateHostVulnerabilities(
    const HostAssetStore& hosts, const HostDetectionStore& detections) {
  const HostAssetStore::QwebIndex index = hosts.BuildQwebIndex();
  const auto& src = hosts.azure_sources();
  std::array<HostDetectionStore::Counts, 4> by_provider{};
  std::map<SubnetKey, HostDetectionStore::Counts> by_subnet;
  for (const AzureSource& s : src) by_subnet.try_emplace(SubnetOf(s));
  detections.ForEachHost(
      [&](std::uint64_t host_id, const HostDetectionStore::Counts& counts) {
        const auto* entry = index.Find(host_id);
        const CloudProvider provider =
            entry ? entry->cloud_provider : CloudProvider::kNone;
        Add(by_provider[static_cast<std::size_t>(provider)], counts);
        if (entry && entry->azure != HostAssetStore::kNoAzure) {
          Add(by_subnet[SubnetOf(src[entry->azure])], counts);
        }
      });
  FamilyBuilder azure(
      "qualys_azure_host_vulnerabilities",
      std::string("Open vulnerability detections (Confirmed, Potential) on "
                  "Azure hosts by subscription, VNet, subnet and severity") +
          kPollNote,
      prometheus::MetricType::Gauge);
  for (const auto& [key, counts] : by_subnet) {
    EmitCounts(azure, SubnetLabels(key), counts);
  }
  FamilyBuilder all(
      "qualys_host_vulnerabilities",
      std::string("Open vulnerability detections (Confirmed, Potential) on "
                  "all hosts by cloud provider and severity") +
          kPollNote,
      prometheus::MetricType::Gauge);
  for (auto p : kProviders) {
    EmitCounts(all, {{"cloud_provider", std::string(CloudProviderLabel(p))}},
               by_provider[static_cast<std::size_t>(p)]);
  }
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(azure).Build());
  out.push_back(std::move(all).Build());
  return out;
}

std::vector<prometheus::MetricFamily> AggregateScanCoverage(
    const HostAssetStore& hosts, std::int64_t now,
    std::int64_t max_scan_age_seconds) {
  const auto& src = hosts.azure_sources();
  std::array<std::uint64_t, 4> unscanned{};
  struct Ages {
    std::array<std::uint64_t, kAgeBuckets.size()> le{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::array<Ages, 4> ages{};
  std::map<SubnetKey, std::uint64_t> azure_unscanned;
  for (const AzureSource& s : src) azure_unscanned.try_emplace(SubnetOf(s));
  hosts.ForEachHostCoverage([&](const HostAssetStore::Coverage& c) {
    const auto p = static_cast<std::size_t>(c.cloud_provider);
    const bool scanned = c.last_vuln_scan > 0;
    const std::int64_t age = now - c.last_vuln_scan;
    if (!scanned || age > max_scan_age_seconds) {
      ++unscanned[p];
      if (c.azure != HostAssetStore::kNoAzure) {
        ++azure_unscanned[SubnetOf(src[c.azure])];
      }
    }
    if (!scanned) return;
    Ages& a = ages[p];
    for (std::size_t b = 0; b < kAgeBuckets.size(); ++b) {
      if (age <= kAgeBuckets[b]) ++a.le[b];
    }
    ++a.count;
    a.sum += static_cast<double>(age);
  });
  FamilyBuilder unscanned_f(
      "qualys_host_assets_unscanned",
      std::string("Host assets with no vulnerability scan within "
                  "--coverage.max-scan-age, or never scanned") +
          kPollNote,
      prometheus::MetricType::Gauge);
  FamilyBuilder age_f(
      "qualys_host_last_vuln_scan_age_seconds",
      std::string("Age of the last vulnerability scan of the scanned host "
                  "assets, by the API's clock") +
          kPollNote,
      prometheus::MetricType::Histogram);
  for (auto p : kProviders) {
    const std::string provider(CloudProviderLabel(p));
    const auto i = static_cast<std::size_t>(p);
    unscanned_f.Gauge({{"cloud_provider", provider}},
                      static_cast<double>(unscanned[i]));
    std::vector<std::pair<double, std::uint64_t>> buckets;
    for (std::size_t b = 0; b < kAgeBuckets.size(); ++b) {
      buckets.emplace_back(static_cast<double>(kAgeBuckets[b]), ages[i].le[b]);
    }
    age_f.Histogram({{"cloud_provider", provider}}, buckets, ages[i].count,
                    ages[i].sum);
  }
  FamilyBuilder azure_f(
      "qualys_azure_host_assets_unscanned",
      std::string("Azure host assets with no vulnerability scan within "
                  "--coverage.max-scan-age, or never scanned, by "
                  "subscription, VNet and subnet") +
          kPollNote,
      prometheus::MetricType::Gauge);
  for (const auto& [key, n] : azure_unscanned) {
    azure_f.Gauge(SubnetLabels(key), static_cast<double>(n));
  }
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(unscanned_f).Build());
  out.push_back(std::move(azure_f).Build());
  out.push_back(std::move(age_f).Build());
  return out;
}

}  // namespace qx
