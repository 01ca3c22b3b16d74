// HostDetectionStore (replace and upsert merges, durability) and the
// coverage fields of HostAssetStore (join index, old files).
#include "qx/store/host_detection_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>

#include "qx/records/timestamp.h"
#include "qx/store/atomic_file.h"
#include "qx/store/binary_state.h"
#include "qx/store/host_asset_store.h"
#include "qx/store/state_file.h"

namespace qx {
namespace {

std::filesystem::path TempDir() {
  auto d = std::filesystem::temp_directory_path() /
           ("qx-detstore-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

HostDetection Det(std::uint64_t qid, DetectionStatus status,
                  DetectionType type = DetectionType::kConfirmed,
                  int severity = 3, std::uint32_t port = 0) {
  HostDetection d;
  d.qid = qid;
  d.status = status;
  d.type = type;
  d.severity = severity;
  d.port = port;
  d.protocol = port != 0 ? "tcp" : "";
  return d;
}

// Counted detections of a host as (severity, type) -> n.
std::map<std::pair<int, DetectionType>, int> Counts(const HostDetectionStore& s,
                                                    std::uint64_t host) {
  std::map<std::pair<int, DetectionType>, int> out;
  for (std::uint64_t v : s.DetectionsOf(host)) {
    ++out[{HostDetectionStore::Severity(v), HostDetectionStore::Type(v)}];
  }
  return out;
}

TEST(HostDetectionStore, ReplaceKeepsExactlyTheCountedOnes) {
  HostDetectionStore s;
  DetectionHost h;
  h.id = 8589934593;
  h.detections = {Det(1, DetectionStatus::kActive),
                  Det(2, DetectionStatus::kNew, DetectionType::kPotential, 5),
                  Det(3, DetectionStatus::kReOpened),
                  Det(4, DetectionStatus::kFixed),
                  Det(5, DetectionStatus::kActive, DetectionType::kInfo),
                  Det(6, DetectionStatus::kActive)};
  h.detections.back().ignored = true;
  h.detections.push_back(Det(7, DetectionStatus::kActive));
  h.detections.back().disabled = true;
  s.Apply(h, HostDetectionStore::Merge::kReplace);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.detections(), 3u);
  auto c = Counts(s, h.id);
  EXPECT_EQ((c[{3, DetectionType::kConfirmed}]), 2);
  EXPECT_EQ((c[{5, DetectionType::kPotential}]), 1);

  // The complete list again, one detection fixed: gone.
  h.detections[0].status = DetectionStatus::kFixed;
  s.Apply(h, HostDetectionStore::Merge::kReplace);
  EXPECT_EQ(s.detections(), 2u);
  // A complete list in which the host has nothing open: forgotten.
  h.detections = {Det(1, DetectionStatus::kFixed)};
  s.Apply(h, HostDetectionStore::Merge::kReplace);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.contains(h.id));
}

TEST(HostDetectionStore, UpsertLearnsChangesDetectionByDetection) {
  HostDetectionStore s;
  DetectionHost h;
  h.id = 42;
  h.detections = {
      Det(38173, DetectionStatus::kActive, DetectionType::kConfirmed, 2, 443),
      Det(38173, DetectionStatus::kActive, DetectionType::kConfirmed, 2, 3389),
      Det(42046, DetectionStatus::kNew, DetectionType::kConfirmed, 5, 22)};
  s.Apply(h, HostDetectionStore::Merge::kUpsert);
  EXPECT_EQ(s.detections(), 3u);
  // Only what changed: 443 fixed, 22 re-rated Potential; 3389 unlisted stays.
  DetectionHost changes;
  changes.id = 42;
  changes.detections = {
      Det(38173, DetectionStatus::kFixed, DetectionType::kConfirmed, 2, 443),
      Det(42046, DetectionStatus::kActive, DetectionType::kPotential, 5, 22)};
  s.Apply(changes, HostDetectionStore::Merge::kUpsert);
  auto c = Counts(s, 42);
  EXPECT_EQ((c[{2, DetectionType::kConfirmed}]), 1);
  EXPECT_EQ((c[{5, DetectionType::kPotential}]), 1);
  EXPECT_EQ((c[{5, DetectionType::kConfirmed}]), 0);
  EXPECT_EQ(s.detections(), 2u);
  // Ignoring and disabling close the rest.
  changes.detections = {
      Det(38173, DetectionStatus::kActive, DetectionType::kConfirmed, 2, 3389),
      Det(42046, DetectionStatus::kActive, DetectionType::kPotential, 5, 22)};
  changes.detections[0].ignored = true;
  changes.detections[1].disabled = true;
  s.Apply(changes, HostDetectionStore::Merge::kUpsert);
  EXPECT_EQ(s.size(), 0u);
  // A listing of the same detection twice: the later one wins.
  changes.detections = {Det(1, DetectionStatus::kActive),
                        Det(1, DetectionStatus::kFixed)};
  s.Apply(changes, HostDetectionStore::Merge::kUpsert);
  EXPECT_EQ(s.size(), 0u);
}

TEST(HostDetectionStore, MatchesAReferenceModelUnderRandomMerges) {
  // Reference: host -> key -> (counts, severity, type); both merge kinds.
  std::mt19937_64 rng(7);
  HostDetectionStore s;
  std::map<std::uint64_t, std::map<std::uint64_t, HostDetection>> ref;
  for (int round = 0; round < 3000; ++round) {
    DetectionHost h;
    h.id = 1 + rng() % 300;
    const bool replace = rng() % 2 == 0;
    const int n = static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      HostDetection d = Det(
          1 + rng() % 12, static_cast<DetectionStatus>(rng() % 5),
          static_cast<DetectionType>(rng() % 4), static_cast<int>(rng() % 6),
          static_cast<std::uint32_t>(rng() % 2));
      d.ignored = rng() % 10 == 0;
      h.detections.push_back(d);
    }
    auto& mine = ref[h.id];
    if (replace) mine.clear();
    for (const HostDetection& d : h.detections) mine[DetectionKey(d)] = d;
    std::erase_if(mine, [](const auto& kv) {
      return !CountsAsHostVulnerability(kv.second);
    });
    s.Apply(h, replace ? HostDetectionStore::Merge::kReplace
                       : HostDetectionStore::Merge::kUpsert);
  }
  std::size_t hosts = 0;
  std::size_t total = 0;
  for (const auto& [id, dets] : ref) {
    if (dets.empty()) {
      EXPECT_FALSE(s.contains(id));
      continue;
    }
    ++hosts;
    total += dets.size();
    std::map<std::pair<int, DetectionType>, int> want;
    for (const auto& [k, d] : dets) ++want[{d.severity, d.type}];
    EXPECT_EQ(Counts(s, id), want) << id;
  }
  EXPECT_EQ(s.size(), hosts);
  EXPECT_EQ(s.detections(), total);
  std::size_t seen = 0;
  s.ForEachHost([&](std::uint64_t, const HostDetectionStore::Counts& c) {
    for (auto n : c) seen += n;
  });
  EXPECT_EQ(seen, total);

