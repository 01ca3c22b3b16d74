// IncrementalSync against a scripted fetch: which searches it asks for, and
// what it keeps across failures and restarts. No network.
#include "qx/sources/incremental_sync.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "qx/client/errors.h"
#include "qx/store/host_asset_store.h"
#include "recording_telemetry.h"

namespace qx {
namespace {

struct Call {
  std::vector<Criterion> criteria;
  std::optional<std::uint64_t> after;
};

using Fetch = std::function<SearchProgress(
    const std::vector<Criterion>& criteria, std::optional<std::uint64_t> after,
    HostAssetStore& into, const PageHook& on_page)>;

// A host-asset feed whose walks a test scripts.
class ScriptedFeed : public Feed<HostAssetStore> {
 public:
  std::string_view name() const override { return "hostasset"; }
  std::string_view search_path() const override {
    return "/qps/rest/2.0/search/am/hostasset";
  }
  std::vector<ChangeField> change_fields() const override { return fields; }
  SearchProgress Walk(const WalkRequest& walk, HostAssetStore& into,
                      ChangeStamps& seen, const PageHook& on_page) override {
    stamps = &seen;
    return fetch(walk.criteria, walk.after_id, into, on_page);
  }

  std::vector<ChangeField> fields = {{"updated"}, {"vulnsUpdated"}};
  Fetch fetch;
  ChangeStamps* stamps = nullptr;
};

class IncrementalSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qx-sync-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    options_.state_dir = dir_;
    options_.full_resync_interval_seconds = 86400;
    options_.cursor_overlap_seconds = 300;
    options_.lag_overlap_seconds = 6 * 3600;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  using Sync = IncrementalSync<HostAssetStore>;

  // Serves ids [1, n] in pages of 2; fails after `fail_after_pages` pages.
  Fetch Serve(std::uint64_t n, int fail_after_pages = -1) {
    return [this, n, fail_after_pages](
               const std::vector<Criterion>& criteria,
               std::optional<std::uint64_t> after, HostAssetStore& into,
               const std::function<void(const SearchProgress&)>& on_page) {
      calls_.push_back({criteria, after});
      SearchProgress p;
      std::uint64_t id = after.value_or(0);
      if (!criteria.empty()) {  // incremental: one changed record
        HostAsset a;
        a.id = n;
        a.qweb_host_id = 42;
        into.Upsert(std::move(a));
        p.pages = 1;
        p.records = 1;
        p.done = true;
        on_page(p);
        return p;
      }
      while (id < n) {
        if (fail_after_pages >= 0 &&
            p.pages == static_cast<std::uint64_t>(fail_after_pages)) {
          throw std::runtime_error("connection reset");
        }
        for (int k = 0; k < 2 && id < n; ++k) {
          HostAsset a;
          a.id = ++id;
          into.Upsert(std::move(a));
          p.records++;
        }
        p.pages++;
        p.last_id = id;
        p.done = id >= n;
        on_page(p);
      }
      return p;
    };
  }

  SyncResult RunWith(Sync& sync, Fetch fetch, const PageHook& on_page) {
    feed_.fetch = std::move(fetch);
    return sync.Run(telemetry_, on_page);
  }

