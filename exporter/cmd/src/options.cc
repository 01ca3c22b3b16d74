#include "qx/cmd/options.h"

#include <gflags/gflags.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "qx/cli/duration.h"
#include "qx/endpoint/listen_address.h"

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
DEFINE_int32(hostasset_page_size, 500,
             "limitResults for host asset search (halved on gateway timeouts)");
DEFINE_int32(was_page_size, 100,
             "limitResults for verbose WAS finding search (halved on gateway "
             "timeouts)");
DEFINE_int32(api_min_page_size, 10,
             "Smallest page a gateway timeout may halve a search page to");
DEFINE_int32(was_limit_histories, 0,
             "limitHistories for WAS finding search: scan history entries "
             "per finding (0 = all; see docs/qualys-api.md)");
DEFINE_string(sync_processing_lag, "12h",
              "How far incremental walks on lag-prone fields (WAS "
              "lastTestedDate) look back: Qualys processes scan results "
              "hours after the scan");
DEFINE_int32(kb_batch_size, 500, "QIDs per KnowledgeBase call");
DEFINE_string(kb_refresh_interval, "7d",
              "Re-fetch a cached QID severity after this long");

DEFINE_string(coverage_max_scan_age, "30d",
              "A host with no vulnerability scan within this age counts as "
              "unscanned");
DEFINE_int32(detection_page_size, 500,
             "Hosts per VM Host List Detection page (truncation_limit)");
DEFINE_bool(check, false,
            "First-run diagnostic: try authentication, every endpoint, search "
            "criterion and page the exporter relies on, print one line per "
            "check, exit 0 only if the exporter can run");

namespace qx {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::chrono::milliseconds Duration(const char* flag, const std::string& value) {
  auto d = ParseDuration(value);
  if (!d || d->count() <= 0) {
    throw UsageError("invalid duration for --" + std::string(flag) + ": '" +
                     value + "' (use e.g. 30s, 30m, 24h, 7d)");
  }
  return *d;
}

std::int64_t Seconds(const char* flag, const std::string& value) {
  return std::chrono::duration_cast<std::chrono::seconds>(Duration(flag, value))
      .count();
}

std::uint32_t Positive(const char* flag, std::int32_t value) {
  if (value < 1) {
    throw UsageError("--" + std::string(flag) + " must be at least 1, not " +
                     std::to_string(value));
  }
  return static_cast<std::uint32_t>(value);
}

Credentials LoadCredentials() {
  Credentials c;
  c.username = FLAGS_qualys_username.empty() ? Env("QUALYS_USERNAME")
                                             : FLAGS_qualys_username;
  if (!FLAGS_qualys_password_file.empty()) {
    std::ifstream in(FLAGS_qualys_password_file);
    if (!in) {
      throw UsageError("cannot read --qualys.password-file " +
                       FLAGS_qualys_password_file);
    }
    std::getline(in, c.password);
    if (!c.password.empty() && c.password.back() == '\r') c.password.pop_back();
  } else {
    c.password = Env("QUALYS_PASSWORD");
  }
  if (c.username.empty() || c.password.empty()) {
    throw UsageError(
        "Qualys credentials missing: set QUALYS_USERNAME and QUALYS_PASSWORD "
        "(or --qualys.username and --qualys.password-file)");
  }
  return c;
}

}  // namespace

Options OptionsFromFlags() {
  Options o;
  o.demo = FLAGS_demo;
  o.once = FLAGS_once;
  o.check = FLAGS_check;
  o.transport.base_url =
      FLAGS_qualys_url.empty() ? Env("QUALYS_URL") : FLAGS_qualys_url;
  if (o.transport.base_url.empty()) {
    o.transport.base_url = "https://qualysapi.qualys.com";
  }
  o.transport.allow_insecure_http = FLAGS_qualys_insecure_http;
  o.transport.ca_file = FLAGS_qualys_ca_file;
  o.transport.read_timeout =
      std::chrono::seconds(Seconds("qualys.timeout", FLAGS_qualys_timeout));
  o.transport.connect_timeout = std::chrono::seconds(
      Seconds("qualys.connect-timeout", FLAGS_qualys_connect_timeout));
  o.retry.max_attempts =
      static_cast<int>(Positive("api.max-attempts", FLAGS_api_max_attempts));
  o.max_concurrency =
      std::clamp(FLAGS_api_max_concurrency, 1, QualysClient::kMaxConcurrency);

  SourceOptions& s = o.sources;
  s.state_dir = FLAGS_state_dir;
  s.host_page_size = Positive("hostasset.page-size", FLAGS_hostasset_page_size);
  s.was_page_size = Positive("was.page-size", FLAGS_was_page_size);
  s.min_page_size = Positive("api.min-page-size", FLAGS_api_min_page_size);
  s.detection_page_size =
      Positive("detection.page-size", FLAGS_detection_page_size);
  s.coverage_max_scan_age_seconds =
      Seconds("coverage.max-scan-age", FLAGS_coverage_max_scan_age);
  s.was_limit_histories =
      static_cast<std::uint32_t>(std::max(0, FLAGS_was_limit_histories));
  s.kb_batch_size = Positive("kb.batch-size", FLAGS_kb_batch_size);
  s.kb_refresh_seconds =
      Seconds("kb.refresh-interval", FLAGS_kb_refresh_interval);
  s.sync.full_resync_interval_seconds =
      Seconds("poll.full-resync-interval", FLAGS_poll_full_resync_interval);
  s.sync.lag_overlap_seconds =
      Seconds("sync.processing-lag", FLAGS_sync_processing_lag);
  s.watch.reserve_calls = std::max(0, FLAGS_api_reserve_calls);
  s.was.recurrence_min_scans =
      Positive("recurrence.min-scans", FLAGS_recurrence_min_scans);
  s.was.max_finding_series =
      static_cast<std::size_t>(std::max(0, FLAGS_was_max_finding_series));

  o.poll_interval = Duration("poll.interval", FLAGS_poll_interval);
  if (o.demo &&
      gflags::GetCommandLineFlagInfoOrDie("poll_interval").is_default) {
    o.poll_interval = std::chrono::minutes(1);  // the demo should move
  }
  try {
    o.web.listen = ParseListenAddresses(FLAGS_web_listen_address);
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  o.web.telemetry_path = FLAGS_web_telemetry_path;
  o.web.web_config_file = FLAGS_web_config_file;
  o.web.max_connections = static_cast<int>(
      Positive("web.max-connections", FLAGS_web_max_connections));
  o.web.max_requests = std::max(0, FLAGS_web_max_requests);
  o.web.request_timeout =
      Duration("web.request-timeout", FLAGS_web_request_timeout);
  o.web.idle_timeout = Duration("web.idle-timeout", FLAGS_web_idle_timeout);
  if (!o.demo) o.credentials = LoadCredentials();
  return o;
}

}  // namespace qx
