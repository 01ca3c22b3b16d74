// qx-store-bench: memory and time of HostAssetStore and HostDetectionStore
// at a given size, no network: heap bytes held per host, upsert rate,
// Save/Load time and the state file size, and aggregation time.
//
//   qx-store-bench [--hosts=1000000] [--vulns=5] [--dir=/tmp]
//
// Hosts: 60% Azure spread over ~50 network tuples, 15% EC2, 10% GCP, 15%
// none (the simulator's mix); `vulns` detections each from a pool of 2000
// QIDs. The host asset records carry them as parsed records do, but
// HostAssetStore keeps none: they are counted in the HostDetectionStore
// (bench_util.h's DetectionsFor, `vulns` per host from a hash of the id).
// Prints one JSON object; "distinct_qids" and "distinct_qids_s" stay in it
// as 0 for bench/run_bench.py (the store no longer has DistinctQids).
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "bench_util.h"
#include "qx/aggregate/coverage_aggregation.h"
#include "qx/aggregate/host_aggregation.h"
#include "qx/store/host_asset_store.h"

using qx::bench::Arg;

namespace {

std::size_t HeapInUse() { return mallinfo2().uordblks + mallinfo2().hblkhd; }

std::size_t StatusKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0)
      return std::stoul(line.substr(std::string(field).size()));
  }
  return 0;
}

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

qx::HostAsset MakeHost(std::uint64_t i, std::size_t vulns) {
  qx::HostAsset a;
  a.id = 4294966296ULL + i * 8;
  const std::uint64_t h = Mix(i);
  switch (h % 20) {
    case 0:
    case 1:
    case 2:
      a.cloud_provider = qx::CloudProvider::kAws;
      break;
    case 3:
    case 4:
      a.cloud_provider = qx::CloudProvider::kGcp;
      break;
    case 5:
    case 6:
    case 7:
      break;
    default: {
      a.cloud_provider = qx::CloudProvider::kAzure;
      const std::uint64_t net = (h >> 8) % 16;
      a.azure = qx::AzureSource{
          "6f1c8a2e-0b7d-4c3e-9a51-00000000000" + std::to_string(net % 3),
          "rg-prod-" + std::to_string(net % 7),
          "vnet-" + std::to_string(net),
          net % 3 ? "default" : "app",
          "westeurope",
          (h >> 20) % 4 ? "RUNNING" : "STOPPED"};
    }
  }
  a.name = "vm-" + std::to_string(i);
  a.qweb_host_id = 1 + i;
  a.modified = "2024-06-03T06:00:00Z";
  for (std::size_t v = 0; v < vulns; ++v) {
    a.vulns.push_back(
        {38000 + Mix(i * 31 + v) % 2000, 10000000000ULL + i * 64 + v});
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t hosts = std::stoul(Arg(argc, argv, "hosts", "1000000"));
  const std::size_t vulns = std::stoul(Arg(argc, argv, "vulns", "5"));
  const std::filesystem::path dir =
      Arg(argc, argv, "dir", std::filesystem::temp_directory_path().string());
  const auto file =
      dir / ("qx-store-bench-" + std::to_string(::getpid()) + ".store");

  malloc_trim(0);
  const std::size_t heap0 = HeapInUse();
  auto t = std::chrono::steady_clock::now();
  double upsert_s = 0;
  std::size_t heap_store = 0;
  {
    qx::HostAssetStore store;
    for (std::uint64_t i = 0; i < hosts; ++i) store.Upsert(MakeHost(i, vulns));
    upsert_s = Since(t);
    heap_store = HeapInUse() - heap0;

    // A steady-state poll: 1% of the hosts come again, some with one more
    // detection (in the record).
    t = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < hosts; i += 100) {
      store.Upsert(MakeHost(i, vulns + (i / 100) % 2));
    }
    const double reupsert_s = Since(t);
    const std::size_t heap_after_churn = HeapInUse() - heap0;

    // The detection store beside it: every host's detections counted.
    malloc_trim(0);
    const std::size_t heap_before_detections = HeapInUse();
    t = std::chrono::steady_clock::now();
    const qx::HostDetectionStore detections =
        qx::bench::DetectionsFor(store, vulns);
    const double detections_build_s = Since(t);
    const std::size_t detection_heap = HeapInUse() - heap_before_detections;
    const auto detection_file =
        dir / ("qx-store-bench-" + std::to_string(::getpid()) + ".detections");
    t = std::chrono::steady_clock::now();
    detections.Save(detection_file);
    const double detection_save_s = Since(t);
    const auto detection_file_bytes =
        std::filesystem::file_size(detection_file);
    double detection_load_s = 0;
    {
      qx::HostDetectionStore loaded;
      t = std::chrono::steady_clock::now();
      loaded.Load(detection_file);
      detection_load_s = Since(t);
      std::filesystem::remove(detection_file);
      if (loaded.detections() != detections.detections()) {
        std::cerr << "qx-store-bench: loaded " << loaded.detections() << " of "
                  << detections.detections() << " detections\n";
        return 1;
      }
    }

    t = std::chrono::steady_clock::now();
    auto a = qx::AggregateHostAssets(store);
    auto v = qx::AggregateHostVulnerabilities(store, detections);
    const double aggregate_s = Since(t);

    t = std::chrono::steady_clock::now();
    store.Save(file);
    const double save_s = Since(t);
    const auto file_bytes = std::filesystem::file_size(file);

    qx::HostAssetStore loaded;
    t = std::chrono::steady_clock::now();
    loaded.Load(file);
    const double load_s = Since(t);
    std::filesystem::remove(file);
    if (loaded.size() != store.size()) {
      std::cerr << "qx-store-bench: loaded " << loaded.size() << " of "
                << store.size() << "\n";
      return 1;
    }

    std::printf(
        "{\"hosts\":%zu,\"vulns_per_host\":%zu,\"heap_bytes\":%zu,\"bytes_per_"
        "host\":%.1f,"
        "\"heap_bytes_after_1pct_churn\":%zu,\"upsert_s\":%.3f,\"upserts_per_"
        "s\":%.0f,"
        "\"reupsert_1pct_s\":%.4f,\"distinct_qids\":0,\"distinct_qids_s\":0,"
        "\"aggregate_s\":%.3f,\"save_s\":%.3f,\"load_s\":%.3f,\"state_bytes\":%"
        "llu,"
        "\"peak_rss_kib\":%zu,\"detections\":%zu,\"detection_heap_bytes\":"
        "%zu,\"detection_bytes_per_host\":%.1f,\"detection_build_s\":%.3f,"
        "\"detection_save_s\":%.3f,\"detection_load_s\":%.3f,"
        "\"detection_state_bytes\":%llu}\n",
        hosts, vulns, heap_store,
        static_cast<double>(heap_store) /
            static_cast<double>(std::max<std::size_t>(1, hosts)),
        heap_after_churn, upsert_s, static_cast<double>(hosts) / upsert_s,
        reupsert_s, aggregate_s, save_s, load_s,
        static_cast<unsigned long long>(file_bytes), StatusKiB("VmHWM:"),
        detections.detections(), detection_heap,
        static_cast<double>(detection_heap) /
            static_cast<double>(std::max<std::size_t>(1, hosts)),
        detections_build_s, detection_save_s, detection_load_s,
        static_cast<unsigned long long>(detection_file_bytes));
  }
  return 0;
}
