// A Source polls one part of the Qualys API and reports, per named source
// (hostasset, was_finding, ...), through the PollContext the Poller hands it.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "qx/base/clock.h"
#include "qx/snapshot/snapshot_collector.h"
#include "qx/telemetry/telemetry.h"

namespace qx {

// What one poll may do: publish families, report each named step's outcome,
// and report progress to telemetry. Thread-safe (sources may run at once).
class PollContext {
 public:
  PollContext(SnapshotCollector& collector, Telemetry& telemetry, Clock clock)
      : collector_(collector),
        telemetry_(telemetry),
        clock_(std::move(clock)) {}

  // Runs one named step: times it and reports success, or the exception's
  // message as its failure (the last good families stay published). Returns
  // whether it succeeded.
  bool Step(std::string_view source, const std::function<void()>& step);
  // Reports a step that did not run because an earlier one failed.
  void Skipped(std::string_view source, std::string_view why);

  // Replaces the families published under key (a source name, or a part
  // such as "hostasset_vulnerabilities").
  void Publish(const std::string& key, Snapshot families);
  // Reports that source's families were published from durable state
  // (Source::Restore), fetched at fetched_at (unix seconds).
  void Restored(std::string_view source, double fetched_at);

  Telemetry& telemetry() { return telemetry_; }
  double Now() const { return clock_(); }
  const Clock& clock() const { return clock_; }

  bool Reported(std::string_view source) const;
  bool AllSucceeded() const;

 private:
  void Report(PollOutcome outcome);

  SnapshotCollector& collector_;
  Telemetry& telemetry_;
  Clock clock_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, bool>> outcomes_;
};

class Source {
 public:
  virtual ~Source() = default;
  // The source names this Source reports on.
  virtual std::vector<std::string> names() const = 0;
  // One poll: every name gets a Step (or Skipped). Exceptions escaping are
  // caught by the Poller and count as a failure of every unreported name.
  virtual void Poll(PollContext& context) = 0;
  // Before the first poll: publishes what the durable state holds (and
  // reports it with PollContext::Restored), so a restarted exporter serves
  // its last good numbers, and is ready, without waiting for the API.
  // A source with no state publishes nothing.
  virtual void Restore(PollContext& /*context*/) {}
};

}  // namespace qx
