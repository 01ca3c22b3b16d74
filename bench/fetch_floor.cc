// qx-fetch-floor: the transfer floor of a poll. Downloads every page of the
// host asset and/or WAS finding search exactly as the exporter asks for them
// (its own ServiceRequest bodies, limitResults, verbose for WAS, id GREATER
// lastId while hasMoreRecords) over one keep-alive connection, and throws
// the bytes away: no XML parse, no store, no state.
//
//   QUALYS_USERNAME=u QUALYS_PASSWORD=p qx-fetch-floor
//       --url=http://127.0.0.1:9787 [--sources=hostasset,was]
//       [--page-size=1000]
//       [--since=YYYY-MM-DDTHH:MM:SSZ]
//
// With --since it walks what the exporter's incremental poll asks instead:
// one search per "changed since" field (hostasset: updated, vulnsUpdated;
// was: updatedDate, lastTestedDate) with <field> GREATER since.
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
      std::printf(
          "{\"source\":\"%s\",\"calls\":%llu,\"records\":%llu,\"bytes\":%llu,"
          "\"seconds\":%.3f}\n",
          source, static_cast<unsigned long long>(sum.calls),
          static_cast<unsigned long long>(sum.records),
          static_cast<unsigned long long>(sum.bytes), s);
    }
    std::printf(
        "{\"source\":\"total\",\"calls\":%llu,\"records\":%llu,\"bytes\":%llu,"
        "\"seconds\":%.3f}\n",
        static_cast<unsigned long long>(calls),
        static_cast<unsigned long long>(records),
        static_cast<unsigned long long>(bytes), total);
  } catch (const std::exception& e) {
    std::cerr << "qx-fetch-floor: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
