// qualys-exporter: wires flags to components and gets out of the way.
// client -> records -> store -> aggregate -> snapshot -> endpoint.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "qx/cli/duration.h"
#include "qx/cli/flag_spelling.h"
#include "qx/client/http_transport.h"
#include "qx/client/qualys_client.h"
#include "qx/endpoint/listen_address.h"
#include "qx/endpoint/metrics_server.h"
#include "qx/poller/poller.h"
#include "qx/poller/sources.h"
#include "qx/sim/simulator.h"
#include "qx/snapshot/self_metrics.h"
#include "qx/snapshot/snapshot_collector.h"

DEFINE_string(qualys_url, "",
              "Qualys API server base URL (env QUALYS_URL; default "
              "https://qualysapi.qualys.com)");
DEFINE_string(qualys_username, "", "Qualys API user (or env QUALYS_USERNAME)");
DEFINE_string(qualys_password_file, "",
              "File holding the Qualys API password (or env QUALYS_PASSWORD)");
DEFINE_bool(qualys_insecure_http, false,
            "Allow http:// to a non-loopback Qualys URL");
DEFINE_string(qualys_timeout, "300s", "Read timeout of one API call");
DEFINE_string(qualys_connect_timeout, "30s", "Connect timeout");
DEFINE_string(qualys_ca_file, "", "Extra CA bundle (PEM) to trust");
DEFINE_int32(api_max_attempts, 5,
             "Attempts per API call for retryable failures (409, 429, 5xx, "
             "timeouts)");
DEFINE_int32(api_max_concurrency, 1,
             "Most Qualys API calls in flight at once (the subscription's "
             "concurrency limit is shared with other integrations); above 1 "
             "the sources are polled in parallel");
DEFINE_int32(api_reserve_calls, 20,
             "Stop a poll early (keeping its progress) when "
             "X-RateLimit-Remaining falls to this");
DEFINE_string(poll_full_resync_interval, "24h",
              "Full walk of every source (catches deletions) at most this "
              "often; polls in between ask only for changed records");
DEFINE_string(web_listen_address, ":9786",
              "Addresses to serve on, comma-separated or repeated: :9786 "
              "(IPv4 and IPv6), 0.0.0.0:9786, [::]:9786, 127.0.0.1:9786");
DEFINE_string(web_config_file, "",
              "Prometheus exporter-toolkit web config file (TLS, Basic auth, "
              "headers); re-read when it changes");
DEFINE_string(web_telemetry_path, "/metrics", "Path of the metrics endpoint");
DEFINE_int32(web_max_connections, 64,
             "Connections served at once (one worker thread each); as many "
             "more (at least 8) wait, further ones are closed");
DEFINE_int32(web_max_requests, 40,
             "Concurrent scrapes of the metrics path; more get 503 (0: no "
             "limit)");
DEFINE_string(web_request_timeout, "30s",
              "Time for a request, from its first byte to the end of the "
              "answer; slower clients are disconnected");
DEFINE_string(web_idle_timeout, "2m",
              "Idle keep-alive connections are closed after this");
DEFINE_string(poll_interval, "30m", "Background poll period");
DEFINE_bool(once, false,
            "Poll once, print the exposition to stdout, exit 0 if every "
            "source succeeded");
DEFINE_bool(demo, false, "Poll an embedded Qualys API simulator");
DEFINE_string(state_dir, "./state", "Directory for durable state");
DEFINE_int32(recurrence_min_scans, 2,
             "A finding seen in at least this many distinct scans recurs");
DEFINE_int32(was_max_finding_series, 1000,
             "Cap on qualys_was_recurring_finding_info series");
DEFINE_int32(hostasset_page_size, 1000, "limitResults for host asset search");
DEFINE_int32(was_page_size, 1000, "limitResults for WAS finding search");
DEFINE_int32(kb_batch_size, 500, "QIDs per KnowledgeBase call");
DEFINE_string(kb_refresh_interval, "7d",
              "Re-fetch a cached QID severity after this long");

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::chrono::milliseconds DurationFlag(const char* flag,
                                       const std::string& value) {
  auto d = qx::ParseDuration(value);
  if (!d || d->count() <= 0) {
    LOG(ERROR) << "invalid duration for --" << flag << ": '" << value
               << "' (use e.g. 30s, 30m, 24h)";
    std::exit(2);
  }
  return *d;
}

