// qx-fetch-floor: the transfer floor of a poll. Downloads every page of the
// host asset and/or WAS finding search exactly as the exporter asks for them
// (its own ServiceRequest bodies, limitResults, verbose for WAS, id GREATER
// lastId while hasMoreRecords), and/or of the VM Host List Detection API
// (its own form, truncation_limit = page size, following the WARNING URL),
// over one keep-alive connection, and throws the bytes away: no XML parse,
// no store, no state.
//
//   QUALYS_USERNAME=u QUALYS_PASSWORD=p qx-fetch-floor
//       --url=http://127.0.0.1:9787 [--sources=hostasset,was,detection]
//       [--page-size=1000]
//       [--since=YYYY-MM-DDTHH:MM:SSZ]
//
// With --since it walks what the exporter's incremental poll asks instead:
// one search per "changed since" field (hostasset: updated, vulnsUpdated;
// was: updatedDate, lastTestedDate) with <field> GREATER since; detection:
// vm_processed_after=since.
//
// Prints one JSON object per search, per source and a total:
//   {"source":"hostasset","field":"updated","calls":N,"records":N,...}
//   {"source":"hostasset","calls":N,"records":N,"bytes":N,"seconds":S}
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "bench_http.h"
#include "bench_util.h"

using qx::bench::Arg;

namespace {

std::string Env(const char* name, const char* def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : def;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string url = Arg(argc, argv, "url", "http://127.0.0.1:9787");
  const std::string sources = Arg(argc, argv, "sources", "hostasset,was");
  const auto page = static_cast<std::uint32_t>(
      std::stoul(Arg(argc, argv, "page-size", "1000")));
  try {
    qx::bench::QpsClient client(url, Env("QUALYS_USERNAME", "demo"),
                                Env("QUALYS_PASSWORD", "demo"));
    double total = 0;
    std::uint64_t calls = 0, records = 0, bytes = 0;
    const std::string since = Arg(argc, argv, "since", "");
    const auto print = [](const char* source,
                          const qx::bench::QpsClient::WalkResult& r,
                          double s) {
      std::printf(
          "{\"source\":\"%s\",\"calls\":%llu,\"records\":%llu,\"bytes\":"
          "%llu,\"seconds\":%.3f}\n",
          source, static_cast<unsigned long long>(r.calls),
          static_cast<unsigned long long>(r.records),
          static_cast<unsigned long long>(r.bytes), s);
    };
    if (sources.find("detection") != std::string::npos) {
      qx::HostDetectionRequest req;
      req.truncation_limit = page;
      req.vm_processed_after = since;
      auto start = std::chrono::steady_clock::now();
      auto r = client.WalkDetections(req);
      double s = std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - start)
                     .count();
      print("detection", r, s);
      total += s;
      calls += r.calls;
      records += r.records;
      bytes += r.bytes;
    }
    for (const char* source : {"hostasset", "was"}) {
      if (sources.find(source) == std::string::npos) continue;
      const bool hosts = std::string(source) == "hostasset";
      qx::QpsSearchRequest req;
      req.limit_results = page;
      req.path = hosts ? qx::kHostAssetSearchPath : qx::kWasFindingSearchPath;
      req.verbose = !hosts;
      std::vector<std::string> fields = {""};
      if (!since.empty()) {
        fields =
            hosts ? std::vector<std::string>{"updated", "vulnsUpdated"}
                  : std::vector<std::string>{"updatedDate", "lastTestedDate"};
      }
      double s = 0;
      qx::bench::QpsClient::WalkResult sum;
      for (const auto& field : fields) {
        req.criteria.clear();
        if (!field.empty()) req.criteria.push_back({field, "GREATER", since});
        auto start = std::chrono::steady_clock::now();
        auto r = client.Walk(req);
        double fs = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
        s += fs;
        sum.calls += r.calls;
        sum.records += r.records;
        sum.bytes += r.bytes;
        if (!field.empty()) {
          std::printf(
              "{\"source\":\"%s\",\"field\":\"%s\",\"calls\":%llu,\"records\":%"
              "llu,"
              "\"bytes\":%llu,\"seconds\":%.3f}\n",
              source, field.c_str(), static_cast<unsigned long long>(r.calls),
              static_cast<unsigned long long>(r.records),
              static_cast<unsigned long long>(r.bytes), fs);
        }
      }
      total += s;
      calls += sum.calls;
      records += sum.records;
      bytes += sum.bytes;
      print(source, sum, s);
    }
    print("total", {calls, records, bytes}, total);
  } catch (const std::exception& e) {
    std::cerr << "qx-fetch-floor: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
