// qualys-sim: the Qualys API simulator as a standalone server.
//
//   QUALYS_SIM_PASSWORD=secret qualys-sim --port=0 --port_file=/tmp/port
//
// Prints "qualys-sim listening on http://127.0.0.1:PORT" once it accepts
// connections and runs until SIGINT or SIGTERM.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <signal.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "qx/sim/simulator.h"
#include "qx/sim/time_util.h"

DEFINE_string(listen_address, "127.0.0.1", "Address to listen on");
DEFINE_int32(port, 9787, "Port to listen on (0 = ephemeral)");
DEFINE_uint64(seed, 1, "Seed of the generated data");
DEFINE_uint64(host_assets, 500, "Number of host assets");
DEFINE_uint64(webapps, 6, "Number of WAS web applications");
DEFINE_uint64(findings_per_webapp, 40, "WAS findings per web application");
DEFINE_uint64(empty_page_every, 3,
              "Every Nth search page is empty but has more records (API 3.2 "
              "behaviour); 0 = never");
DEFINE_int32(max_limit_results, 1000, "Cap of limitResults");
DEFINE_string(filtered_pages, "window",
              "How searches with criteria other than id page: window (each "
              "page scans limitResults records and returns the matching ones, "
              "API 3.2 notes) or dense (pages hold limitResults matches)");
DEFINE_string(cloud_mix, "60,15,10,15",
              "Weights of Azure, EC2, GCP and no-cloud host assets");
DEFINE_int32(vulns_per_host, -1,
             "Detections per host asset (-1: 0-8, mostly 2-4)");
DEFINE_double(host_change_percent, 6,
              "Share of host assets changed per epoch, percent");
DEFINE_int32(no_vm_host_percent, 4,
             "Host assets that are no VM host (no qwebHostId, never "
             "scanned), percent");
DEFINE_int32(unscanned_percent, 2,
             "Host assets that are VM hosts never scanned (qwebHostId, no "
             "lastVulnScan), percent");
DEFINE_int32(stale_scan_percent, 8,
             "Host assets last scanned 91-400 days ago, percent");
DEFINE_int32(vm_only_host_percent, 5,
             "Host List Detection hosts unknown to Asset Management, percent "
             "of the host assets");
DEFINE_int32(potential_percent, 15,
             "Vulnerability detections reported as Potential, percent");
DEFINE_int32(ignored_percent, 4, "Detections ignored by a user, percent");
DEFINE_int32(disabled_percent, 3, "Detections disabled, percent");
DEFINE_uint64(scan_schedules, 12,
              "WAS scan schedules (the first 10 cover every type, activity, "
              "occurrence, target kind and mail option)");
DEFINE_uint64(webapps_without_findings, 2,
              "WAS web apps (with tags) that have no findings");
DEFINE_int32(was_rescan_percent, 65,
             "Share of web apps rescanned per epoch, percent (at least one "
             "is)");
DEFINE_string(username, "demo",
              "API user name (the password comes from env "
              "QUALYS_SIM_PASSWORD, default demo)");
DEFINE_string(port_file, "",
              "Write the bound port to this file once listening");
DEFINE_bool(enforce_rate_limit, false,
            "Answer HTTP 409 (codes 1965/1960) when API v2 limits are "
            "exceeded");
DEFINE_int32(rate_limit, 300, "API v2 calls allowed per rate-limit window");
DEFINE_int32(rate_limit_window_sec, 3600, "API v2 rate-limit window");
DEFINE_int32(concurrency_limit, 2, "API v2 concurrent calls allowed");
DEFINE_int32(advance_interval_sec, 0,
             "Advance the data one epoch every N seconds (0 = only on POST "
             "/sim/advance)");
DEFINE_int32(http_threads, 8, "HTTP worker threads");
DEFINE_int64(processing_lag_sec, 0,
             "WAS scans ran this long before their results were processed "
             "(lastTestedDate older than updatedDate), as on real tenants");
DEFINE_string(refuse_criteria, "",
              "Comma-separated search fields the API refuses as criteria "
              "(INVALID_REQUEST naming the field), e.g. updatedDate");
DEFINE_int32(refuse_status, 200,
             "HTTP status of a refused criterion: 200 (QPS style) or 400");
