// VM Host List Detection data: every host asset with a qwebHostId and a scan
// is a detection host (HOST/ID = qwebHostId), plus VM hosts Asset Management
// does not know. Like the host assets, nothing is stored: a host's
// detections are a pure function of its generated record, so they evolve
// with it (a scan that fixes a detection turns it Fixed, one that finds it
// again Re-Opened) and the incremental filters see exactly those changes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "qx/sim/host_assets.h"

namespace qx::sim {

enum class DetStatus : std::uint8_t { kNew, kActive, kFixed, kReOpened };
enum class DetType : std::uint8_t { kConfirmed, kPotential, kInfo };
// New, Active, Fixed, Re-Opened / Confirmed, Potential, Info (the API's).
std::string_view DetStatusName(DetStatus s);
std::string_view DetTypeName(DetType t);
// confirmed, potential (the exporter's type label).
std::string_view DetTypeLabel(DetType t);

struct DetectionMix {
  // Detection hosts unknown to Asset Management, percent of the host assets.
  int vm_only_host_percent = 5;
  // Share of the vulnerability detections reported as Potential.
  int potential_percent = 15;
  // Detections ignored / disabled by a user (never changed by an epoch).
  int ignored_percent = 4;
  int disabled_percent = 3;
};

struct DetectionRec {
  std::uint64_t qid = 0;
  std::uint64_t unique_vuln_id = 0;
  DetType type = DetType::kConfirmed;
  int severity = 1;
  bool has_severity = true;  // some Info detections omit SEVERITY
  DetStatus status = DetStatus::kActive;
  bool ignored = false;
  bool disabled = false;
  std::uint32_t port = 0;  // 0: no PORT/PROTOCOL
  std::string_view protocol;
  bool ssl = false;
  Seconds first_found = 0;
  Seconds last_found = 0;
  Seconds last_test = 0;
  Seconds last_update = 0;  // LAST_UPDATE_DATETIME = LAST_PROCESSED_DATETIME
  Seconds last_fixed = 0;   // 0: never fixed
  Seconds reopened = 0;     // 0: never re-opened
  unsigned times_found = 1;

  // The exporter's rule: open (New, Active, Re-Opened), neither ignored nor
  // disabled, Confirmed or Potential.
  bool counts() const {
    return status != DetStatus::kFixed && !ignored && !disabled &&
           type != DetType::kInfo;
  }
};

struct DetectionHostRec {
  std::uint64_t id = 0;
  bool known_to_am = true;  // a host asset has this qwebHostId
  HostAssetRec asset;       // name, IP, OS, cloud (asset.id: the host asset)
  Seconds last_scan = 0;    // LAST_VM_SCANNED_DATE, also when processed
  std::vector<DetectionRec> detections;
};

// The request's filters (the API's parameter names).
struct DetectionQuery {
  bool show_igs = false;
  bool include_ignored = false;
  bool include_disabled = false;
  bool show_results = true;
  bool show_asset_id = false;
  std::uint64_t truncation_limit = 1000;  // 0: everything
  std::uint64_t id_min = 0;
  std::uint64_t id_max = UINT64_MAX;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ids;  // ranges
  std::vector<DetStatus> statuses;                           // empty: all
  std::optional<Seconds> vm_processed_after;
  std::optional<Seconds> vm_processed_before;
  std::optional<Seconds> vm_scan_since;
  std::optional<Seconds> detection_updated_since;
  std::optional<Seconds> detection_updated_before;
  std::optional<Seconds> detection_processed_after;
};

class DetectionModel {
 public:
  DetectionModel(const HostAssetGenerator& gen, DetectionMix mix);

  std::uint64_t vm_only_hosts() const { return vm_only_; }

  // The candidate positions in ascending id: host assets (by index) merged
  // with the VM-only hosts.
  struct Cursor {
    std::uint64_t am = 0;
    std::uint64_t vm_only = 0;
  };
  Cursor LowerBound(std::uint64_t id) const;
  bool AtEnd(const Cursor& c) const;
  std::uint64_t IdAt(const Cursor& c) const;
  void Next(Cursor& c) const;
  // The detection host at c, or nullopt when that host asset is not a
  // scanned VM host (no qwebHostId, or never scanned).
  std::optional<DetectionHostRec> HostAt(
      const Cursor& c, std::span<const Seconds> epoch_times) const;

  // Every detection of a generated host (open and fixed, no filter).
  std::vector<DetectionRec> DetectionsOf(const HostAssetRec& h) const;

  // Applies the query's host and detection filters; false when the host is
  // not answered (filtered out, or no detection left: the API skips hosts
  // without detections).
  static bool Filter(const DetectionQuery& q, DetectionHostRec* host);

 private:
  std::uint64_t VmOnlyId(std::uint64_t j) const;

  const HostAssetGenerator& gen_;
  DetectionMix mix_;
  std::uint64_t vm_only_;
};

}  // namespace qx::sim
