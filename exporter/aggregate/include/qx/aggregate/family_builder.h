// Small helpers to build prometheus::MetricFamily values directly (the
// snapshot is plain data, not registry-owned metric objects).
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

namespace qx {

using Labels = std::vector<std::pair<std::string, std::string>>;

class FamilyBuilder {
 public:
  FamilyBuilder(std::string name, std::string help,
                prometheus::MetricType type);

  void Gauge(const Labels& labels, double value);
  void Counter(const Labels& labels, double value);
  // buckets: (upper bound, cumulative count), +Inf is added from count.
  void Histogram(const Labels& labels,
                 const std::vector<std::pair<double, std::uint64_t>>& buckets,
                 std::uint64_t count, double sum);

  prometheus::MetricFamily Build() && { return std::move(family_); }

 private:
  prometheus::ClientMetric& Add(const Labels& labels);
  prometheus::MetricFamily family_;
};

// Appended to every HELP text of snapshot families.
inline constexpr char kPollNote[] =
    " (from the last successful background poll of the Qualys API)";

}  // namespace qx
