// Helpers the benchmarks share.
#pragma once

#include <string>

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

// The open detections a Host List Detection walk would give for the host
// assets' own vuln lists (QID q with severity 1 + q % 5, every third
// potential), keyed by qwebHostId: a realistic join for the aggregation.
inline HostDetectionStore DetectionsFor(const HostAssetStore& hosts) {
  HostDetectionStore out;
  hosts.ForEachHostCoverage([&](const HostAssetStore::Coverage& c) {
    if (c.qweb_host_id == 0) return;
    DetectionHost host;
    host.id = c.qweb_host_id;
    std::uint32_t port = 0;
    for (std::uint64_t qid : hosts.hosts().at(c.id).qids) {
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
  });
  return out;
}

}  // namespace qx::bench