std::optional<qx::Credentials> LoadCredentials(std::string* error) {
  qx::Credentials c;
  c.username = FLAGS_qualys_username.empty() ? Env("QUALYS_USERNAME")
                                             : FLAGS_qualys_username;
  if (!FLAGS_qualys_password_file.empty()) {
    std::ifstream in(FLAGS_qualys_password_file);
    if (!in) {
      *error =
          "cannot read --qualys.password-file " + FLAGS_qualys_password_file;
      return std::nullopt;
    }
    std::getline(in, c.password);
    if (!c.password.empty() && c.password.back() == '\r') c.password.pop_back();
  } else {
    c.password = Env("QUALYS_PASSWORD");
  }
  if (c.username.empty() || c.password.empty()) {
    *error =
        "Qualys credentials missing: set QUALYS_USERNAME and QUALYS_PASSWORD "
        "(or --qualys.username and --qualys.password-file)";
    return std::nullopt;
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = qx::NormalizeFlagSpelling(argc, argv);
  qx::JoinRepeatedFlag(args, "web_listen_address");
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  int n = static_cast<int>(argp.size());
  char** av = argp.data();
  // Block termination signals before any thread starts, so every thread
  // inherits the mask and main alone receives them (sigwait below).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  gflags::SetUsageMessage(
      "Prometheus exporter for Qualys host assets and WAS findings.\n"
      "Credentials: env QUALYS_USERNAME and QUALYS_PASSWORD.");
  gflags::SetVersionString(QX_VERSION " (" QX_REVISION ")");
  FLAGS_logtostderr = true;
  gflags::ParseCommandLineFlags(&n, &av, true);
  google::InitGoogleLogging(argv[0]);

  qx::MetricsServerOptions web;
  try {
    web.listen = qx::ParseListenAddresses(FLAGS_web_listen_address);
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 2;
  }
  web.telemetry_path = FLAGS_web_telemetry_path;
  web.web_config_file = FLAGS_web_config_file;
  web.max_connections = std::max(1, FLAGS_web_max_connections);
  web.max_requests = std::max(0, FLAGS_web_max_requests);
  web.request_timeout =
      DurationFlag("web.request-timeout", FLAGS_web_request_timeout);
  web.idle_timeout = DurationFlag("web.idle-timeout", FLAGS_web_idle_timeout);
  web.version = QX_VERSION;
  web.revision = QX_REVISION;

  std::unique_ptr<qx::sim::Simulator> sim;
  std::string url =
      FLAGS_qualys_url.empty() ? Env("QUALYS_URL") : FLAGS_qualys_url;
  if (url.empty()) url = "https://qualysapi.qualys.com";
  std::optional<qx::Credentials> creds;
  std::string cred_error;
  if (FLAGS_demo) {
    qx::sim::SimOptions opts;
    sim = std::make_unique<qx::sim::Simulator>(opts);
    url = sim->base_url();
    creds = qx::Credentials{opts.username, opts.password};
    LOG(INFO) << "demo: embedded Qualys API simulator at " << url;
  } else {
    creds = LoadCredentials(&cred_error);
    if (!creds) {
      LOG(ERROR) << cred_error;
      return 2;
    }
  }

  qx::TransportOptions topts;
  topts.base_url = url;
  topts.allow_insecure_http = FLAGS_qualys_insecure_http;
  topts.ca_file = FLAGS_qualys_ca_file;
  topts.read_timeout = std::chrono::duration_cast<std::chrono::seconds>(
      DurationFlag("qualys.timeout", FLAGS_qualys_timeout));
  topts.connect_timeout = std::chrono::duration_cast<std::chrono::seconds>(
      DurationFlag("qualys.connect-timeout", FLAGS_qualys_connect_timeout));
  topts.user_agent = "qualys-exporter/" QX_VERSION;
  std::unique_ptr<qx::HttpTransport> transport;
  try {
    transport = qx::MakePocoTransport(topts);
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 2;
  }

  qx::SelfMetrics self_metrics(QX_VERSION, QX_REVISION);
  auto collector = std::make_shared<qx::SnapshotCollector>();
  qx::RetryPolicy retry;
  retry.max_attempts = std::max(1, FLAGS_api_max_attempts);
  int concurrency = std::clamp(FLAGS_api_max_concurrency, 1,
                               qx::QualysClient::kMaxConcurrency);
  auto client = std::make_shared<qx::QualysClient>(std::move(transport), *creds,
                                                   retry, &self_metrics,
                                                   qx::Sleeper{}, concurrency);

  qx::SourceOptions sopts;
  sopts.state_dir = FLAGS_state_dir;
  sopts.host_page_size = static_cast<std::uint32_t>(FLAGS_hostasset_page_size);
  sopts.was_page_size = static_cast<std::uint32_t>(FLAGS_was_page_size);
  sopts.kb_batch_size =
      static_cast<std::size_t>(std::max(1, FLAGS_kb_batch_size));
  sopts.full_resync_seconds =
      DurationFlag("poll.full-resync-interval", FLAGS_poll_full_resync_interval)
          .count() /
      1000;
  sopts.reserve_calls = std::max(0, FLAGS_api_reserve_calls);
  sopts.kb_refresh_seconds =
      DurationFlag("kb.refresh-interval", FLAGS_kb_refresh_interval).count() /
      1000;
  sopts.was.recurrence_min_scans =
      static_cast<std::uint32_t>(std::max(1, FLAGS_recurrence_min_scans));
  sopts.was.max_finding_series =
      static_cast<std::size_t>(std::max(0, FLAGS_was_max_finding_series));

  std::vector<std::unique_ptr<qx::Source>> sources;
  try {
    sources.push_back(
        qx::MakeHostAssetSource(client, sopts, qx::SystemClockSeconds));
    sources.push_back(
        qx::MakeWasFindingSource(client, sopts, qx::SystemClockSeconds));
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 2;
  }
  qx::Poller poller(std::move(sources), *collector, self_metrics,
                    qx::SystemClockSeconds, concurrency > 1);

  if (FLAGS_once) {
    // One-shot: a signal simply ends the process.
    pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
    bool ok = poller.PollOnce();
    collector->WriteText(std::cout);
    prometheus::TextSerializer().Serialize(std::cout,
                                           self_metrics.registry()->Collect());
    std::cout.flush();
    return ok ? 0 : 1;
  }

  std::unique_ptr<qx::MetricsServer> server;
  try {
    server = std::make_unique<qx::MetricsServer>(
        web, [collector] { return collector->Blocks(); },
        self_metrics.registry(), qx::StatusFromSelfMetrics(self_metrics));
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 2;
  }

  auto interval = DurationFlag("poll.interval", FLAGS_poll_interval);
  // The demo should move: poll every minute unless told otherwise, and let
  // the simulated findings evolve (fixed, reopened, re-detected) every 5 min.
  std::thread demo_evolver;
  std::promise<void> demo_stop;
  if (sim) {
    if (gflags::GetCommandLineFlagInfoOrDie("poll_interval").is_default) {
      interval = std::chrono::minutes(1);
    }
    demo_evolver = std::thread([&sim, stop = demo_stop.get_future()] {
      while (stop.wait_for(std::chrono::minutes(5)) ==
             std::future_status::timeout) {
        sim->Advance();
        LOG(INFO) << "demo: simulator advanced to epoch " << sim->epoch();
      }
    });
  }

  poller.Start(interval);
  int sig = 0;
  sigwait(&signals, &sig);
  LOG(INFO) << "signal " << sig << ", shutting down";
  if (demo_evolver.joinable()) {
    demo_stop.set_value();
    demo_evolver.join();
  }
  // A poll may sit in a long API call; state writes are atomic, so do not
  // outlast a container's grace period waiting for it.
  server->Stop();
  auto stopped = std::async(std::launch::async, [&] { poller.Stop(); });
  if (stopped.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    LOG(WARNING) << "poll still running after 10 s; exiting without it";
    std::_Exit(0);
  }
  return 0;
}
