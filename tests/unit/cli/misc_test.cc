#include <gtest/gtest.h>

#include "qx/cli/duration.h"
#include "qx/cli/flag_spelling.h"
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

TEST(FlagSpelling, DotsAndDashesInNamesOnly) {
  const char* in[] = {"prog",
                      "--web.listen-address=:9786",
                      "--poll.interval",
                      "5m",
                      "--qualys.url=https://a.b/c-d.e",
                      "-once",
                      "--",
                      "--x.y"};
  auto out = NormalizeFlagSpelling(8, const_cast<char**>(in));
  EXPECT_EQ(out[1], "--web_listen_address=:9786");
  EXPECT_EQ(out[2], "--poll_interval");
  EXPECT_EQ(out[3], "5m");
  EXPECT_EQ(out[4], "--qualys_url=https://a.b/c-d.e");
  EXPECT_EQ(out[5], "-once");
  EXPECT_EQ(out[7], "--x.y");
}

TEST(FlagSpelling, RepeatedListenAddressesAreJoined) {
  std::vector<std::string> args = {"prog",
                                   "--web_listen_address=127.0.0.1:1",
                                   "--once",
                                   "--web_listen_address",
                                   "[::1]:2",
                                   "-web_listen_address=:3",
                                   "--web_listen_address_x=4",
                                   "--",
                                   "--web_listen_address=5"};
  JoinRepeatedFlag(args, "web_listen_address");
  EXPECT_EQ(args,
            (std::vector<std::string>{
                "prog", "--web_listen_address=127.0.0.1:1,[::1]:2,:3", "--once",
                "--web_listen_address_x=4", "--", "--web_listen_address=5"}));
  std::vector<std::string> none = {"prog", "--once"};
  JoinRepeatedFlag(none, "web_listen_address");
  EXPECT_EQ(none, (std::vector<std::string>{"prog", "--once"}));
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
