#include "qx/aggregate/family_builder.h"

#include <limits>

namespace qx {

FamilyBuilder::FamilyBuilder(std::string name, std::string help,
                             prometheus::MetricType type) {
  family_.name = std::move(name);
  family_.help = std::move(help);
  family_.type = type;
}

prometheus::ClientMetric& FamilyBuilder::Add(const Labels& labels) {
  auto& m = family_.metric.emplace_back();
  m.label.reserve(labels.size());
  for (const auto& [k, v] : labels) m.label.push_back({k, v});
  return m;
}

void FamilyBuilder::Gauge(const Labels& labels, double value) {
  Add(labels).gauge.value = value;
}

void FamilyBuilder::Counter(const Labels& labels, double value) {
  Add(labels).counter.value = value;
}

void FamilyBuilder::Histogram(
    const Labels& labels,
    const std::vector<std::pair<double, std::uint64_t>>& buckets,
    std::uint64_t count, double sum) {
  auto& m = Add(labels);
  m.histogram.sample_count = count;
  m.histogram.sample_sum = sum;
  for (const auto& [le, c] : buckets) {
    prometheus::ClientMetric::Bucket b;
    b.upper_bound = le;
    b.cumulative_count = c;
    m.histogram.bucket.push_back(b);
  }
  prometheus::ClientMetric::Bucket inf;
  inf.upper_bound = std::numeric_limits<double>::infinity();
  inf.cumulative_count = count;
  m.histogram.bucket.push_back(inf);
}

}  // namespace qx
