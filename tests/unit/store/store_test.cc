#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "qx/store/atomic_file.h"
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
    for (std::uint64_t q = 0; q < id % 5; ++q) a.vulns.push_back({100 + q, id});
    s.Upsert(std::move(a));
  }
  return s;
}

TEST(HostAssetStore, RoundTripsThroughDisk) {
  auto dir = TempDir();
  auto original = SampleHosts();
  original.Save(dir / "hosts");
  HostAssetStore loaded;
  ASSERT_TRUE(loaded.Load(dir / "hosts"));
  ASSERT_EQ(loaded.size(), original.size());
  for (const auto& [id, h] : original.hosts()) {
    const auto& l = loaded.hosts().at(id);
    EXPECT_EQ(l.cloud_provider, h.cloud_provider);
    EXPECT_EQ(l.qids, h.qids);
    if (h.azure == HostAssetStore::kNoAzure) {
      EXPECT_EQ(l.azure, HostAssetStore::kNoAzure);
    } else {
      EXPECT_EQ(loaded.azure_sources()[l.azure],
                original.azure_sources()[h.azure]);
    }
  }
  EXPECT_FALSE(loaded.Load(dir / "absent"));
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
// large (> 2^31) QIDs, pool compaction and index tombstones included.
TEST(HostAssetStore, MatchesReferenceMapUnderRandomChurn) {
  HostAssetStore store;
  std::map<std::uint64_t, std::vector<std::uint64_t>> ref;
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
    std::vector<std::uint64_t> qids;
    auto n = rng() % 7;
    for (std::uint64_t i = 0; i < n; ++i) {
      std::uint64_t q =
          rng() % 10 == 0 ? (1ULL << 31) + rng() % 1000 : 1000 + rng() % 500;
      qids.push_back(q);
      a.vulns.push_back({q, i});
    }
    store.Upsert(std::move(a));
    ref[id] = qids;
  }
  ASSERT_EQ(store.size(), ref.size());
  for (const auto& [id, qids] : ref) {
    ASSERT_TRUE(store.hosts().contains(id)) << id;
    auto h = store.hosts().at(id);
    EXPECT_EQ(std::vector<std::uint64_t>(h.qids.begin(), h.qids.end()), qids)
        << id;
  }
  std::set<std::uint64_t> distinct;
  for (const auto& [id, qids] : ref) distinct.insert(qids.begin(), qids.end());
  EXPECT_EQ(store.DistinctQids(),
            std::vector<std::uint64_t>(distinct.begin(), distinct.end()));
}

}  // namespace
}  // namespace qx