DEFINE_uint32(was_gateway_max_records, 0,
              "Verbose WAS finding pages asking more records answer 504 "
              "(a gateway timing out); 0 = no limit");
DEFINE_uint32(hostasset_gateway_max_records, 0,
              "Host asset pages asking more records answer 504; 0 = no "
              "limit");
DEFINE_string(time_base, "",
              "Fixed clock: \"now\" of epoch 0 as YYYY-MM-DDTHH:MM:SSZ (each "
              "epoch adds a day; timestamps become reproducible). Default: "
              "the wall clock");

namespace {

bool WritePortFile(const std::string& path, std::uint16_t port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// "60,15,10,15" -> weights; false unless four non-negative integers with
// a positive sum.
bool ParseCloudMix(const std::string& text, std::array<int, 4>* out) {
  std::array<int, 4> w{};
  std::size_t pos = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::size_t comma = text.find(',', pos);
    const std::string part = text.substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (part.empty() || part.size() > 6 ||
        part.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    w[i] = std::stoi(part);
    if ((comma == std::string::npos) != (i + 1 == w.size())) return false;
    pos = comma + 1;
  }
  if (w[0] + w[1] + w[2] + w[3] <= 0) return false;
  *out = w;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "Qualys API simulator (host assets, host detections, WAS findings, "
      "scan schedules and web apps, KnowledgeBase).\n"
      "The password is read from env QUALYS_SIM_PASSWORD (default demo).");
  FLAGS_logtostderr = true;
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);

