// qualys-exporter: reads the options, builds the app, runs what was asked:
// --check, --once, or the background poller behind the /metrics endpoint.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <csignal>
#include <cstdlib>
#include <future>
#include <iostream>

#include "qx/cmd/command_line.h"
#include "qx/cmd/exporter_app.h"
#include "qx/cmd/options.h"
#include "qx/endpoint/web_config.h"
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
  std::optional<qx::WebConfig> web_config;
  try {
    auto options = qx::OptionsFromFlags();
    if (!options.web_config_file.empty()) {
      web_config = qx::LoadWebConfig(options.web_config_file);
    }
    app = std::make_unique<qx::ExporterApp>(std::move(options), QX_VERSION,
                                            QX_REVISION);
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 2;
  }
  const qx::Options& options = app->options();
  if (options.check || options.once) {
    pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);  // a signal just ends it
    return (options.check ? app->Check(std::cout) : app->PollOnce(std::cout))
               ? 0
               : 1;
  }

  std::unique_ptr<qx::SecuredExposer> secured;
  try {
    secured = qx::MakeExposer(options.listen_address, web_config);
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 2;
  }
  auto* exposer = &secured->exposer();
  exposer->RegisterCollectable(app->collector(), options.telemetry_path);
  exposer->RegisterCollectable(app->self_metrics().registry(),
                               options.telemetry_path);
  qx::ProtectPath(*secured, web_config, options.telemetry_path);
  // An always-200 endpoint for liveness probes.
  auto health = std::make_shared<prometheus::Registry>();
  exposer->RegisterCollectable(health, "/-/healthy");
  for (auto port : exposer->GetListeningPorts()) {
    LOG(INFO) << "serving " << options.telemetry_path << " on port " << port
              << (secured->tls() ? " (TLS)" : "");
  }

  app->StartPolling();
  int sig = 0;
  sigwait(&signals, &sig);
  LOG(INFO) << "signal " << sig << ", shutting down";
  // A poll may sit in a long API call; state writes are atomic, so do not
  // outlast a container's grace period waiting for it.
  auto stopped = std::async(std::launch::async, [&] { app->StopPolling(); });
  if (stopped.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    LOG(WARNING) << "poll still running after 10 s; exiting without it";
    std::_Exit(0);
  }
  return 0;
}