  auto dir = TempDir();
  s.Save(dir / "det");
  HostDetectionStore loaded;
  ASSERT_TRUE(loaded.Load(dir / "det"));
  EXPECT_EQ(loaded.size(), s.size());
  for (const auto& [id, dets] : ref) {
    EXPECT_EQ(Counts(loaded, id), Counts(s, id));
  }
  // Damaged files are rejected and leave the store as it was.
  std::string good = *ReadFileIfExists(dir / "det");
  good[good.size() / 2] ^= 0x10;
  WriteFileAtomically(dir / "det", good);
  EXPECT_THROW(loaded.Load(dir / "det"), StateError);
  EXPECT_EQ(loaded.size(), s.size());
  EXPECT_FALSE(loaded.Load(dir / "absent"));
  std::filesystem::remove_all(dir);
}

TEST(HostAssetStoreCoverage, KeepsCoverageFieldsAndJoinsByQwebHostId) {
  HostAssetStore s;
  HostAsset a;
  a.id = 1;
  a.qweb_host_id = 107800671;
  a.last_vuln_scan = "2020-09-28T12:00:00Z";
  a.agent_last_checked_in = "2020-09-29T17:50:00Z";
  a.cloud_provider = CloudProvider::kAzure;
  a.azure = AzureSource{"sub", "rg", "vnet", "default", "westeurope", ""};
  s.Upsert(HostAsset(a));
  HostAsset b;
  b.id = 2;
  b.qweb_host_id = 107800671;  // claims the same VM host: id 1 wins
  b.cloud_provider = CloudProvider::kAws;
  s.Upsert(HostAsset(b));
  HostAsset c;
  c.id = 3;
  c.last_vuln_scan = "not a date";
  s.Upsert(HostAsset(c));

  auto h = s.hosts().at(1);
  EXPECT_EQ(h.qweb_host_id, 107800671u);
  EXPECT_EQ(h.last_vuln_scan, *ParseIsoTimestamp("2020-09-28T12:00:00Z"));
  EXPECT_EQ(h.agent_last_checked_in,
            *ParseIsoTimestamp("2020-09-29T17:50:00Z"));
  EXPECT_EQ(s.hosts().at(3).last_vuln_scan, 0);  // malformed: never

  const auto index = s.BuildQwebIndex();
  EXPECT_EQ(index.size(), 1u);
  const auto* e = index.Find(107800671);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->cloud_provider, CloudProvider::kAzure);
  EXPECT_EQ(s.azure_sources().at(e->azure).vnet, "vnet");
  EXPECT_EQ(index.Find(1), nullptr);

