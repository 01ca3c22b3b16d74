#include "qx/sim/dataset.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "qx/sim/json_writer.h"
#include "qx/sim/knowledge_base.h"
#include "qx/sim/source_truth.h"

namespace qx::sim {
namespace {

std::string SeverityLabel(std::uint64_t qid) {
  const KbEntry* e = FindKbEntry(qid);
  return e == nullptr ? "unknown" : std::to_string(e->severity);
}

struct HostTruth {
  std::map<std::string, std::uint64_t> assets{
      {"azure", 0}, {"aws", 0}, {"gcp", 0}, {"none", 0}};
  // subscription, resource group, vnet, subnet, location, state
  std::map<std::array<std::string, 6>, std::uint64_t> azure_assets;
  // subscription, vnet, subnet, severity
  std::map<std::array<std::string, 4>, std::uint64_t> azure_vulns;
  // cloud provider, severity
  std::map<std::array<std::string, 2>, std::uint64_t> vulns;
};

HostTruth ComputeHostTruth(const HostAssetGenerator& gen,
                           std::span<const Seconds> epoch_times) {
  HostTruth t;
  for (std::uint64_t i = 0; i < gen.size(); ++i) {
    const HostAssetRec h = gen.Generate(i, epoch_times);
    const std::string cloud(CloudLabel(h.cloud));
    ++t.assets[cloud];
    const bool azure = h.cloud == Cloud::kAzure;
    if (azure) {
      ++t.azure_assets[{
          gen.SubscriptionOf(h).id, gen.ResourceGroupOf(h).name,
          std::string(gen.VnetLabelOf(h)), std::string(gen.SubnetOf(h)),
          gen.ResourceGroupOf(h).location, std::string(gen.StateOf(h))}];
    }
    for (const HostVulnRec& v : h.vulns) {
      const std::string severity = SeverityLabel(v.qid);
      ++t.vulns[{cloud, severity}];
      if (azure) {
        ++t.azure_vulns[{gen.SubscriptionOf(h).id,
                         std::string(gen.VnetLabelOf(h)),
                         std::string(gen.SubnetOf(h)), severity}];
      }
    }
  }
  return t;
}

template <std::size_t N>
void WriteRows(JsonWriter& j, std::string_view key,
               const std::map<std::array<std::string, N>, std::uint64_t>& rows,
               const std::array<std::string_view, N>& labels,
               bool keep_zero = false) {
  j.Key(key);
  j.BeginArray();
  for (const auto& [k, v] : rows) {
    if (v == 0 && !keep_zero) continue;
    j.BeginObject();
    for (std::size_t i = 0; i < N; ++i) j.Field(labels[i], k[i]);
    j.FieldUint("value", v);
    j.EndObject();
  }
  j.EndArray();
}

Seconds WallClock() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Seconds ResolveTimeBase(Seconds time_base) {
  return time_base != 0 ? time_base : WallClock();
}

}  // namespace

Dataset::Dataset(std::uint64_t seed, std::size_t host_assets,
                 std::size_t webapps, std::size_t findings_per_webapp,
                 Seconds time_base, HostMix host_mix,
                 unsigned was_rescan_percent, DetectionMix detection_mix,
                 std::size_t schedules, std::size_t webapps_without_findings,
                 Seconds processing_lag)
    : hosts_(seed, host_assets, ResolveTimeBase(time_base), host_mix),
      fixed_clock_(time_base != 0),
      epoch_times_{ResolveTimeBase(time_base)},
      was_(seed, webapps, findings_per_webapp, epoch_times_.front(),
           was_rescan_percent, processing_lag),
      detections_(hosts_, detection_mix),
      schedules_(seed, was_.webapps(), epoch_times_.front(), schedules,
                 webapps_without_findings) {}

Seconds Dataset::now() const {
  std::shared_lock lock(mu_);
  const Seconds last = epoch_times_.back();
  return fixed_clock_ ? last : std::max(last, WallClock());
}

std::vector<Seconds> Dataset::EpochTimes() const {
  std::shared_lock lock(mu_);
  return epoch_times_;
}

int Dataset::Advance() {
  std::unique_lock lock(mu_);
  const int next = epoch_.load() + 1;
  const Seconds previous = epoch_times_.back();
  // Never before the previous epoch's stamps, so records only move forward.
  const Seconds at = fixed_clock_
                         ? previous + kDay
                         : std::max(WallClock(), previous + kStampSpread + 1);
  was_.Advance(next, at);
  epoch_times_.push_back(at);
  epoch_.store(next);
  return next;
}

std::string Dataset::ExpectedJson(int recurrence_min_scans,
                                  Seconds max_scan_age) const {
  std::shared_lock lock(mu_);
  const int epoch = epoch_.load();
  const HostTruth hosts = ComputeHostTruth(hosts_, epoch_times_);

  std::map<std::array<std::string, 4>, std::uint64_t> findings;
  std::map<std::array<std::string, 2>, std::uint64_t> recurring;
  std::vector<const WasFindingRec*> recurring_list;
  std::map<std::array<std::string, 3>, std::uint64_t> open_scans;
  std::map<std::array<std::string, 2>, std::set<std::string>> keyword_links;
  std::map<std::string, Seconds> last_scan;
  for (const WasFindingRec& f : was_.findings()) {
    const WasWebApp& app = was_.WebAppOf(f);
    const std::string webapp = std::to_string(app.id);
    const std::string severity = std::to_string(f.severity);
    const std::string category(FindingTypeName(f.type));
    ++findings[{webapp, severity, f.status, category}];
    const std::size_t scans = was_.DistinctScans(f);
    if (f.is_open()) {
      ++open_scans[{category, severity, std::to_string(scans)}];
    }
    if (f.type != FindingType::kInformationGathered && f.is_open() &&
        (f.status == "REOPENED" || scans >= static_cast<std::size_t>(std::max(
                                                1, recurrence_min_scans)))) {
      ++recurring[{webapp, severity}];
      recurring_list.push_back(&f);
    }
    for (std::size_t i = 0; i < f.history.size(); ++i) {
      Seconds& newest = last_scan[webapp];
      newest = std::max(newest, was_.ScanAt(f, i).launched);
    }
    for (const KeywordBlock& b : f.keywords) {
      auto& links = keyword_links[{webapp, b.regex}];
      for (const KeywordLink& l : b.links) links.insert(l.url);
    }
  }

  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.FieldInt("epoch", epoch);
  j.FieldInt("recurrence_min_scans", recurrence_min_scans);
  j.Key("host_assets");
  j.BeginObject();
  for (const auto& [cloud, n] : hosts.assets) j.FieldUint(cloud, n);
  j.EndObject();
  WriteRows<6>(j, "azure_host_assets", hosts.azure_assets,
               {"subscription_id", "resource_group", "vnet", "subnet",
                "location", "state"});
  WriteRows<4>(j, "azure_host_vulnerabilities", hosts.azure_vulns,
               {"subscription_id", "vnet", "subnet", "severity"});
  WriteRows<2>(j, "host_vulnerabilities", hosts.vulns,
               {"cloud_provider", "severity"});
  WriteRows<4>(j, "was_findings", findings,
               {"webapp_id", "severity", "status", "category"});
  WriteRows<2>(j, "was_recurring_findings", recurring,
               {"webapp_id", "severity"});
  std::sort(recurring_list.begin(), recurring_list.end(),
            [](const WasFindingRec* a, const WasFindingRec* b) {
              return a->id < b->id;
            });
  j.Key("was_recurring_finding_ids");
  j.BeginArray();
  for (const WasFindingRec* f : recurring_list) j.Uint(f->id);
  j.EndArray();
  j.Key("was_recurring_finding_unique_ids");
  j.BeginArray();
  for (const WasFindingRec* f : recurring_list) j.String(f->unique_id);
  j.EndArray();
  j.Key("was_recurring_finding_severity");
  j.BeginObject();
  for (const WasFindingRec* f : recurring_list) {
    j.Field(std::to_string(f->id), std::to_string(f->severity));
  }
  j.EndObject();
  j.Key("was_recurring_finding_info");
  j.BeginArray();
  for (const WasFindingRec* f : recurring_list) {
    j.BeginObject();
    j.FieldUint("id", f->id);
    j.Field("unique_id", f->unique_id);
    j.Field("qid", std::to_string(f->qid));
    j.Field("webapp_id", std::to_string(was_.WebAppOf(*f).id));
    j.Field("severity", std::to_string(f->severity));
    j.EndObject();
  }
  j.EndArray();
  std::map<std::array<std::string, 2>, std::uint64_t> keyword_counts;
  for (const auto& [k, links] : keyword_links) keyword_counts[k] = links.size();
  WriteRows<2>(j, "was_keyword_links", keyword_counts, {"webapp_id", "regex"},
               /*keep_zero=*/true);
  WriteRows<3>(j, "was_open_finding_scans", open_scans,
               {"category", "severity", "scans"});
  j.Key("was_webapp_last_scan_timestamp_seconds");
  j.BeginArray();
  for (const auto& [webapp, t] : last_scan) {
    j.BeginObject();
    j.Field("webapp_id", webapp);
    j.FieldInt("value", t);
    j.EndObject();
  }
  j.EndArray();
  j.Key("was_webapps");
  j.BeginArray();
  for (const WasWebApp& app : was_.webapps()) {
    j.BeginObject();
    j.Field("webapp_id", std::to_string(app.id));
    j.Field("name", app.name);
    j.Field("url", app.url);
    j.EndObject();
  }
  j.EndArray();
  // now() without taking the lock again.
  const Seconds now = fixed_clock_ ? epoch_times_.back()
                                   : std::max(epoch_times_.back(), WallClock());
  WriteSourceTruth(j, hosts_, detections_, schedules_, epoch_times_, now,
                   max_scan_age);
  j.EndObject();
  return out;
}

}  // namespace qx::sim
