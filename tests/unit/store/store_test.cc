#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "qx/records/timestamp.h"
#include "qx/store/atomic_file.h"
#include "qx/store/binary_state.h"
#include "qx/store/host_asset_store.h"
#include "qx/store/state_file.h"
#include "qx/store/was_finding_store.h"

namespace qx {
namespace {

std::filesystem::path TempDir() {
  auto d = std::filesystem::temp_directory_path() /
           ("qx-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

HostAssetStore SampleHosts() {
  HostAssetStore s;
  for (std::uint64_t id = 1; id <= 50; ++id) {
    HostAsset a;
    a.id = id * 4294967311ULL;  // > 32 bits
    if (id % 3 == 0) {
      a.cloud_provider = CloudProvider::kAzure;
      a.azure = AzureSource{"sub",     "rg",         id % 2 ? "vnet-a" : "",
                            "default", "westeurope", "RUNNING"};
    } else if (id % 3 == 1) {
      a.cloud_provider = CloudProvider::kAws;
    }
    a.qweb_host_id = id % 4 == 0 ? 0 : (id << 40) + id;  // > 32 bits
    if (id % 5 != 0) a.last_vuln_scan = "2024-03-01T10:00:00Z";
    if (id % 2 == 0) a.agent_last_checked_in = "2106-02-07T06:28:15Z";
    // Parsed records list their vulns; the store does not keep them.
    for (std::uint64_t q = 0; q < id % 5; ++q) a.vulns.push_back({100 + q, id});
    s.Upsert(std::move(a));
  }
  return s;
}

// Every field the store keeps, of every host, with Azure tuples compared by
// value (their indexes may differ between two stores).
void ExpectSameHosts(const HostAssetStore& got, const HostAssetStore& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [id, h] : want.hosts()) {
    ASSERT_TRUE(got.hosts().contains(id)) << id;
    const auto l = got.hosts().at(id);
    EXPECT_EQ(l.cloud_provider, h.cloud_provider) << id;
    EXPECT_EQ(l.qweb_host_id, h.qweb_host_id) << id;
    EXPECT_EQ(l.last_vuln_scan, h.last_vuln_scan) << id;
    EXPECT_EQ(l.agent_last_checked_in, h.agent_last_checked_in) << id;
    if (h.azure == HostAssetStore::kNoAzure) {
      EXPECT_EQ(l.azure, HostAssetStore::kNoAzure) << id;
    } else {
      ASSERT_LT(l.azure, got.azure_sources().size()) << id;
      EXPECT_EQ(got.azure_sources()[l.azure], want.azure_sources()[h.azure])
          << id;
    }
  }
}

std::string KindOf(const std::filesystem::path& path) {
  std::string kind;
  EXPECT_NE(BinaryStateReader::OpenAnyKind(path, &kind), nullptr);
  return kind;
}

TEST(HostAssetStore, RoundTripsThroughDisk) {
  auto dir = TempDir();
  auto original = SampleHosts();
  // The sample covers what the round trip must keep.
  const auto sample = original.hosts().at(4 * 4294967311ULL);
  EXPECT_EQ(sample.cloud_provider, CloudProvider::kAws);
  EXPECT_EQ(sample.qweb_host_id, 0u);
  EXPECT_EQ(sample.last_vuln_scan, *ParseIsoTimestamp("2024-03-01T10:00:00Z"));
  EXPECT_EQ(sample.agent_last_checked_in, 4294967295);  // 2^32 - 1
  EXPECT_EQ(original.hosts().at(3 * 4294967311ULL).qweb_host_id,
            (3ULL << 40) + 3);
  EXPECT_EQ(original.azure_sources().size(), 2u);
  original.Save(dir / "hosts");
  EXPECT_EQ(KindOf(dir / "hosts"), "host-asset-store-v3");
  HostAssetStore loaded;
  ASSERT_TRUE(loaded.Load(dir / "hosts"));
  ExpectSameHosts(loaded, original);
  EXPECT_EQ(loaded.azure_sources(), original.azure_sources());
  EXPECT_FALSE(loaded.Load(dir / "absent"));
  std::filesystem::remove_all(dir);
}

// One host in host-asset-store-v2's layout, as Save wrote it before the
// store dropped the QIDs: the v3 fields, then the QID count and the QIDs.
struct V2Host {
  std::uint64_t id;
  std::uint64_t provider;
  std::uint64_t azure;  // index + 1, 0: none
  std::uint64_t qweb;
  std::uint64_t last_scan;
  std::uint64_t checked_in;
  std::vector<std::uint64_t> qids;
};

void WriteV2(const std::filesystem::path& path,
             const std::vector<AzureSource>& azure,
             const std::vector<V2Host>& hosts) {
  BinaryStateWriter w(path, "host-asset-store-v2");
  w.U64(azure.size());
  for (const auto& a : azure) {
    for (const auto* f : {&a.subscription_id, &a.resource_group, &a.vnet,
                          &a.subnet, &a.location, &a.state}) {
      w.Str(*f);
    }
  }
  w.U64(hosts.size());
  for (const auto& h : hosts) {
    for (std::uint64_t v :
         {h.id, h.provider, h.azure, h.qweb, h.last_scan, h.checked_in}) {
      w.U64(v);
    }
    w.U64(h.qids.size());
    for (auto q : h.qids) w.U64(q);
  }
  w.Commit();
}

// An exporter upgraded from the QID-keeping store keeps its state: a v2 file
// loads with every kept field, its QIDs dropped, and saves as v3.
TEST(HostAssetStore, LoadsVersion2StateWithoutItsQidsAndSavesVersion3) {
  auto dir = TempDir();
  const std::vector<AzureSource> azure = {
      {"sub-a", "rg-a", "vnet-a", "default", "westeurope", "RUNNING"},
      {"sub-b", "rg-b", "", "app", "northeurope", "STOPPED"}};
  const std::vector<V2Host> v2 = {
      {1, 1, 1, 107800671, 1601294400, 1601401800, {38173, 38174, 105943}},
      {8589934592ULL, 2, 0, 0, 0, 0, {}},
      // QIDs >= 2^31, as the store interned them, still parse.
      {3,
       3,
       0,
       18446744073709551615ULL,
       4294967295ULL,
       0,
       {2147483648ULL, 18446744073709551615ULL}},
      {4, 1, 2, 5, 0, 1700000000, {1}},
      {5, 0, 0, 6, 1700000001, 0, std::vector<std::uint64_t>(300, 38000)},
      // A repeated id: the first one wins, as it always did.
      {1, 2, 0, 99, 99, 99, {42}},
  };
  WriteV2(dir / "hosts", azure, v2);

  HostAssetStore loaded = SampleHosts();  // replaced entirely
  ASSERT_TRUE(loaded.Load(dir / "hosts"));
  ASSERT_EQ(loaded.size(), 5u);
  EXPECT_EQ(loaded.azure_sources(), azure);
  for (std::size_t i = 0; i + 1 < v2.size(); ++i) {
    const auto& want = v2[i];
    ASSERT_TRUE(loaded.hosts().contains(want.id)) << want.id;
    const auto got = loaded.hosts().at(want.id);
    EXPECT_EQ(static_cast<std::uint64_t>(got.cloud_provider), want.provider)
        << want.id;
    EXPECT_EQ(got.azure, want.azure == 0
                             ? HostAssetStore::kNoAzure
                             : static_cast<std::uint32_t>(want.azure - 1))
        << want.id;
    EXPECT_EQ(got.qweb_host_id, want.qweb) << want.id;
    EXPECT_EQ(static_cast<std::uint64_t>(got.last_vuln_scan), want.last_scan)
        << want.id;
    EXPECT_EQ(static_cast<std::uint64_t>(got.agent_last_checked_in),
              want.checked_in)
        << want.id;
  }
  // The join sees them too.
  const auto index = loaded.BuildQwebIndex();
  EXPECT_EQ(index.size(), 4u);
  ASSERT_NE(index.Find(107800671), nullptr);
  EXPECT_EQ(index.Find(107800671)->cloud_provider, CloudProvider::kAzure);
  EXPECT_EQ(loaded.azure_sources().at(index.Find(107800671)->azure).vnet,
            "vnet-a");
  EXPECT_EQ(index.Find(99), nullptr);

  // The next save writes v3, which loads back equal.
  loaded.Save(dir / "hosts");
  EXPECT_EQ(KindOf(dir / "hosts"), "host-asset-store-v3");
  HostAssetStore again;
  ASSERT_TRUE(again.Load(dir / "hosts"));
  ExpectSameHosts(again, loaded);
  EXPECT_EQ(again.azure_sources(), loaded.azure_sources());

  // v3 is v2 without the QID lists: for a host without QIDs, one byte (its
  // QID count) shorter.
  WriteV2(dir / "empty-v2", {}, {{7, 0, 0, 0, 0, 0, {}}});
  ASSERT_TRUE(again.Load(dir / "empty-v2"));
  EXPECT_EQ(again.size(), 1u);
  HostAssetStore one;
  HostAsset seven;
  seven.id = 7;
  one.Upsert(std::move(seven));
  one.Save(dir / "one-v3");
  EXPECT_EQ(std::filesystem::file_size(dir / "one-v3") + 1,
            std::filesystem::file_size(dir / "empty-v2"));
  std::filesystem::remove_all(dir);
}

TEST(HostAssetStore, RejectsMalformedVersion2State) {
  auto dir = TempDir();
  HostAssetStore target = SampleHosts();
  const auto before = target.size();
  // More QIDs than a host can have.
  {
    BinaryStateWriter w(dir / "too-many", "host-asset-store-v2");
    w.U64(0);
    w.U64(1);
    for (std::uint64_t v : {1u, 0u, 0u, 0u, 0u, 0u}) w.U64(v);
    w.U64(1'000'001);
    w.Commit();
  }
  EXPECT_THROW(target.Load(dir / "too-many"), StateError);
  // A QID list shorter than its count.
  {
    BinaryStateWriter w(dir / "short", "host-asset-store-v2");
    w.U64(0);
    w.U64(1);
    for (std::uint64_t v : {1u, 0u, 0u, 0u, 0u, 0u, 3u, 38173u, 38174u}) {
      w.U64(v);
    }
    w.Commit();
  }
  EXPECT_THROW(target.Load(dir / "short"), StateError);
  // A v3 file read as v2 and the other way round: both misparse.
  {
    BinaryStateWriter w(dir / "v3-with-qids", "host-asset-store-v3");
    w.U64(0);
    w.U64(1);
    for (std::uint64_t v : {1u, 0u, 0u, 0u, 0u, 0u, 1u, 38173u}) w.U64(v);
    w.Commit();
  }
  EXPECT_THROW(target.Load(dir / "v3-with-qids"), StateError);
  {
    BinaryStateWriter w(dir / "v2-without-qids", "host-asset-store-v2");
    w.U64(0);
    w.U64(2);
    for (std::uint64_t v : {1u, 0u, 0u, 0u, 0u, 0u}) w.U64(v);
    for (std::uint64_t v : {2u, 0u, 0u, 0u, 0u, 0u}) w.U64(v);
    w.Commit();
  }
  EXPECT_THROW(target.Load(dir / "v2-without-qids"), StateError);
  EXPECT_EQ(target.size(), before);
  ExpectSameHosts(target, SampleHosts());
  std::filesystem::remove_all(dir);
}

TEST(HostAssetStore, EveryTruncationOrFlipIsRejectedAndLeavesStoreIntact) {
  auto dir = TempDir();
  SampleHosts().Save(dir / "hosts");
  std::string good = *ReadFileIfExists(dir / "hosts");
  HostAssetStore target = SampleHosts();
  auto before = target.size();
  // As a kill -9 during a non-atomic write could leave it: every prefix.
  for (std::size_t len = 0; len < good.size(); len += 7) {
    WriteFileAtomically(dir / "hosts", good.substr(0, len));
    EXPECT_THROW(target.Load(dir / "hosts"), StateError) << len;
  }
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x20;
  WriteFileAtomically(dir / "hosts", flipped);
  EXPECT_THROW(target.Load(dir / "hosts"), StateError);
  EXPECT_EQ(target.size(), before);
  // A WAS store file is not a host store.
  WasFindingStore was;
  was.Save(dir / "was");
  EXPECT_THROW(target.Load(dir / "was"), StateError);
  std::filesystem::remove_all(dir);
}

TEST(WasFindingStore, RoundTripsThroughDisk) {
  auto dir = TempDir();
  WasFindingStore s;
  WasFinding f;
  f.id = 9000000000ULL;
  f.unique_id = "98a6ec79-98e4-4a19-988a-067c81b41dd2";
  f.qid = 150141;
  f.category = FindingCategory::kInformationGathered;
  f.severity = 1;
  f.webapp_id = 77;
  f.webapp_name = "Shop \"EU\" Zürich";
  f.webapp_url = "https://shop.example/";
  f.history = {{1, "was/1", "2021-03-18T15:27:06Z"},
               {1, "was/1", "2021-03-18T15:27:06Z"}};
  f.keyword_matches = {{"regression", {"http://a/1", "http://a/2"}}};
  s.Upsert(std::move(f));
  s.Save(dir / "was");
  WasFindingStore loaded;
  ASSERT_TRUE(loaded.Load(dir / "was"));
  const auto& l = loaded.findings().at(9000000000ULL);
  EXPECT_EQ(l.unique_id, "98a6ec79-98e4-4a19-988a-067c81b41dd2");
  EXPECT_EQ(l.distinct_scans, 1u);
  EXPECT_EQ(l.last_scan_time, 1616081226);
  EXPECT_EQ(l.keyword_matches, s.findings().at(9000000000ULL).keyword_matches);
  EXPECT_EQ(loaded.webapps().at(77).name, "Shop \"EU\" Zürich");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qx

namespace qx {
namespace {

// The compact store against a plain map under random upserts and erases:
// slot reuse and backward-shift index erases included.
TEST(HostAssetStore, MatchesReferenceMapUnderRandomChurn) {
  struct Ref {
    CloudProvider provider;
    std::string vnet;  // "" : no Azure tuple
    std::uint64_t qweb;
    std::int64_t last_scan;
  };
  HostAssetStore store;
  std::map<std::uint64_t, Ref> ref;
  std::mt19937_64 rng(12345);
  for (int op = 0; op < 60000; ++op) {
    std::uint64_t id = 1 + rng() % 3000;
    if (rng() % 5 == 0) {
      store.Erase(id);
      ref.erase(id);
      continue;
    }
    HostAsset a;
    a.id = id;
    Ref r{static_cast<CloudProvider>(rng() % 4), "", rng() % 4 == 0 ? 0 : rng(),
          0};
    a.cloud_provider = r.provider;
    if (r.provider == CloudProvider::kAzure) {
      r.vnet = "vnet-" + std::to_string(rng() % 20);
      a.azure = AzureSource{"sub", "rg", r.vnet, "default", "westeurope", ""};
    }
    a.qweb_host_id = r.qweb;
    if (rng() % 3 != 0) {
      r.last_scan = 1'600'000'000 + static_cast<std::int64_t>(rng() % 1000);
      a.last_vuln_scan = FormatIsoTimestamp(r.last_scan);
    }
    for (std::uint64_t i = 0, n = rng() % 7; i < n; ++i) {
      a.vulns.push_back({1000 + rng() % 500, i});  // not kept
    }
    store.Upsert(std::move(a));
    ref[id] = r;
  }
  ASSERT_EQ(store.size(), ref.size());
  for (const auto& [id, r] : ref) {
    ASSERT_TRUE(store.hosts().contains(id)) << id;
    auto h = store.hosts().at(id);
    EXPECT_EQ(h.cloud_provider, r.provider) << id;
    if (r.vnet.empty()) {
      EXPECT_EQ(h.azure, HostAssetStore::kNoAzure) << id;
    } else {
      ASSERT_NE(h.azure, HostAssetStore::kNoAzure) << id;
      EXPECT_EQ(store.azure_sources().at(h.azure).vnet, r.vnet) << id;
    }
    EXPECT_EQ(h.qweb_host_id, r.qweb) << id;
    EXPECT_EQ(h.last_vuln_scan, r.last_scan) << id;
  }
  for (std::uint64_t id = 1; id <= 3000; ++id) {
    EXPECT_EQ(store.hosts().contains(id), ref.count(id) == 1) << id;
  }
  // ForEachHost visits every host once, with what hosts() has.
  std::map<std::uint64_t, std::pair<CloudProvider, std::uint32_t>> walked;
  store.ForEachHost(
      [&](std::uint64_t id, CloudProvider provider, std::uint32_t azure) {
        EXPECT_TRUE(walked.emplace(id, std::make_pair(provider, azure)).second)
            << id;
      });
  ASSERT_EQ(walked.size(), ref.size());
  for (const auto& [id, pa] : walked) {
    const auto h = store.hosts().at(id);
    EXPECT_EQ(pa.first, h.cloud_provider) << id;
    EXPECT_EQ(pa.second, h.azure) << id;
  }
}

}  // namespace
}  // namespace qx
