// Helpers the benchmarks share.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "qx/records/records.h"
#include "qx/store/host_asset_store.h"
#include "qx/store/host_detection_store.h"

namespace qx::bench {

// --name=value from argv, or def.
inline std::string Arg(int argc, char** argv, const std::string& name,
                       const std::string& def) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
  }
  return def;
}

// A 64-bit mixer (MurmurHash3's finalizer) for deterministic bench data.
inline std::uint64_t MixBits(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

// One Host List Detection host with an open detection per QID (severity
// 1 + q % 5, every third potential, a port each), applied to out.
template <typename Qids>
void ApplyDetectionHost(HostDetectionStore& out, std::uint64_t qweb_host_id,
                        const Qids& qids) {
  DetectionHost host;
  host.id = qweb_host_id;
  std::uint32_t port = 0;
  for (std::uint64_t qid : qids) {
    HostDetection d;
    d.qid = qid;
    d.severity = 1 + static_cast<int>(qid % 5);
    d.type =
        qid % 3 == 0 ? DetectionType::kPotential : DetectionType::kConfirmed;
    d.status = DetectionStatus::kActive;
    d.port = ++port;
    host.detections.push_back(std::move(d));
  }
  out.Apply(host, HostDetectionStore::Merge::kReplace);
}

// The open detections a Host List Detection walk would give for the VM
// hosts among the host assets (those with a qwebHostId), keyed by
// qwebHostId: a realistic join for the aggregation. The store keeps no
// QIDs, so each host gets per_host QIDs from a pool of 2000 (38000-39999),
// derived from a hash of its host asset id: the same for every run.
inline HostDetectionStore DetectionsFor(const HostAssetStore& hosts,
                                        std::size_t per_host = 5) {
  HostDetectionStore out;
  std::vector<std::uint64_t> qids;
  hosts.ForEachHostCoverage([&](const HostAssetStore::Coverage& c) {
    if (c.qweb_host_id == 0) return;
    qids.clear();
    for (std::size_t v = 0; v < per_host; ++v) {
      qids.push_back(38000 + MixBits(c.id * 31 + v) % 2000);
    }
    ApplyDetectionHost(out, c.qweb_host_id, qids);
  });
  return out;
}

// The same from parsed host asset records, with each record's own vuln
// list (HostAsset::vulns) as its detections; a later record of an id
// replaces an earlier one, as HostAssetStore::Upsert does.
inline HostDetectionStore DetectionsFor(const std::vector<HostAsset>& records) {
  std::map<std::uint64_t, const HostAsset*> latest;  // by host asset id
  for (const auto& a : records) latest[a.id] = &a;
  HostDetectionStore out;
  std::vector<std::uint64_t> qids;
  for (const auto& [id, a] : latest) {
    if (a->qweb_host_id == 0) continue;
    qids.clear();
    for (const auto& v : a->vulns) qids.push_back(v.qid);
    ApplyDetectionHost(out, a->qweb_host_id, qids);
  }
  return out;
}

}  // namespace qx::bench
