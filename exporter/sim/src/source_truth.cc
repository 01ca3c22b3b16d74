#include "qx/sim/source_truth.h"

#include <array>
#include <map>
#include <string>

namespace qx::sim {
namespace {

template <std::size_t N>
void Rows(JsonWriter& j, std::string_view key,
          const std::map<std::array<std::string, N>, std::uint64_t>& rows,
          const std::array<std::string_view, N>& labels) {
  j.Key(key);
  j.BeginArray();
  for (const auto& [k, v] : rows) {
    j.BeginObject();
    for (std::size_t i = 0; i < N; ++i) j.Field(labels[i], k[i]);
    j.FieldUint("value", v);
    j.EndObject();
  }
  j.EndArray();
}

// Upper bounds of the lastVulnScan age buckets, seconds.
constexpr Seconds kAgeBuckets[] = {kDay,      7 * kDay,   30 * kDay,
                                   90 * kDay, 180 * kDay, 365 * kDay};

void WriteHostTruth(JsonWriter& j, const HostAssetGenerator& gen,
                    const DetectionModel& detections,
                    std::span<const Seconds> epoch_times, Seconds now,
                    Seconds max_scan_age) {
  // cloud provider, severity, type
  std::map<std::array<std::string, 3>, std::uint64_t> open;
  // subscription, vnet, subnet, severity, type
  std::map<std::array<std::string, 5>, std::uint64_t> azure_open;
  std::map<std::string, std::uint64_t> unscanned{
      {"azure", 0}, {"aws", 0}, {"gcp", 0}, {"none", 0}};
  std::map<std::array<std::string, 3>, std::uint64_t> azure_unscanned;
  std::uint64_t never = 0;
  std::array<std::uint64_t, std::size(kAgeBuckets) + 1> ages{};
  std::uint64_t am_hosts = 0;
  auto count_detections = [&](const DetectionHostRec& host,
                              const std::string& cloud,
                              const std::array<std::string, 3>* azure) {
    for (const DetectionRec& d : host.detections) {
      if (!d.counts()) continue;
      const std::string severity = std::to_string(d.severity);
      const std::string type(DetTypeLabel(d.type));
      ++open[{cloud, severity, type}];
      if (azure != nullptr) {
        ++azure_open[{(*azure)[0], (*azure)[1], (*azure)[2], severity, type}];
      }
    }
  };
  for (std::uint64_t i = 0; i < gen.size(); ++i) {
    const HostAssetRec h = gen.Generate(i, epoch_times);
    const std::string cloud(CloudLabel(h.cloud));
    std::array<std::string, 3> azure;
    if (h.cloud == Cloud::kAzure) {
      azure = {gen.SubscriptionOf(h).id, std::string(gen.VnetLabelOf(h)),
               std::string(gen.SubnetOf(h))};
      azure_unscanned.try_emplace(azure, 0);
    }
    const bool stale = !h.vm_scanned || now - h.last_vuln_scan > max_scan_age;
    if (stale) {
      ++unscanned[cloud];
      if (h.cloud == Cloud::kAzure) ++azure_unscanned[azure];
    }
    if (!h.vm_scanned) {
      ++never;
    } else {
      const Seconds age = now - h.last_vuln_scan;
      for (std::size_t b = 0; b < ages.size(); ++b) {
        if (b == std::size(kAgeBuckets) || age <= kAgeBuckets[b]) ++ages[b];
      }
    }
    if (!h.has_qweb_host || !h.vm_scanned) continue;
    ++am_hosts;
    DetectionHostRec host;
    host.asset = h;
    host.detections = detections.DetectionsOf(h);
    count_detections(host, cloud, h.cloud == Cloud::kAzure ? &azure : nullptr);
  }
  // VM hosts Asset Management does not know: cloud_provider "none".
  std::uint64_t vm_only = 0;
  for (auto c = detections.LowerBound(0); !detections.AtEnd(c);
       detections.Next(c)) {
    if (c.am < gen.size() && QwebHostIdOf(c.am) == detections.IdAt(c)) {
      continue;
    }
    const auto host = detections.HostAt(c, epoch_times);
    ++vm_only;
    count_detections(*host, "none", nullptr);
  }

  Rows<3>(j, "host_detections", open, {"cloud_provider", "severity", "type"});
  Rows<5>(j, "azure_host_detections", azure_open,
          {"subscription_id", "vnet", "subnet", "severity", "type"});
  j.Key("detection_hosts");
  j.BeginObject();
  j.FieldUint("known_to_asset_management", am_hosts);
  j.FieldUint("vm_only", vm_only);
  j.EndObject();
  j.FieldInt("max_scan_age_seconds", max_scan_age);
  j.FieldInt("now", now);
  j.Key("host_assets_unscanned");
  j.BeginObject();
  for (const auto& [cloud, n] : unscanned) j.FieldUint(cloud, n);
  j.EndObject();
  Rows<3>(j, "azure_host_assets_unscanned", azure_unscanned,
          {"subscription_id", "vnet", "subnet"});
  j.Key("host_last_vuln_scan_age");
  j.BeginObject();
  j.FieldUint("never", never);
  j.Key("buckets");
  j.BeginArray();
  for (std::size_t b = 0; b < ages.size(); ++b) {
    j.BeginObject();
    j.Field("le", b == std::size(kAgeBuckets) ? std::string("+Inf")
                                              : std::to_string(kAgeBuckets[b]));
    j.FieldUint("value", ages[b]);
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
}

void WriteScheduleTruth(JsonWriter& j, const ScheduleModel& model,
                        std::span<const Seconds> epoch_times, Seconds now) {
  const std::vector<ScheduleRec> schedules = model.Schedules(epoch_times);
  std::map<std::array<std::string, 3>, std::uint64_t> by_kind;
  for (const ScheduleRec& s : schedules) {
    ++by_kind[{std::string(s.type), s.active ? "true" : "false",
               std::string(s.occurrence)}];
  }
  Rows<3>(j, "was_scan_schedules", by_kind,
          {"type", "active", "occurrence_type"});
  j.Key("was_webapp_scheduled");
  j.BeginArray();
  for (const ScheduleWebApp& app : model.webapps()) {
    bool scheduled = false;
    for (const ScheduleRec& s : schedules) {
      scheduled = scheduled || (s.active && s.type == "VULNERABILITY" &&
                                ScheduleModel::Targets(s, app));
    }
    j.BeginObject();
    j.Field("webapp_id", std::to_string(app.id));
    j.FieldUint("value", scheduled ? 1 : 0);
    j.EndObject();
  }
  j.EndArray();
  // Every web app the web app search returns, with or without findings.
  j.Key("was_webapp_info");
  j.BeginArray();
  for (const ScheduleWebApp& app : model.webapps()) {
    j.BeginObject();
    j.Field("webapp_id", std::to_string(app.id));
    j.Field("name", app.name);
    j.Field("url", app.url);
    j.FieldUint("value", 1);
    j.EndObject();
  }
  j.EndArray();
  j.Key("was_scan_schedule_info");
  j.BeginArray();
  for (const ScheduleRec& s : schedules) {
    std::vector<std::string> targets;
    for (const ScheduleWebApp& app : model.webapps()) {
      if (ScheduleModel::Targets(s, app)) {
        targets.push_back(std::to_string(app.id));
      }
    }
    if (targets.empty()) targets.emplace_back();  // e.g. a deleted web app
    for (const std::string& webapp : targets) {
      j.BeginObject();
      j.Field("schedule_id", std::to_string(s.id));
      j.Field("name", s.name);
      j.Field("webapp_id", webapp);
      j.Field("type", s.type);
      j.Field("active", s.active ? "true" : "false");
      j.Field("occurrence_type", s.occurrence);
      j.Field("send_mail_from", !s.send_mail ? std::string_view()
                                : s.from_option.empty()
                                    ? std::string_view("QUALYS_SUPPORT")
                                    : s.from_option);
      j.EndObject();
    }
  }
  j.EndArray();
  j.Key("was_scan_schedule_next_launch");
  j.BeginArray();
  for (const ScheduleRec& s : schedules) {
    if (const auto next = ScheduleModel::NextLaunch(s, now)) {
      j.BeginObject();
      j.Field("schedule_id", std::to_string(s.id));
      j.FieldInt("value", *next);
      j.EndObject();
    }
  }
  j.EndArray();
}

}  // namespace

void WriteSourceTruth(JsonWriter& j, const HostAssetGenerator& gen,
                      const DetectionModel& detections,
                      const ScheduleModel& schedules,
                      std::span<const Seconds> epoch_times, Seconds now,
                      Seconds max_scan_age) {
  WriteHostTruth(j, gen, detections, epoch_times, now, max_scan_age);
  WriteScheduleTruth(j, schedules, epoch_times, now);
}

}  // namespace qx::sim
