// SnapshotCollector: holds each source's last successful poll as exposition
// text. A poll publishes a complete snapshot, rendered to text once
// (prometheus::TextSerializer) and swapped in by one pointer swap, so a
// scrape never sees half a poll, every scrape until the next publish sends
// the same bytes (shared, never copied), and series that vanished from the
// API vanish from /metrics. The families themselves are not kept.
#pragma once

#include <prometheus/metric_family.h>

#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "qx/snapshot/exposition.h"

namespace qx {

using Snapshot = std::vector<prometheus::MetricFamily>;

class SnapshotCollector {
 public:
  // Renders families and replaces key's block with it. A family name that
  // another key already publishes is a programming error (it would appear
  // twice in the exposition): throws std::invalid_argument, and the previous
  // snapshot of key stays.
  void Publish(const std::string& key, const Snapshot& families);

  // The current blocks, in key order (a copy of the pointers only).
  Exposition Blocks() const;
  // The keys published so far.
  std::set<std::string> Keys() const;
  // All blocks' text, in order (for --once and tests).
  void WriteText(std::ostream& out) const;

 private:
  struct Entry {
    std::shared_ptr<const RenderedBlock> block;
    std::set<std::string> family_names;
  };
  mutable std::mutex mu_;  // guards the map; rendering happens outside it
  std::map<std::string, Entry> entries_;
};

}  // namespace qx
