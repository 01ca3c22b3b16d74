#include "qx/sim/host_detections.h"

#include <algorithm>

#include "qx/sim/knowledge_base.h"
#include "qx/sim/rng.h"

namespace qx::sim {
namespace {

enum Salt : std::uint64_t {
  kSaltType = 301,
  kSaltIgnored,
  kSaltDisabled,
  kSaltSeverity,
  kSaltPort,
};

bool Between(Seconds t, const std::optional<Seconds>& after_exclusive,
             const std::optional<Seconds>& before_exclusive) {
  return (!after_exclusive || t > *after_exclusive) &&
         (!before_exclusive || t < *before_exclusive);
}

}  // namespace

std::string_view DetStatusName(DetStatus s) {
  switch (s) {
    case DetStatus::kNew:
      return "New";
    case DetStatus::kActive:
      return "Active";
    case DetStatus::kFixed:
      return "Fixed";
    case DetStatus::kReOpened:
      break;
  }
  return "Re-Opened";
}

std::string_view DetTypeName(DetType t) {
  switch (t) {
    case DetType::kConfirmed:
      return "Confirmed";
    case DetType::kPotential:
      return "Potential";
    case DetType::kInfo:
      break;
  }
  return "Info";
}

std::string_view DetTypeLabel(DetType t) {
  return t == DetType::kPotential ? "potential"
         : t == DetType::kInfo    ? "info"
                                  : "confirmed";
}

DetectionModel::DetectionModel(const HostAssetGenerator& gen, DetectionMix mix)
    : gen_(gen),
      mix_(mix),
      vm_only_(gen.size() *
               static_cast<std::uint64_t>(
                   std::clamp(mix.vm_only_host_percent, 0, 100)) /
               100) {}

std::uint64_t DetectionModel::VmOnlyId(std::uint64_t j) const {
  // After host asset j * N / M: distinct ids between the qwebHostIds.
  return QwebHostIdOf(j * gen_.size() / vm_only_) + 1;
}

DetectionModel::Cursor DetectionModel::LowerBound(std::uint64_t id) const {
  Cursor c;
  const std::uint64_t n = gen_.size();
  c.am = id <= kQwebHostIdBase
             ? 0
             : std::min<std::uint64_t>(n, (id - kQwebHostIdBase + 2) / 3);
  std::uint64_t lo = 0;
  std::uint64_t hi = vm_only_;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (VmOnlyId(mid) < id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  c.vm_only = lo;
  return c;
}

bool DetectionModel::AtEnd(const Cursor& c) const {
  return c.am >= gen_.size() && c.vm_only >= vm_only_;
}

std::uint64_t DetectionModel::IdAt(const Cursor& c) const {
  const std::uint64_t am = c.am < gen_.size() ? QwebHostIdOf(c.am) : UINT64_MAX;
  const std::uint64_t vm =
      c.vm_only < vm_only_ ? VmOnlyId(c.vm_only) : UINT64_MAX;
  return std::min(am, vm);
}

void DetectionModel::Next(Cursor& c) const {
  const std::uint64_t am = c.am < gen_.size() ? QwebHostIdOf(c.am) : UINT64_MAX;
  const std::uint64_t vm =
      c.vm_only < vm_only_ ? VmOnlyId(c.vm_only) : UINT64_MAX;
  if (am < vm) {
    ++c.am;
  } else {
    ++c.vm_only;
  }
}

std::optional<DetectionHostRec> DetectionModel::HostAt(
    const Cursor& c, std::span<const Seconds> epoch_times) const {
  DetectionHostRec host;
  const std::uint64_t id = IdAt(c);
  const bool am = c.am < gen_.size() && QwebHostIdOf(c.am) == id;
  host.asset = gen_.Generate(am ? c.am : gen_.size() + c.vm_only, epoch_times);
  if (am && (!host.asset.has_qweb_host || !host.asset.vm_scanned)) {
    return std::nullopt;
  }
  host.id = id;
  host.known_to_am = am;
  host.last_scan = host.asset.last_vuln_scan;
  host.detections = DetectionsOf(host.asset);
  return host;
}

std::vector<DetectionRec> DetectionModel::DetectionsOf(
    const HostAssetRec& h) const {
  std::vector<DetectionRec> out;
  if (!h.vm_scanned) return out;
  const std::uint64_t seed = gen_.seed();
  auto make = [&](const HostVulnRec& v) {
    DetectionRec d;
    d.qid = v.qid;
    d.unique_vuln_id = v.host_instance_vuln_id;
    const KbEntry* kb = FindKbEntry(v.qid);
    const std::uint64_t h1 = Hash({seed, h.index, v.qid, kSaltType});
    if (kb != nullptr && kb->vuln_type == "Information Gathered") {
      d.type = DetType::kInfo;
      d.has_severity = h1 % 3 != 0;
    } else if ((kb != nullptr && kb->vuln_type == "Potential Vulnerability") ||
               static_cast<int>(h1 % 100) < mix_.potential_percent) {
      d.type = DetType::kPotential;
    }
    d.severity =
        kb != nullptr
            ? kb->severity
            : 1 + static_cast<int>(Hash({seed, v.qid, kSaltSeverity}) % 5);
    d.ignored = static_cast<int>(Hash({seed, h.index, v.qid, kSaltIgnored}) %
                                 100) < mix_.ignored_percent;
    d.disabled = static_cast<int>(Hash({seed, h.index, v.qid, kSaltDisabled}) %
                                  100) < mix_.disabled_percent;
    // TLS/SSH findings sit on a port; the rest on the host.
    if (v.qid / 1000 == 38 || v.qid == 42046) {
      const bool ssh = v.qid == 38739 || v.qid == 38909 || v.qid == 42046;
      d.port = ssh                                           ? 22
               : Hash({seed, h.index, v.qid, kSaltPort}) % 2 ? 443
                                                             : 3389;
      d.protocol = "tcp";
      d.ssl = !ssh;
    }
    d.first_found = v.first_found;
    return d;
  };
  for (const HostVulnRec& v : h.vulns) {
    DetectionRec d = make(v);
    d.status = v.reopened                          ? DetStatus::kReOpened
               : v.first_found >= h.last_vuln_scan ? DetStatus::kNew
                                                   : DetStatus::kActive;
    d.reopened = v.reopened ? v.reopened_at : 0;
    d.last_found = d.last_test = d.last_update = h.last_vuln_scan;
    d.times_found = 1 + static_cast<unsigned>(
                            (h.last_vuln_scan - v.first_found) / (7 * kDay));
    out.push_back(d);
  }
  for (const HostVulnRec& v : h.fixed_vulns) {
    DetectionRec d = make(v);
    d.status = DetStatus::kFixed;
    d.last_found = v.last_found;
    d.last_test = h.last_vuln_scan;
    d.last_update = d.last_fixed = v.fixed;
    d.times_found =
        1 + static_cast<unsigned>((v.last_found - v.first_found) / (7 * kDay));
    out.push_back(d);
  }
  std::sort(out.begin(), out.end(),
            [](const DetectionRec& a, const DetectionRec& b) {
              return a.qid < b.qid;
            });
  return out;
}

bool DetectionModel::Filter(const DetectionQuery& q, DetectionHostRec* host) {
  if (host->id < q.id_min || host->id > q.id_max) return false;
  if (!q.ids.empty() &&
      std::none_of(q.ids.begin(), q.ids.end(), [&](const auto& r) {
        return host->id >= r.first && host->id <= r.second;
      })) {
    return false;
  }
  if (!Between(host->last_scan, q.vm_processed_after, q.vm_processed_before)) {
    return false;
  }
  if (q.vm_scan_since && host->last_scan < *q.vm_scan_since) return false;
  std::erase_if(host->detections, [&](const DetectionRec& d) {
    if (d.type == DetType::kInfo && !q.show_igs) return true;
    if (d.ignored && !q.include_ignored) return true;
    if (d.disabled && !q.include_disabled) return true;
    if (!q.statuses.empty() && std::find(q.statuses.begin(), q.statuses.end(),
                                         d.status) == q.statuses.end()) {
      return true;
    }
    if (q.detection_updated_since && d.last_update < *q.detection_updated_since)
      return true;
    if (q.detection_updated_before &&
        d.last_update >= *q.detection_updated_before)
      return true;
    if (q.detection_processed_after &&
        d.last_update <= *q.detection_processed_after)
      return true;
    return false;
  });
  return !host->detections.empty();
}

}  // namespace qx::sim
