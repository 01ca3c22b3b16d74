// qualys-exporter: reads the options, builds the app, runs what was asked:
// --check, --once, or the background poller behind the /metrics endpoint.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <csignal>
#include <cstdlib>
#include <future>
#include <iostream>

#include "qx/cmd/command_line.h"
#include "qx/cmd/exporter_app.h"
#include "qx/cmd/options.h"
#include "qx/endpoint/metrics_server.h"
#include "qx/endpoint/server_status.h"
#include "qx/logging/log_sink.h"

int main(int argc, char** argv) {
  auto command_line = qx::cmd::ParseCommandLine(argc, argv);
  if (command_line.action != qx::cmd::CommandLine::Action::kRun) {
    return qx::cmd::Finish(command_line, argv[0]);
  }
  qx::logging::StructuredLogging logging(argv[0], command_line.log);
  qx::cmd::LogStartup();
  // Block termination signals before any thread starts, so every thread
  // inherits the mask and main alone receives them (sigwait below).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<qx::ExporterApp> app;
  try {
    app = std::make_unique<qx::ExporterApp>(qx::OptionsFromFlags(), QX_VERSION,
                                            QX_REVISION);
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return qx::cmd::kExitUsage;
  }
  const qx::Options& options = app->options();
  if (options.check || options.once) {
    pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);  // a signal just ends it
    const bool ok =
        options.check ? app->Check(std::cout) : app->PollOnce(std::cout);
    return ok ? qx::cmd::kExitOk : qx::cmd::kExitPollFailed;
  }

  // Serving starts before polling: probes and the landing page answer while
  // the first (possibly long) sync runs.
  std::unique_ptr<qx::MetricsServer> server;
  try {
    auto collector = app->collector();
    server = std::make_unique<qx::MetricsServer>(
        options.web, [collector] { return collector->Blocks(); },
        app->self_metrics().registry(),
        qx::StatusFromSelfMetrics(app->self_metrics()));
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return qx::cmd::kExitUsage;
  }

  app->StartPolling();
  int sig = 0;
  sigwait(&signals, &sig);
  LOG(INFO) << "signal " << sig << ", shutting down";
  server->Stop();
  // A poll may sit in a long API call; state writes are atomic, so do not
  // outlast a container's grace period waiting for it.
  auto stopped = std::async(std::launch::async, [&] { app->StopPolling(); });
  if (stopped.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    LOG(WARNING) << "poll still running after 10 s; exiting without it";
    std::_Exit(0);
  }
  return qx::cmd::kExitOk;
}
