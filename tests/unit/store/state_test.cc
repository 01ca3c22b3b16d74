#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "qx/store/atomic_file.h"
#include "qx/store/binary_state.h"
#include "qx/store/knowledge_base_cache.h"
#include "qx/store/recurrence_state.h"
#include "qx/store/scan_schedule_state.h"
#include "qx/store/state_file.h"

namespace qx {
namespace {

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qx-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    EnsureStateDir(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(StateTest, RecurrenceBaselineCountsNothingThenCountsTransitions) {
  RecurrenceState s;
  EXPECT_FALSE(s.has_baseline());
  EXPECT_TRUE(s.Update({{1, 5}, {2, 3}}).empty());  // baseline
  auto turned = s.Update({{1, 5}, {2, 3}, {3, 4}});
  ASSERT_EQ(turned.size(), 1u);
  EXPECT_EQ(turned[0].finding_id, 3u);
  EXPECT_EQ(s.became_recurring_total()[4], 1u);
  // Leaves and comes back: a new transition.
  s.Update({{1, 5}});
  s.Update({{1, 5}, {3, 4}});
  EXPECT_EQ(s.became_recurring_total()[4], 2u);
}

TEST_F(StateTest, RecurrenceSurvivesRestart) {
  auto path = dir_ / "rec.state";
  {
    RecurrenceState s;
    s.Update({{1, 5}});
    s.Update({{1, 5}, {2, 2}});
    s.Save(path);
  }
  RecurrenceState loaded;
  loaded.Load(path);
  EXPECT_TRUE(loaded.has_baseline());
  EXPECT_EQ(loaded.became_recurring_total()[2], 1u);
  EXPECT_TRUE(loaded.Update({{1, 5}, {2, 2}}).empty());  // already known
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(StateTest, BinaryStateStreamsAcrossChunksAndRejectsDamage) {
  // More than one 1 MiB verify chunk and many 64 KiB decode chunks, with
  // strings that straddle chunk ends.
  const auto path = dir_ / "big.state";
  const std::string big(200'000, 'x');
  {
    BinaryStateWriter w(path, "test-v1");
    for (std::uint64_t i = 0; i < 300'000; ++i) {
      w.U64(i * 2654435761ULL);
      if (i % 50'000 == 7) w.Str(big + std::to_string(i));
      w.I64(-static_cast<std::int64_t>(i));
    }
    w.Commit();
  }
  ASSERT_GT(std::filesystem::file_size(path), std::uintmax_t{2} << 20);
  auto r = BinaryStateReader::Open(path, "test-v1");
  ASSERT_NE(r, nullptr);
  for (std::uint64_t i = 0; i < 300'000; ++i) {
    ASSERT_EQ(r->U64(), i * 2654435761ULL) << i;
    if (i % 50'000 == 7) {
      ASSERT_EQ(r->Str(), big + std::to_string(i));
    }
    ASSERT_EQ(r->I64(), -static_cast<std::int64_t>(i));
  }
  EXPECT_TRUE(r->AtEnd());
  EXPECT_THROW(r->U64(), StateError);  // nothing past the end
  EXPECT_EQ(BinaryStateReader::Open(dir_ / "absent", "test-v1"), nullptr);
  EXPECT_THROW(BinaryStateReader::Open(path, "other-v1"), StateError);

  // One flipped byte anywhere, or a cut: rejected before the first value.
  const std::string bytes = *ReadFileIfExists(path);
  for (std::size_t at : {std::size_t{20}, bytes.size() / 2, bytes.size() - 3}) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x40);
    WriteFileAtomically(path, damaged);
    EXPECT_THROW(BinaryStateReader::Open(path, "test-v1"), StateError) << at;
  }
  WriteFileAtomically(path, bytes.substr(0, bytes.size() - 100));
  EXPECT_THROW(BinaryStateReader::Open(path, "test-v1"), StateError);
  WriteFileAtomically(path, "QXSTATE");
  EXPECT_THROW(BinaryStateReader::Open(path, "test-v1"), StateError);
}

TEST_F(StateTest, ScanSchedulesRoundTripEveryField) {
  ScanScheduleState s;
  s.fetched_at = 1700000000;
  WasScanSchedule a;
  a.id = 714393;
  a.name = "Nightly \t\"prod\"\n";
  a.type = "VULNERABILITY";
  a.active = true;
  a.occurrence_type = "WEEKLY";
  a.start_date = "2021-03-25T09:50:11Z";
  a.time_zone = "America/Vancouver";
  a.next_launch_date = "2021-04-10T16:50:11Z";
  a.webapp_ids = {1, 18446744073709551615ULL};
  a.included_tags = {"ALL", {5, 6}};
  a.excluded_tags = {"", {7}};
  a.send_mail_from = "OWNER";
  WasScanSchedule b;  // every default: inactive, invalid, no mail
  b.id = 2;
  b.invalid = true;
  b.send_mail = false;
  s.schedules = {a, b};
  s.webapps[1] = WebApp{1, "Shop \"prod\"", "https://shop.example/", {5, 6}};
  s.webapps[3] = WebApp{3, "", "", {}};
  const auto path = dir_ / "schedules.state";
  s.Save(path);

  ScanScheduleState loaded;
  loaded.Load(path);
  EXPECT_EQ(loaded.fetched_at, 1700000000);
  ASSERT_EQ(loaded.webapps.size(), 2u);
  for (const auto& [id, app] : s.webapps) {
    const WebApp& got = loaded.webapps.at(id);
    EXPECT_EQ(got.id, app.id);
    EXPECT_EQ(got.name, app.name);
    EXPECT_EQ(got.url, app.url);
    EXPECT_EQ(got.tag_ids, app.tag_ids);
  }
  ASSERT_EQ(loaded.schedules.size(), 2u);
  const WasScanSchedule& la = loaded.schedules[0];
  EXPECT_EQ(la.id, a.id);
  EXPECT_EQ(la.name, a.name);
  EXPECT_EQ(la.type, a.type);
  EXPECT_TRUE(la.active);
  EXPECT_FALSE(la.invalid);
  EXPECT_TRUE(la.send_mail);
  EXPECT_EQ(la.occurrence_type, a.occurrence_type);
  EXPECT_EQ(la.start_date, a.start_date);
  EXPECT_EQ(la.time_zone, a.time_zone);
  EXPECT_EQ(la.next_launch_date, a.next_launch_date);
  EXPECT_EQ(la.webapp_ids, a.webapp_ids);
  EXPECT_EQ(la.included_tags, a.included_tags);
  EXPECT_EQ(la.excluded_tags, a.excluded_tags);
  EXPECT_EQ(la.send_mail_from, a.send_mail_from);
  const WasScanSchedule& lb = loaded.schedules[1];
  EXPECT_FALSE(lb.active);
  EXPECT_TRUE(lb.invalid);
  EXPECT_FALSE(lb.send_mail);

  // Absent: nothing stored. Damaged: a clear error, nothing half-loaded.
  ScanScheduleState none;
  none.Load(dir_ / "absent.state");
  EXPECT_EQ(none.fetched_at, 0);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  EXPECT_THROW(loaded.Load(path), StateError);
  EXPECT_EQ(loaded.schedules.size(), 2u);
}

TEST_F(StateTest, CorruptOrForeignFilesGiveClearErrors) {
  auto path = dir_ / "rec.state";
  RecurrenceState s;
  s.Update({{1, 5}});
  s.Save(path);
  std::string good = *ReadFileIfExists(path);

  // Truncated (as a torn non-atomic write would leave it).
  WriteFileAtomically(path, good.substr(0, good.size() / 2));
  RecurrenceState r;
  EXPECT_THROW(r.Load(path), StateError);
  // Flipped byte: checksum mismatch.
  std::string flipped = good;
  flipped[flipped.find("recurring") + 10] = '7';
  WriteFileAtomically(path, flipped);
  try {
    r.Load(path);
    FAIL() << "expected StateError";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos);
  }
  // Another kind of state file.
  KnowledgeBaseCache kb;
  kb.Put(1, 2, 3);
  kb.Save(path);
  try {
    r.Load(path);
    FAIL() << "expected StateError";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("was-recurrence"), std::string::npos);
  }
  // Garbage.
  WriteFileAtomically(path,
                      "\x7f"
                      "ELF garbage\n");
  EXPECT_THROW(r.Load(path), StateError);
}

TEST_F(StateTest, KnowledgeBaseCacheMissingAndRefresh) {
  auto path = dir_ / "kb.state";
  KnowledgeBaseCache kb;
  kb.Put(100, 5, 1000);
  kb.Put(200, 3, 5000);
  kb.Save(path);
  KnowledgeBaseCache loaded;
  loaded.Load(path);
  EXPECT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded.Severity(100), 5);
  EXPECT_EQ(loaded.Severity(300), std::nullopt);
  // 100 is stale at now=6000 with max age 4000; 300 is unknown.
  EXPECT_EQ(loaded.Missing({300, 100, 200, 300}, 6000, 4000, 4000),
            (std::vector<std::uint64_t>{100, 300}));
  // A QID the KB did not return is not asked again until the absent age.
  loaded.PutAbsent(300, 6000);
  EXPECT_EQ(loaded.Severity(300), std::nullopt);
  EXPECT_EQ(loaded.Missing({300}, 6500, 100000, 1000),
            (std::vector<std::uint64_t>{}));
  EXPECT_EQ(loaded.Missing({300}, 7001, 100000, 1000),
            (std::vector<std::uint64_t>{300}));
}

TEST_F(StateTest, AtomicWriteReplacesWholeFile) {
  auto path = dir_ / "f";
  WriteFileAtomically(path, "first version, longer");
  WriteFileAtomically(path, "second");
  EXPECT_EQ(*ReadFileIfExists(path), "second");
  EXPECT_EQ(ReadFileIfExists(dir_ / "absent"), std::nullopt);
  // No temp files left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(dir_))
    ++files;
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace qx