  std::filesystem::path dir_;
  SyncOptions options_;
  ScriptedFeed feed_;
  testing::RecordingTelemetry telemetry_;
  std::vector<Call> calls_;
  double now_ = 1'700'000'000;
  Clock clock_ = [this] { return now_; };
};

TEST_F(IncrementalSyncTest, FullThenIncrementalWithOverlappingCursor) {
  Sync sync(feed_, options_, clock_);
  auto r = RunWith(sync, Serve(5), {});
  EXPECT_TRUE(r.full);
  EXPECT_EQ(sync.store().size(), 5u);
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_TRUE(calls_[0].criteria.empty());

  now_ += 1800;
  calls_.clear();
  r = RunWith(sync, Serve(5), {});
  EXPECT_FALSE(r.full);
  ASSERT_EQ(calls_.size(), 2u);  // one search per incremental field
  EXPECT_EQ(calls_[0].criteria[0].field, "updated");
  EXPECT_EQ(calls_[1].criteria[0].field, "vulnsUpdated");
  EXPECT_EQ(calls_[0].criteria[0].op, "GREATER");
  // Cursor = start of the previous poll minus the 300 s overlap.
  const std::int64_t since = 1'700'000'000 - 300;
  EXPECT_EQ(calls_[0].criteria[0].value, FormatIsoTimestamp(since));
  ASSERT_EQ(calls_[0].criteria.size(), 1u);
  // The second walk skips what the first one fetched: updated <= since.
  ASSERT_EQ(calls_[1].criteria.size(), 2u);
  EXPECT_EQ(calls_[1].criteria[0].value, FormatIsoTimestamp(since));
  EXPECT_EQ(calls_[1].criteria[1].field, "updated");
  EXPECT_EQ(calls_[1].criteria[1].op, "LESSER");
  EXPECT_EQ(calls_[1].criteria[1].value, FormatIsoTimestamp(since + 1));
  EXPECT_EQ(sync.store().hosts().at(5).qweb_host_id, 42u);
}

TEST_F(IncrementalSyncTest, FallsBackToPlainWalksWhenTheApiRefusesLesser) {
  Sync sync(feed_, options_, clock_);
  RunWith(sync, Serve(5), {});
  auto plain = Serve(5);
  Fetch refusing =
      [&](const std::vector<Criterion>& criteria,
          std::optional<std::uint64_t> after, HostAssetStore& into,
          const std::function<void(const SearchProgress&)>& on_page) {
        if (criteria.size() > 1) {
          calls_.push_back({criteria, after});
          throw ApiError(
              "hostasset: responseCode INVALID_REQUEST: bad operator", 200,
              "INVALID_REQUEST");
        }
        return plain(criteria, after, into, on_page);
      };
  for (int poll = 0; poll < 2; ++poll) {
    now_ += 1800;
    calls_.clear();
    auto r = RunWith(sync, refusing, {});
    EXPECT_FALSE(r.full);
    std::vector<std::size_t> sizes;
    for (const auto& c : calls_) sizes.push_back(c.criteria.size());
    // First poll: updated, the refused disjoint walk, then the plain one;
    // afterwards only plain walks.
    const std::vector<std::size_t> want =
        poll == 0 ? std::vector<std::size_t>{1, 2, 1}
                  : std::vector<std::size_t>{1, 1};
    EXPECT_EQ(sizes, want);
    EXPECT_EQ(calls_.back().criteria[0].field, "vulnsUpdated");
  }
  // Other errors are not retried.
  Fetch failing = [&](const std::vector<Criterion>& criteria,
                      std::optional<std::uint64_t> after, HostAssetStore& into,
                      const std::function<void(const SearchProgress&)>& on_page)
      -> SearchProgress {
    if (criteria[0].field == "vulnsUpdated") throw ApiError("HTTP 401", 401);
    return plain(criteria, after, into, on_page);
  };
  Sync fresh(feed_, options_, clock_);
  now_ += 1800;
  EXPECT_THROW(RunWith(fresh, failing, {}), ApiError);
}

TEST_F(IncrementalSyncTest, CursorNeverRunsPastTheNewestChangeTheApiStamped) {
  // The API's clock lags ours by two years: its records say 2021.
  const std::int64_t api_now = 1'616'081'226;  // 2021-03-18T15:27:06Z
  auto stamped = [&](std::int64_t updated, std::int64_t vulns) {
    return [this, updated, vulns](Sync& sync) {
      return [this, &sync, updated, vulns](
                 const std::vector<Criterion>& criteria,
                 std::optional<std::uint64_t> after, HostAssetStore& into,
                 const std::function<void(const SearchProgress&)>& on_page) {
        calls_.push_back({criteria, after});
        feed_.stamps->Saw("updated", FormatIsoTimestamp(updated));
        feed_.stamps->Saw("vulnsUpdated", FormatIsoTimestamp(vulns));
        feed_.stamps->Saw("updated", "not a timestamp");  // ignored
        HostAsset a;
        a.id = 1;
        into.Upsert(std::move(a));
        SearchProgress p{1, 1, 1, true};
        on_page(p);
        return p;
      };
    };
  };
  {
    Sync sync(feed_, options_, clock_);
    RunWith(sync, stamped(api_now, api_now - 3600)(sync), {});
    EXPECT_EQ(sync.state().newest.at("updated"), api_now);
    EXPECT_EQ(sync.state().newest.at("vulnsUpdated"), api_now - 3600);
  }
  now_ += 1800;
  Sync sync(feed_, options_,
            clock_);  // a restart: the newest values were saved
  calls_.clear();
  RunWith(sync, stamped(api_now + 60, api_now - 3600)(sync), {});
  ASSERT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_[0].criteria[0].value, FormatIsoTimestamp(api_now));
  EXPECT_EQ(calls_[1].criteria[0].value, FormatIsoTimestamp(api_now - 3600));
  EXPECT_EQ(calls_[1].criteria[1].value, FormatIsoTimestamp(api_now + 1));
  // Incremental polls only move the newest values forward.
  EXPECT_EQ(sync.state().newest.at("updated"), api_now + 60);
  EXPECT_EQ(sync.state().newest.at("vulnsUpdated"), api_now - 3600);

