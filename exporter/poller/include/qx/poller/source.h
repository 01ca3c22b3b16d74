// A Source polls one part of the Qualys API and reports per named source
// (hostasset, was_finding, knowledge_base) through a PollSink.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qx/snapshot/snapshot_collector.h"

namespace qx {

class PollSink {
 public:
  virtual ~PollSink() = default;
  // Replaces the published families under key (a source name or a
  // sub-snapshot such as "hostasset_vulnerabilities").
  virtual void Publish(const std::string& key, Snapshot families) = 0;
  virtual void Succeeded(const std::string& source,
                         double duration_seconds) = 0;
  virtual void Failed(const std::string& source, double duration_seconds,
                      const std::string& error) = 0;
  virtual void RecordsFetched(const std::string& source, std::uint64_t n) = 0;
  virtual void SyncRecords(const std::string& source, double n) = 0;
  virtual void SyncExpectedRecords(const std::string& source, double n) = 0;
  virtual void InfoSeriesDropped(double n) = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // The source names this Source reports on.
  virtual std::vector<std::string> names() const = 0;
  // One poll. Reports every outcome through sink; exceptions escaping are
  // caught by the Poller and count as a failure of every name.
  virtual void Poll(PollSink& sink) = 0;
};

}  // namespace qx