  int seen = 0;
  s.ForEachHostCoverage([&](const HostAssetStore::Coverage& cov) {
    ++seen;
    if (cov.id == 2) {
      EXPECT_EQ(cov.cloud_provider, CloudProvider::kAws);
      EXPECT_EQ(cov.last_vuln_scan, 0);
    }
  });
  EXPECT_EQ(seen, 3);

  // An update clears what the new record no longer has.
  a.last_vuln_scan.clear();
  a.qweb_host_id = 0;
  s.Upsert(HostAsset(a));
  EXPECT_EQ(s.hosts().at(1).last_vuln_scan, 0);
  EXPECT_EQ(s.BuildQwebIndex().Find(107800671)->cloud_provider,
            CloudProvider::kAws);
}

TEST(HostAssetStoreCoverage, RoundTripAndOldLayoutMeansFullSync) {
  auto dir = TempDir();
  HostAssetStore s;
  for (std::uint64_t i = 1; i <= 100; ++i) {
    HostAsset a;
    a.id = i << 33;
    a.qweb_host_id = i % 3 == 0 ? 0 : 1000 + i;
    a.last_vuln_scan =
        i % 4 == 0 ? ""
                   : "2024-01-0" + std::to_string(1 + i % 9) + "T00:00:00Z";
    a.agent_last_checked_in = i % 2 ? "2106-02-07T06:28:15Z" : "";
    a.vulns = {{100 + i, i}};
    s.Upsert(std::move(a));
  }
  s.Erase(5ULL << 33);
  s.Save(dir / "hosts");
  HostAssetStore loaded;
  ASSERT_TRUE(loaded.Load(dir / "hosts"));
  ASSERT_EQ(loaded.size(), s.size());
  for (const auto& [id, h] : s.hosts()) {
    const auto l = loaded.hosts().at(id);
    EXPECT_EQ(l.qweb_host_id, h.qweb_host_id);
    EXPECT_EQ(l.last_vuln_scan, h.last_vuln_scan);
    EXPECT_EQ(l.agent_last_checked_in, h.agent_last_checked_in);
    EXPECT_EQ(l.cloud_provider, h.cloud_provider);
    EXPECT_EQ(l.azure, h.azure);
  }
  // A state file of the previous layout: not an error, just no state.
  {
    BinaryStateWriter w(dir / "old", "host-asset-store-v1");
    w.U64(0);
    w.U64(1);
    for (std::uint64_t v : {7u, 0u, 0u, 1u, 38173u}) w.U64(v);
    w.Commit();
  }
  EXPECT_FALSE(loaded.Load(dir / "old"));
  EXPECT_EQ(loaded.size(), s.size());  // untouched
  // A foreign kind still is.
  {
    BinaryStateWriter w(dir / "foreign", "was-finding-store-v1");
    w.U64(0);
    w.Commit();
  }
  EXPECT_THROW(loaded.Load(dir / "foreign"), StateError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qx
