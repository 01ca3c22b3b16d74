#include <gtest/gtest.h>

#include "qx/cli/duration.h"
#include "qx/records/timestamp.h"
#include "qx/store/was_finding_store.h"

namespace qx {
namespace {

TEST(Duration, ParsesPrometheusSpellings) {
  using std::chrono::milliseconds;
  EXPECT_EQ(ParseDuration("30m"), milliseconds(1'800'000));
  EXPECT_EQ(ParseDuration("300ms"), milliseconds(300));
  EXPECT_EQ(ParseDuration("1h30m"), milliseconds(5'400'000));
  EXPECT_EQ(ParseDuration("7d"), milliseconds(604'800'000));
  EXPECT_EQ(ParseDuration("30"), std::nullopt);
  EXPECT_EQ(ParseDuration("m"), std::nullopt);
  EXPECT_EQ(ParseDuration("5x"), std::nullopt);
  EXPECT_EQ(ParseDuration(""), std::nullopt);
}

TEST(IsoTimestamp, Parses) {
  EXPECT_EQ(ParseIsoTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIsoTimestamp("2021-03-18T15:27:06Z"), 1616081226);
  EXPECT_EQ(ParseIsoTimestamp("2021-03-18T15:27:06.123Z"), 1616081226);
  EXPECT_EQ(ParseIsoTimestamp("2021-02-30T15:27:06Z"), std::nullopt);
  EXPECT_EQ(ParseIsoTimestamp("2021-03-18 15:27:06"), std::nullopt);
}

}  // namespace
}  // namespace qx
