// ExporterApp: the exporter's components wired from Options, in the order
// a record travels: transport -> client -> sources -> poller -> snapshot,
// with telemetry beside them. main only chooses what to run; tests build
// the same app.
#pragma once

#include <memory>
#include <ostream>
#include <string_view>

#include "qx/client/qualys_client.h"
#include "qx/cmd/options.h"
#include "qx/poller/poller.h"
#include "qx/sim/simulator.h"
#include "qx/snapshot/snapshot_collector.h"
#include "qx/telemetry/self_metrics.h"

namespace qx {

class ExporterApp {
 public:
  // Throws UsageError for a configuration that cannot work (a bad URL, an
  // unusable state directory).
  ExporterApp(Options options, std::string_view version,
              std::string_view revision);
  ~ExporterApp();

  // --once: one poll of every source, the exposition text to out. True if
  // every source succeeded.
  bool PollOnce(std::ostream& out);
  // --check: one line per check to out. True if the exporter can run.
  bool Check(std::ostream& out);
  // Background polling every --poll.interval (demo: the data evolves).
  void StartPolling();
  void StopPolling();

  const Options& options() const { return options_; }
  std::shared_ptr<SnapshotCollector> collector() const { return collector_; }
  SelfMetrics& self_metrics() { return self_metrics_; }

 private:
  Options options_;
  std::unique_ptr<sim::Simulator> sim_;  // --demo only
  SelfMetrics self_metrics_;
  std::shared_ptr<SnapshotCollector> collector_;
  std::shared_ptr<QualysClient> client_;
  std::unique_ptr<Poller> poller_;
  class DemoEvolver;
  std::unique_ptr<DemoEvolver> evolver_;
};

}  // namespace qx
