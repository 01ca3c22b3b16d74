#include "qx/snapshot/snapshot_collector.h"

#include <prometheus/text_serializer.h>

#include <sstream>
#include <stdexcept>

namespace qx {

void SnapshotCollector::Publish(const std::string& key,
                                const Snapshot& families) {
  Entry next;
  for (const auto& f : families) {
    if (!next.family_names.insert(f.name).second) {
      throw std::invalid_argument("snapshot " + key + ": family " + f.name +
                                  " appears twice");
    }
  }
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, families);
  next.block = std::make_shared<const RenderedBlock>(std::move(text).str());

  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [other, entry] : entries_) {
    if (other == key) continue;
    for (const auto& name : next.family_names) {
      if (entry.family_names.count(name)) {
        throw std::invalid_argument("snapshot " + key + ": family " + name +
                                    " is already published by " + other);
      }
    }
  }
  // The old block is freed here unless a scrape still sends it.
  entries_[key] = std::move(next);
}

Exposition SnapshotCollector::Blocks() const {
  std::lock_guard<std::mutex> lock(mu_);
  Exposition out;
  out.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) out.push_back(entry.block);
  return out;
}

std::set<std::string> SnapshotCollector::Keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> out;
  for (const auto& [key, entry] : entries_) out.insert(key);
  return out;
}

void SnapshotCollector::WriteText(std::ostream& out) const {
  for (const auto& block : Blocks()) out << block->text();
}

}  // namespace qx
