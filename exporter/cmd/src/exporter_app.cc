#include "qx/cmd/exporter_app.h"

#include <glog/logging.h>
#include <prometheus/text_serializer.h>

#include <future>
#include <thread>

#include "qx/cmd/check.h"
#include "qx/sources/sources.h"

namespace qx {

// Lets the demo's simulated findings evolve (fixed, reopened, re-detected)
// every 5 minutes.
class ExporterApp::DemoEvolver {
 public:
  explicit DemoEvolver(sim::Simulator& sim)
      : thread_([&sim, stop = stop_.get_future()] {
          while (stop.wait_for(std::chrono::minutes(5)) ==
                 std::future_status::timeout) {
            sim.Advance();
            LOG(INFO) << "demo: simulator advanced to epoch " << sim.epoch();
          }
        }) {}
  ~DemoEvolver() {
    stop_.set_value();
    thread_.join();
  }

 private:
  std::promise<void> stop_;
  std::thread thread_;
};

ExporterApp::ExporterApp(Options options, std::string_view version,
                         std::string_view revision)
    : options_(std::move(options)),
      self_metrics_(version, revision),
      collector_(std::make_shared<SnapshotCollector>()) {
  if (options_.demo) {
    sim::SimOptions sim_options;
    sim_ = std::make_unique<sim::Simulator>(sim_options);
    options_.transport.base_url = sim_->base_url();
    options_.credentials =
        Credentials{sim_options.username, sim_options.password};
    LOG(INFO) << "demo: embedded Qualys API simulator at "
              << options_.transport.base_url;
  }
  options_.transport.user_agent = "qualys-exporter/" + std::string(version);
  options_.web.version = std::string(version);
  options_.web.revision = std::string(revision);
  std::unique_ptr<HttpTransport> transport;
  try {
    transport = MakePocoTransport(options_.transport);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  client_ = std::make_shared<QualysClient>(
      std::move(transport), *options_.credentials, options_.retry,
      &self_metrics_, Sleeper{}, options_.max_concurrency);
  self_metrics_.SetPollIntervals(
      std::chrono::duration<double>(options_.poll_interval).count(),
      static_cast<double>(options_.sources.sync.full_resync_interval_seconds));
  if (options_.check) return;  // --check asks the API itself, no sources

  std::vector<std::unique_ptr<Source>> sources;
  try {
    sources.push_back(
        MakeHostAssetSource(client_, options_.sources, SystemClockSeconds));
    sources.push_back(
        MakeWasFindingSource(client_, options_.sources, SystemClockSeconds));
  } catch (const std::exception& e) {
    throw UsageError(e.what());  // e.g. the state directory is unusable
  }
  poller_ = std::make_unique<Poller>(std::move(sources), *collector_,
                                     self_metrics_, SystemClockSeconds,
                                     options_.max_concurrency > 1);
}

ExporterApp::~ExporterApp() { StopPolling(); }

bool ExporterApp::PollOnce(std::ostream& out) {
  const bool ok = poller_->PollOnce();
  collector_->WriteText(out);
  prometheus::TextSerializer().Serialize(out,
                                         self_metrics_.registry()->Collect());
  out.flush();
  return ok;
}

bool ExporterApp::Check(std::ostream& out) {
  return RunChecks(*client_, options_, out);
}

void ExporterApp::StartPolling() {
  if (sim_) evolver_ = std::make_unique<DemoEvolver>(*sim_);
  poller_->Start(options_.poll_interval);
}

void ExporterApp::StopPolling() {
  evolver_.reset();
  if (poller_) poller_->Stop();
}

}  // namespace qx