  if (FLAGS_port < 0 || FLAGS_port > 65535) {
    LOG(ERROR) << "--port must be within 0..65535";
    return 2;
  }
  // Block the stop signals before any thread starts, so that only sigwait
  // below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  qx::sim::SimOptions opts;
  opts.bind_address = FLAGS_listen_address;
  opts.port = static_cast<std::uint16_t>(FLAGS_port);
  opts.seed = FLAGS_seed;
  opts.host_assets = static_cast<std::size_t>(FLAGS_host_assets);
  opts.webapps = static_cast<std::size_t>(FLAGS_webapps);
  opts.findings_per_webapp =
      static_cast<std::size_t>(FLAGS_findings_per_webapp);
  opts.empty_page_every = static_cast<std::size_t>(FLAGS_empty_page_every);
  if (FLAGS_filtered_pages == "window") {
    opts.filtered_pages = qx::sim::SimOptions::FilteredPages::kWindow;
  } else if (FLAGS_filtered_pages == "dense") {
    opts.filtered_pages = qx::sim::SimOptions::FilteredPages::kDense;
  } else {
    LOG(ERROR) << "--filtered_pages must be window or dense, not \""
               << FLAGS_filtered_pages << "\"";
    return 2;
  }
  if (!ParseCloudMix(FLAGS_cloud_mix, &opts.host_mix.cloud_weights)) {
    LOG(ERROR) << "--cloud_mix must be four non-negative weights with a "
                  "positive sum (azure,aws,gcp,none), not \""
               << FLAGS_cloud_mix << "\"";
    return 2;
  }
  if (FLAGS_vulns_per_host > 64 || FLAGS_host_change_percent < 0 ||
      FLAGS_host_change_percent > 100 || FLAGS_was_rescan_percent < 0 ||
      FLAGS_was_rescan_percent > 100) {
    LOG(ERROR) << "--vulns_per_host must be at most 64 and the percentages "
                  "within 0..100";
    return 2;
  }
  for (int p : {FLAGS_no_vm_host_percent, FLAGS_unscanned_percent,
                FLAGS_stale_scan_percent, FLAGS_vm_only_host_percent,
                FLAGS_potential_percent, FLAGS_ignored_percent,
                FLAGS_disabled_percent}) {
    if (p < 0 || p > 100) {
      LOG(ERROR) << "the coverage and detection percentages must be within "
                    "0..100";
      return 2;
    }
  }
  if (FLAGS_no_vm_host_percent + FLAGS_unscanned_percent +
          FLAGS_stale_scan_percent >
      100) {
    LOG(ERROR) << "--no_vm_host_percent + --unscanned_percent + "
                  "--stale_scan_percent must be at most 100";
    return 2;
  }
  if (FLAGS_scan_schedules > 100000 || FLAGS_webapps_without_findings > 1000) {
    LOG(ERROR) << "--scan_schedules must be at most 100000 and "
                  "--webapps_without_findings at most 1000";
    return 2;
  }
  opts.host_mix.no_vm_host_percent = FLAGS_no_vm_host_percent;
  opts.host_mix.unscanned_percent = FLAGS_unscanned_percent;
  opts.host_mix.stale_scan_percent = FLAGS_stale_scan_percent;
  opts.detection_mix.vm_only_host_percent = FLAGS_vm_only_host_percent;
  opts.detection_mix.potential_percent = FLAGS_potential_percent;
  opts.detection_mix.ignored_percent = FLAGS_ignored_percent;
  opts.detection_mix.disabled_percent = FLAGS_disabled_percent;
  opts.scan_schedules = static_cast<std::size_t>(FLAGS_scan_schedules);
  opts.webapps_without_findings =
      static_cast<std::size_t>(FLAGS_webapps_without_findings);
  opts.host_mix.vulns_per_host = FLAGS_vulns_per_host;
  opts.host_mix.change_percent = FLAGS_host_change_percent;
  opts.was_rescan_percent = static_cast<unsigned>(FLAGS_was_rescan_percent);
  opts.max_limit_results =
      static_cast<std::uint32_t>(std::max(1, FLAGS_max_limit_results));
  opts.username = FLAGS_username;
  const char* password = std::getenv("QUALYS_SIM_PASSWORD");
  opts.password = password != nullptr && *password != '\0' ? password : "demo";
  opts.enforce_rate_limit = FLAGS_enforce_rate_limit;
  opts.rate_limit = static_cast<std::uint32_t>(std::max(1, FLAGS_rate_limit));
  opts.rate_limit_window_sec =
      static_cast<std::uint32_t>(std::max(1, FLAGS_rate_limit_window_sec));
  opts.concurrency_limit =
      static_cast<std::uint32_t>(std::max(1, FLAGS_concurrency_limit));
  opts.http_threads = std::max(2, FLAGS_http_threads);
  opts.processing_lag_sec = std::max<std::int64_t>(0, FLAGS_processing_lag_sec);
  for (std::size_t pos = 0; pos < FLAGS_refuse_criteria.size();) {
    auto comma = FLAGS_refuse_criteria.find(',', pos);
    if (comma == std::string::npos) comma = FLAGS_refuse_criteria.size();
    if (comma > pos) {
      opts.refused_criteria.insert(
          FLAGS_refuse_criteria.substr(pos, comma - pos));
    }
    pos = comma + 1;
  }
  if (FLAGS_refuse_status != 200 && FLAGS_refuse_status != 400) {
    LOG(ERROR) << "--refuse_status must be 200 or 400";
    return 2;
  }
  opts.refuse_status = FLAGS_refuse_status;
  opts.was_gateway_max_records = FLAGS_was_gateway_max_records;
  opts.hostasset_gateway_max_records = FLAGS_hostasset_gateway_max_records;
  if (!FLAGS_time_base.empty()) {
    const auto t = qx::sim::ParseIso(FLAGS_time_base);
    if (!t || *t <= 0) {
      LOG(ERROR) << "--time_base must look like 2024-06-03T06:00:00Z";
      return 2;
    }
    opts.time_base = *t;
  }

  std::optional<qx::sim::Simulator> sim;
  try {
    sim.emplace(opts);
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 1;
  }
  if (!FLAGS_port_file.empty() &&
      !WritePortFile(FLAGS_port_file, sim->port())) {
    LOG(ERROR) << "cannot write --port_file " << FLAGS_port_file;
    return 1;
  }
  std::cout << "qualys-sim listening on " << sim->base_url() << std::endl;

  while (true) {
    int sig = 0;
    if (FLAGS_advance_interval_sec > 0) {
      timespec timeout{FLAGS_advance_interval_sec, 0};
      sig = sigtimedwait(&stop_signals, nullptr, &timeout);
      if (sig < 0) {
        if (errno == EAGAIN) {
          sim->Advance();
          LOG(INFO) << "qualys-sim: advanced to epoch " << sim->epoch();
        }
        continue;
      }
    } else if (sigwait(&stop_signals, &sig) != 0) {
      continue;
    }
    LOG(INFO) << "qualys-sim: signal " << sig << ", stopping";
    break;
  }
  sim.reset();
  return 0;
}
