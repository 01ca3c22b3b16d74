// Scan coverage of a generated host asset (HostMix): VM host or not,
// scanned or not, recently or long ago; detections first found by the last
// scan, re-opened ones, and detections fixed by an earlier scan.
#include <algorithm>

#include "qx/sim/host_assets.h"
#include "qx/sim/knowledge_base.h"
#include "qx/sim/rng.h"

namespace qx::sim {
namespace {

// A stream of its own, so the draws of GenerateBase stay as they were.
constexpr std::uint64_t kSaltCoverage = 601;

}  // namespace

void HostAssetGenerator::GenerateCoverage(HostAssetRec* h) const {
  Rng rng({seed_, h->index, kSaltCoverage});
  const bool am_host = h->index < count_;
  h->qweb_host_id = am_host ? QwebHostIdOf(h->index) : 0;
  const auto pick = static_cast<int>(rng.Below(100));
  const int no_vm = mix_.no_vm_host_percent;
  const int unscanned = no_vm + mix_.unscanned_percent;
  const int stale = unscanned + mix_.stale_scan_percent;
  if (am_host && pick < unscanned) {
    h->has_qweb_host = pick >= no_vm;
    if (!h->has_qweb_host) h->qweb_host_id = 0;
    h->vm_scanned = false;
    h->last_vuln_scan = 0;
    h->vulns.clear();
    return;
  }
  if (am_host && pick < stale) {
    h->last_vuln_scan = time_base_ - rng.Range(91 * kDay, 400 * kDay);
    h->vulns_updated = h->last_vuln_scan;
    h->created = std::min(h->created, h->last_vuln_scan - kDay);
    for (HostVulnRec& v : h->vulns) {
      v.first_found = std::min(v.first_found, h->last_vuln_scan);
      v.last_found = h->last_vuln_scan;
    }
  }
  // About one in ten open detections was first found by the latest scan
  // (status New).
  // A few others were fixed once and found again (status Re-Opened).
  for (HostVulnRec& v : h->vulns) {
    const std::uint64_t roll = rng.Below(100);
    if (roll < 10) {
      v.first_found = h->last_vuln_scan;
    } else if (roll < 14 && h->last_vuln_scan - v.first_found > 2 * kDay) {
      v.reopened = true;
      v.reopened_at = h->last_vuln_scan -
                      rng.Range(kDay, (h->last_vuln_scan - v.first_found) / 2);
    }
  }
  // 0-2 detections fixed by an earlier scan.
  const std::span<const std::uint64_t> pool = HostQidPool();
  const std::size_t fixed = rng.Index(3);
  for (std::size_t k = 0; k < fixed; ++k) {
    const std::size_t p = rng.Index(pool.size());
    const auto same = [&](const HostVulnRec& v) { return v.qid == pool[p]; };
    if (std::any_of(h->vulns.begin(), h->vulns.end(), same) ||
        std::any_of(h->fixed_vulns.begin(), h->fixed_vulns.end(), same)) {
      continue;
    }
    HostVulnRec v;
    v.qid = pool[p];
    v.host_instance_vuln_id = kVulnIdBase + h->index * 64 + p;
    const Seconds span = std::max<Seconds>(2, h->last_vuln_scan - h->created);
    v.first_found = h->created + rng.Range(0, span / 2);
    v.last_found = v.first_found + rng.Range(0, span / 4);
    v.fixed = std::min(h->last_vuln_scan, v.last_found + 7 * kDay);
    h->fixed_vulns.push_back(v);
  }
}

}  // namespace qx::sim