  // With an API clock ahead of ours the local cursor (minus the overlap)
  // is the lower one and decides.
  now_ += 1800;
  calls_.clear();
  const std::int64_t ahead = static_cast<std::int64_t>(now_) + 86400;
  RunWith(sync, stamped(ahead, ahead)(sync), {});
  now_ += 1800;
  calls_.clear();
  RunWith(sync, stamped(ahead, ahead)(sync), {});
  EXPECT_EQ(calls_[0].criteria[0].value,
            FormatIsoTimestamp(static_cast<std::int64_t>(now_) - 1800 - 300));
}

TEST_F(IncrementalSyncTest,
       RestartResumesFromStoredCursorWithoutRedownloading) {
  {
    Sync sync(feed_, options_, clock_);
    RunWith(sync, Serve(5), {});
  }
  now_ += 60;
  Sync restarted(feed_, options_, clock_);
  EXPECT_TRUE(restarted.has_store());
  EXPECT_EQ(restarted.store().size(), 5u);
  calls_.clear();
  auto r = RunWith(restarted, Serve(5), {});
  EXPECT_FALSE(r.full);
  ASSERT_FALSE(calls_.empty());
  EXPECT_FALSE(calls_[0].criteria.empty());
}

TEST_F(IncrementalSyncTest,
       InterruptedFullSyncResumesAfterLastPageEvenAcrossRestart) {
  {
    Sync sync(feed_, options_, clock_);
    EXPECT_THROW(RunWith(sync, Serve(9, 2), {}), std::runtime_error);
    EXPECT_FALSE(sync.has_store());
  }
  now_ += 600;
  Sync restarted(feed_, options_, clock_);
  calls_.clear();
  auto r = RunWith(restarted, Serve(9), {});
  EXPECT_TRUE(r.full);
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].after, std::optional<std::uint64_t>(4));  // 2 pages of 2
  EXPECT_EQ(restarted.store().size(), 9u);
  // The cursor is when the interrupted full sync began, so nothing changed
  // in between is missed.
  now_ += 60;
  calls_.clear();
  RunWith(restarted, Serve(9), {});
  EXPECT_EQ(calls_[0].criteria[0].value,
            FormatIsoTimestamp(1'700'000'000 - 300));
}

TEST_F(IncrementalSyncTest, StopFromPageCallbackKeepsProgress) {
  Sync sync(feed_, options_, clock_);
  int pages = 0;
  EXPECT_THROW(RunWith(sync, Serve(9),
                       [&](const SearchProgress&) {
                         if (++pages == 3) throw StopSync("budget");
                       }),
               StopSync);
  calls_.clear();
  RunWith(sync, Serve(9), {});
  EXPECT_EQ(calls_[0].after, std::optional<std::uint64_t>(6));
  EXPECT_EQ(sync.store().size(), 9u);
}

TEST_F(IncrementalSyncTest, FullResyncAfterIntervalDropsDeletedRecords) {
  Sync sync(feed_, options_, clock_);
  RunWith(sync, Serve(6), {});
  now_ += 86400;
  calls_.clear();
  auto r = RunWith(sync, Serve(3), {});  // three assets were deleted
  EXPECT_TRUE(r.full);
  EXPECT_EQ(sync.store().size(), 3u);
}

TEST_F(IncrementalSyncTest, CorruptStoreStartsOverWithFullSync) {
  {
    Sync sync(feed_, options_, clock_);
    RunWith(sync, Serve(4), {});
  }
  {
    std::ofstream f(dir_ / "hostasset.store", std::ios::trunc);
    f << "garbage";
  }
  Sync restarted(feed_, options_, clock_);
  EXPECT_FALSE(restarted.has_store());
  auto r = RunWith(restarted, Serve(4), {});
  EXPECT_TRUE(r.full);
  EXPECT_EQ(restarted.store().size(), 4u);
}

TEST_F(IncrementalSyncTest, LagProneFieldsLookBackTheProcessingLag) {
  feed_.fields = {{"updatedDate"}, {"lastTestedDate", /*lag_prone=*/true}};
  Sync sync(feed_, options_, clock_);
  RunWith(sync, Serve(3), {});
  now_ += 1800;
  calls_.clear();
  RunWith(sync, Serve(3), {});
  ASSERT_EQ(calls_.size(), 2u);
  const std::int64_t cursor = 1'700'000'000;
  EXPECT_EQ(calls_[0].criteria[0].value, FormatIsoTimestamp(cursor - 300));
  // A scan stamped hours before its results were processed is still asked
  // for: lastTestedDate looks back the 6 h lag, not the 5 min overlap.
  EXPECT_EQ(calls_[1].criteria[0].field, "lastTestedDate");
  EXPECT_EQ(calls_[1].criteria[0].value, FormatIsoTimestamp(cursor - 6 * 3600));
}

TEST_F(IncrementalSyncTest, RefusedFieldFallsBackToTheOthersWithTheLag) {
  Sync sync(feed_, options_, clock_);
  RunWith(sync, Serve(5), {});
  auto plain = Serve(5);
  Fetch refusing_updated = [&](const std::vector<Criterion>& criteria,
                               std::optional<std::uint64_t> after,
                               HostAssetStore& into, const PageHook& on_page) {
    for (const auto& c : criteria) {
      if (c.field == "updated") {
        calls_.push_back({criteria, after});
        throw ApiError(
            "hostasset: responseCode INVALID_REQUEST: Invalid field updated",
            200, "INVALID_REQUEST");
      }
    }
    return plain(criteria, after, into, on_page);
  };
  for (int poll = 0; poll < 2; ++poll) {
    now_ += 1800;
    calls_.clear();
    auto r = RunWith(sync, refusing_updated, {});
    EXPECT_FALSE(r.full);  // never a failing source, nor a full walk
    ASSERT_FALSE(calls_.empty());
    const Call& last = calls_.back();
    ASSERT_EQ(last.criteria.size(), 1u);
    EXPECT_EQ(last.criteria[0].field, "vulnsUpdated");
    // The remaining field carries the load alone: the wide overlap.
    EXPECT_EQ(
        last.criteria[0].value,
        FormatIsoTimestamp(static_cast<std::int64_t>(now_) - 1800 - 6 * 3600));
    // Asked once and refused once; later polls do not ask again.
    EXPECT_EQ(calls_.size(), poll == 0 ? 2u : 1u);
  }
  EXPECT_EQ(telemetry_.refused, std::set<std::string>{"hostasset:updated"});
  EXPECT_EQ(sync.refused_fields(), std::set<std::string>{"updated"});
}

TEST_F(IncrementalSyncTest, EveryFieldRefusedMeansAFullWalkNotAFailure) {
  Sync sync(feed_, options_, clock_);
  RunWith(sync, Serve(5), {});
  auto plain = Serve(4);  // one asset deleted meanwhile
  Fetch refusing_all = [&](const std::vector<Criterion>& criteria,
                           std::optional<std::uint64_t> after,
                           HostAssetStore& into, const PageHook& on_page) {
    if (!criteria.empty()) {
      calls_.push_back({criteria, after});
      throw ApiError("hostasset: HTTP 400 Bad Request", 400);
    }
    return plain(criteria, after, into, on_page);
  };
  now_ += 1800;
  calls_.clear();
  auto r = RunWith(sync, refusing_all, {});
  EXPECT_TRUE(r.full);
  EXPECT_EQ(sync.store().size(), 4u);
  EXPECT_EQ(telemetry_.refused.size(), 2u);
  EXPECT_TRUE(sync.NextIsFull(static_cast<std::int64_t>(now_)));
}

TEST_F(IncrementalSyncTest, AFaultIsNotARefusal) {
  Sync sync(feed_, options_, clock_);
  RunWith(sync, Serve(5), {});
  Fetch faulting = [&](const std::vector<Criterion>&,
                       std::optional<std::uint64_t>, HostAssetStore&,
                       const PageHook&) -> SearchProgress {
    throw ApiError("hostasset: responseCode OTHER_ERROR", 200, "OTHER_ERROR");
  };
  now_ += 1800;
  EXPECT_THROW(RunWith(sync, faulting, {}), ApiError);
  EXPECT_TRUE(telemetry_.refused.empty());
}

}  // namespace
}  // namespace qx
