// Parser throughput (MB/s) of the exporter's SAX parsers against the floor:
// the same bytes through a bare Poco::XML::SAXParser with empty handlers.
// The pages are realistic because they are the simulator's own answers:
// an embedded qualys-sim is started on loopback and every page of a host
// asset and a WAS finding walk (limitResults 1000, verbose for WAS) is
// downloaded once into memory with the exporter's ServiceRequest bodies.
//
// Also: HostAssetStore upsert and host aggregation over the parsed records.
//
// Sizes: env QX_BENCH_HOSTS (default 10000) and QX_BENCH_WAS_FINDINGS
// (default 5000) records.
#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/ContentHandler.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/SAXParser.h>
#include <benchmark/benchmark.h>
#include <expat.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_http.h"
#include "bench_util.h"
#include "qx/aggregate/coverage_aggregation.h"
#include "qx/aggregate/host_aggregation.h"
#include "qx/client/parsers.h"
#include "qx/client/qps_search.h"
#include "qx/sim/simulator.h"
#include "qx/store/host_asset_store.h"

namespace qx::bench {
namespace {

struct Corpus {
  std::vector<std::string> pages;
  std::uint64_t bytes = 0;
  std::uint64_t records = 0;
};

std::size_t EnvSize(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return static_cast<std::size_t>(std::strtoull(v, nullptr, 10));
}

struct Corpora {
  Corpus hosts;
  Corpus was;
};

const Corpora& GetCorpora() {
  static const Corpora corpora = [] {
    sim::SimOptions o;
    o.port = 0;
    o.host_assets = EnvSize("QX_BENCH_HOSTS", 10000);
    const std::size_t findings = EnvSize("QX_BENCH_WAS_FINDINGS", 5000);
    o.findings_per_webapp = 100;
    o.webapps = std::max<std::size_t>(1, findings / o.findings_per_webapp);
    o.empty_page_every = 0;
    o.username = "bench";
    o.password = "bench";
    sim::Simulator simulator(o);
    QpsClient client(simulator.base_url(), "bench", "bench");
    Corpora c;
    auto collect = [&](Corpus& into, QpsSearchRequest req) {
      auto r = client.Walk(
          req, [&](const std::string& page) { into.pages.push_back(page); });
      into.bytes = r.bytes;
      into.records = r.records;
    };
    QpsSearchRequest hosts;
    hosts.path = kHostAssetSearchPath;
    hosts.limit_results = 1000;
    collect(c.hosts, hosts);
    QpsSearchRequest was;
    was.path = kWasFindingSearchPath;
    was.limit_results = 1000;
    was.verbose = true;
    collect(c.was, was);
    std::cerr << "corpus: host assets " << c.hosts.records << " records, "
              << c.hosts.pages.size() << " pages, " << c.hosts.bytes
              << " bytes ("
              << c.hosts.bytes / std::max<std::uint64_t>(1, c.hosts.records)
              << " B/record); WAS findings " << c.was.records << " records, "
              << c.was.pages.size() << " pages, " << c.was.bytes << " bytes ("
              << c.was.bytes / std::max<std::uint64_t>(1, c.was.records)
              << " B/record)\n";
    return c;
  }();
  return corpora;
}

void Account(benchmark::State& state, const Corpus& c) {
  state.SetBytesProcessed(static_cast<std::int64_t>(c.bytes) *
                          state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(c.records) *
                          state.iterations());
}

// --------------------------------------------------------------- the floor

class EmptyHandler final : public Poco::XML::ContentHandler {
 public:
  void setDocumentLocator(const Poco::XML::Locator*) override {}
  void startDocument() override {}
  void endDocument() override {}
  void startElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&,
                    const Poco::XML::XMLString&,
                    const Poco::XML::Attributes&) override {}
  void endElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&,
                  const Poco::XML::XMLString&) override {}
  void characters(const Poco::XML::XMLChar[], int, int) override {}
  void ignorableWhitespace(const Poco::XML::XMLChar[], int, int) override {}
  void processingInstruction(const Poco::XML::XMLString&,
                             const Poco::XML::XMLString&) override {}
  void startPrefixMapping(const Poco::XML::XMLString&,
                          const Poco::XML::XMLString&) override {}
  void endPrefixMapping(const Poco::XML::XMLString&) override {}
  void skippedEntity(const Poco::XML::XMLString&) override {}
};

// The same parser configuration as the exporter (no namespaces, no external
// entities), reading the same istream type, with handlers that do nothing.
void SaxFloor(const Corpus& c) {
  EmptyHandler handler;
  for (const auto& page : c.pages) {
    Poco::XML::SAXParser parser;
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACE_PREFIXES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES,
                      false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES,
                      false);
    parser.setContentHandler(&handler);
    MemIstream in(page);
    Poco::XML::InputSource source(in);
    parser.parse(&source);
  }
}

