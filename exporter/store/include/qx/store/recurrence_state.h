// RecurrenceState: which WAS findings are known to be recurring, and how many
// turned recurring per severity since the exporter first saw them. Durable,
// so qualys_was_findings_became_recurring_total counts real transitions
// across restarts; the first update with no state only sets the baseline.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <unordered_map>
#include <vector>

namespace qx {

struct RecurringFinding {
  std::uint64_t finding_id = 0;
  int severity = 0;  // 1-5
};

class RecurrenceState {
 public:
  // Replaces the known set with `recurring` and returns the findings that
  // newly turned recurring (counted). With no baseline yet, counts nothing.
  std::vector<RecurringFinding> Update(
      const std::vector<RecurringFinding>& recurring);

  bool has_baseline() const { return has_baseline_; }
  // Cumulative transitions, index = severity 1-5 (0 unused).
  const std::array<std::uint64_t, 6>& became_recurring_total() const {
    return totals_;
  }
  std::size_t known_recurring() const { return known_.size(); }

  // Throws StateError for a corrupt/foreign file; absent file = no baseline.
  void Load(const std::filesystem::path& path);
  void Save(const std::filesystem::path& path) const;

 private:
  bool has_baseline_ = false;
  std::array<std::uint64_t, 6> totals_{};
  std::unordered_map<std::uint64_t, int> known_;  // finding id -> severity
};

}  // namespace qx
