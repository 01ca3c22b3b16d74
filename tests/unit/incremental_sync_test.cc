// IncrementalSync against a scripted fetch: which searches it asks for, and
// what it keeps across failures and restarts. No network.
#include "qx/poller/incremental_sync.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "qx/client/errors.h"
#include "qx/store/host_asset_store.h"

namespace qx {
namespace {

struct Call {
  std::vector<Criterion> criteria;
  std::optional<std::uint64_t> after;
};

class IncrementalSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qx-sync-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    options_.state_dir = dir_;
    options_.name = "hostasset";
    options_.incremental_fields = {"updated", "vulnsUpdated"};
    options_.full_resync_interval_seconds = 86400;
    options_.cursor_overlap_seconds = 300;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  using Sync = IncrementalSync<HostAssetStore>;

  // Serves ids [1, n] in pages of 2; fails after `fail_after_pages` pages.
  Sync::Fetch Fetch(std::uint64_t n, int fail_after_pages = -1) {
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
        a.vulns = {{42, 1}};
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

  std::filesystem::path dir_;
  SyncOptions options_;
  std::vector<Call> calls_;
  double now_ = 1'700'000'000;
  Clock clock_ = [this] { return now_; };
};

TEST_F(IncrementalSyncTest, FullThenIncrementalWithOverlappingCursor) {
  Sync sync(options_, clock_);
  auto r = sync.Run(Fetch(5), {});
  EXPECT_TRUE(r.full);
  EXPECT_EQ(sync.store().size(), 5u);
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_TRUE(calls_[0].criteria.empty());

  now_ += 1800;
  calls_.clear();
  r = sync.Run(Fetch(5), {});
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
  EXPECT_EQ(sync.store().hosts().at(5).qids, std::vector<std::uint64_t>{42});
}

TEST_F(IncrementalSyncTest, FallsBackToPlainWalksWhenTheApiRefusesLesser) {
  Sync sync(options_, clock_);
  sync.Run(Fetch(5), {});
  auto plain = Fetch(5);
  Sync::Fetch refusing =
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
    auto r = sync.Run(refusing, {});
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
  Sync::Fetch failing =
      [&](const std::vector<Criterion>& criteria,
          std::optional<std::uint64_t> after, HostAssetStore& into,
          const std::function<void(const SearchProgress&)>& on_page)
      -> SearchProgress {
    if (criteria[0].field == "vulnsUpdated") throw ApiError("HTTP 401", 401);
    return plain(criteria, after, into, on_page);
  };
  Sync fresh(options_, clock_);
  now_ += 1800;
  EXPECT_THROW(fresh.Run(failing, {}), ApiError);
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
        sync.SawChange("updated", FormatIsoTimestamp(updated));
        sync.SawChange("vulnsUpdated", FormatIsoTimestamp(vulns));
        sync.SawChange("updated", "not a timestamp");  // ignored
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
    Sync sync(options_, clock_);
    sync.Run(stamped(api_now, api_now - 3600)(sync), {});
    EXPECT_EQ(sync.state().newest.at("updated"), api_now);
    EXPECT_EQ(sync.state().newest.at("vulnsUpdated"), api_now - 3600);
  }
  now_ += 1800;
  Sync sync(options_, clock_);  // a restart: the newest values were saved
  calls_.clear();
  sync.Run(stamped(api_now + 60, api_now - 3600)(sync), {});
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
  sync.Run(stamped(ahead, ahead)(sync), {});
  now_ += 1800;
  calls_.clear();
  sync.Run(stamped(ahead, ahead)(sync), {});
  EXPECT_EQ(calls_[0].criteria[0].value,
            FormatIsoTimestamp(static_cast<std::int64_t>(now_) - 1800 - 300));
}

TEST_F(IncrementalSyncTest,
       RestartResumesFromStoredCursorWithoutRedownloading) {
  {
    Sync sync(options_, clock_);
    sync.Run(Fetch(5), {});
  }
  now_ += 60;
  Sync restarted(options_, clock_);
  EXPECT_TRUE(restarted.has_store());
  EXPECT_EQ(restarted.store().size(), 5u);
  calls_.clear();
  auto r = restarted.Run(Fetch(5), {});
  EXPECT_FALSE(r.full);
  ASSERT_FALSE(calls_.empty());
  EXPECT_FALSE(calls_[0].criteria.empty());
}

TEST_F(IncrementalSyncTest,
       InterruptedFullSyncResumesAfterLastPageEvenAcrossRestart) {
  {
    Sync sync(options_, clock_);
    EXPECT_THROW(sync.Run(Fetch(9, 2), {}), std::runtime_error);
    EXPECT_FALSE(sync.has_store());
  }
  now_ += 600;
  Sync restarted(options_, clock_);
  calls_.clear();
  auto r = restarted.Run(Fetch(9), {});
  EXPECT_TRUE(r.full);
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].after, std::optional<std::uint64_t>(4));  // 2 pages of 2
  EXPECT_EQ(restarted.store().size(), 9u);
  // The cursor is when the interrupted full sync began, so nothing changed
  // in between is missed.
  now_ += 60;
  calls_.clear();
  restarted.Run(Fetch(9), {});
  EXPECT_EQ(calls_[0].criteria[0].value,
            FormatIsoTimestamp(1'700'000'000 - 300));
}

TEST_F(IncrementalSyncTest, StopFromPageCallbackKeepsProgress) {
  Sync sync(options_, clock_);
  int pages = 0;
  EXPECT_THROW(sync.Run(Fetch(9),
                        [&](const SearchProgress&) {
                          if (++pages == 3) throw StopSync("budget");
                        }),
               StopSync);
  calls_.clear();
  sync.Run(Fetch(9), {});
  EXPECT_EQ(calls_[0].after, std::optional<std::uint64_t>(6));
  EXPECT_EQ(sync.store().size(), 9u);
}

TEST_F(IncrementalSyncTest, FullResyncAfterIntervalDropsDeletedRecords) {
  Sync sync(options_, clock_);
  sync.Run(Fetch(6), {});
  now_ += 86400;
  calls_.clear();
  auto r = sync.Run(Fetch(3), {});  // three assets were deleted
  EXPECT_TRUE(r.full);
  EXPECT_EQ(sync.store().size(), 3u);
}

TEST_F(IncrementalSyncTest, CorruptStoreStartsOverWithFullSync) {
  {
    Sync sync(options_, clock_);
    sync.Run(Fetch(4), {});
  }
  {
    std::ofstream f(dir_ / "hostasset.store", std::ios::trunc);
    f << "garbage";
  }
  Sync restarted(options_, clock_);
  EXPECT_FALSE(restarted.has_store());
  auto r = restarted.Run(Fetch(4), {});
  EXPECT_TRUE(r.full);
  EXPECT_EQ(restarted.store().size(), 4u);
}

}  // namespace
}  // namespace qx