// Below Poco: expat itself with empty callbacks (Poco's SAXParser wraps
// expat and builds XMLString/Attributes objects per event). Not a target,
// a reference for what a parser on raw expat could reach.
void ExpatFloor(const Corpus& c) {
  for (const auto& page : c.pages) {
    XML_Parser p = XML_ParserCreate(nullptr);
    XML_SetElementHandler(
        p, [](void*, const XML_Char*, const XML_Char**) {},
        [](void*, const XML_Char*) {});
    XML_SetCharacterDataHandler(p, [](void*, const XML_Char*, int) {});
    if (XML_Parse(p, page.data(), static_cast<int>(page.size()), XML_TRUE) !=
        XML_STATUS_OK) {
      XML_ParserFree(p);
      throw std::runtime_error("expat parse failed");
    }
    XML_ParserFree(p);
  }
}

void BM_HostAsset_ExpatFloor(benchmark::State& state) {
  const Corpus& c = GetCorpora().hosts;
  for (auto _ : state) ExpatFloor(c);
  Account(state, c);
}
BENCHMARK(BM_HostAsset_ExpatFloor)->Unit(benchmark::kMillisecond);

void BM_WasFinding_ExpatFloor(benchmark::State& state) {
  const Corpus& c = GetCorpora().was;
  for (auto _ : state) ExpatFloor(c);
  Account(state, c);
}
BENCHMARK(BM_WasFinding_ExpatFloor)->Unit(benchmark::kMillisecond);

void BM_HostAsset_PocoSaxFloor(benchmark::State& state) {
  const Corpus& c = GetCorpora().hosts;
  for (auto _ : state) SaxFloor(c);
  Account(state, c);
}
BENCHMARK(BM_HostAsset_PocoSaxFloor)->Unit(benchmark::kMillisecond);

void BM_HostAsset_Parser(benchmark::State& state) {
  const Corpus& c = GetCorpora().hosts;
  for (auto _ : state) {
    std::uint64_t n = 0;
    for (const auto& page : c.pages) {
      MemIstream in(page);
      auto info = ParseHostAssetPage(in, [&](HostAsset&& a) {
        benchmark::DoNotOptimize(a.id);
        ++n;
      });
      benchmark::DoNotOptimize(info.count);
    }
    if (n != c.records) state.SkipWithError("record count mismatch");
  }
  Account(state, c);
}
BENCHMARK(BM_HostAsset_Parser)->Unit(benchmark::kMillisecond);

void BM_WasFinding_PocoSaxFloor(benchmark::State& state) {
  const Corpus& c = GetCorpora().was;
  for (auto _ : state) SaxFloor(c);
  Account(state, c);
}
BENCHMARK(BM_WasFinding_PocoSaxFloor)->Unit(benchmark::kMillisecond);

void BM_WasFinding_Parser(benchmark::State& state) {
  const Corpus& c = GetCorpora().was;
  for (auto _ : state) {
    std::uint64_t n = 0;
    for (const auto& page : c.pages) {
      MemIstream in(page);
      auto info = ParseWasFindingPage(in, [&](WasFinding&& f) {
        benchmark::DoNotOptimize(f.id);
        ++n;
      });
      benchmark::DoNotOptimize(info.count);
    }
    if (n != c.records) state.SkipWithError("record count mismatch");
  }
  Account(state, c);
}
BENCHMARK(BM_WasFinding_Parser)->Unit(benchmark::kMillisecond);

// ------------------------------------------------ store and aggregation

std::vector<HostAsset> ParsedHosts() {
  std::vector<HostAsset> out;
  for (const auto& page : GetCorpora().hosts.pages) {
    MemIstream in(page);
    ParseHostAssetPage(in, [&](HostAsset&& a) { out.push_back(std::move(a)); });
  }
  return out;
}

// Parse + upsert: what a full sync does per page, minus the network.
void BM_HostAsset_ParseIntoStore(benchmark::State& state) {
  const Corpus& c = GetCorpora().hosts;
  for (auto _ : state) {
    HostAssetStore store;
    for (const auto& page : c.pages) {
      MemIstream in(page);
      ParseHostAssetPage(in,
                         [&](HostAsset&& a) { store.Upsert(std::move(a)); });
    }
    benchmark::DoNotOptimize(store.size());
  }
  Account(state, c);
}
BENCHMARK(BM_HostAsset_ParseIntoStore)->Unit(benchmark::kMillisecond);

void BM_HostAggregation(benchmark::State& state) {
  static const std::vector<HostAsset> parsed = ParsedHosts();
  HostAssetStore store;
  for (auto a : parsed) store.Upsert(std::move(a));
  // The records' own vuln lists as detections (the store keeps no QIDs).
  const HostDetectionStore detections = qx::bench::DetectionsFor(parsed);
  for (auto _ : state) {
    auto assets = AggregateHostAssets(store);
    auto vulns = AggregateHostVulnerabilities(store, detections);
    benchmark::DoNotOptimize(assets.data());
    benchmark::DoNotOptimize(vulns.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(store.size()) *
                          state.iterations());
}
BENCHMARK(BM_HostAggregation)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace qx::bench

BENCHMARK_MAIN();
