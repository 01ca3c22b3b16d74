// ParseCommandLine, HelpText and VersionText against real gflags flags:
// the test defines its own (standing in for the exporter's) next to the
// log flags command_line.cc defines, and glog's and gflags' own flags are
// registered in this binary too, as in the exporter.
#include "qx/cmd/command_line.h"

#include <gflags/gflags.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

DEFINE_string(web_listen_address, ":9786", "Address to serve on");
DEFINE_string(web_config_file, "", "Web config file");
DEFINE_string(poll_interval, "30m", "Background poll period");
DEFINE_int32(recurrence_min_scans, 2, "Scans that make a finding recurring");
DEFINE_bool(once, false, "Poll once");
DEFINE_string(qualys_username, "", "Qualys user");
DEFINE_string(zzz_unknown_group, "", "A flag of no known group");

namespace qx::cmd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Action = CommandLine::Action;

// The test's flags and the exporter's own (the log flags).
bool Own(const gflags::CommandLineFlagInfo& f) {
  return IsExporterFlag(f) ||
         std::string_view(f.filename).find("command_line_test.cc") !=
             std::string_view::npos;
}

CommandLine Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "qualys-exporter");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), Own);
}

class CommandLineTest : public ::testing::Test {
  gflags::FlagSaver saver_;  // every test starts from the defaults
};

TEST_F(CommandLineTest, RepeatedListenAddressesAddUp) {
  auto cl =
      Parse({"--web.listen-address=127.0.0.1:1", "--once",
             "--web_listen_address", "[::1]:2", "--web-listen-address=:3"});
  ASSERT_EQ(cl.action, Action::kRun) << cl.error;
  EXPECT_EQ(FLAGS_web_listen_address, "127.0.0.1:1,[::1]:2,:3");
  EXPECT_TRUE(FLAGS_once);
}

TEST_F(CommandLineTest, DottedUnderscoreAndDashSpellings) {
  auto cl = Parse({"--web.listen-address=127.0.0.1:1", "--poll_interval=2h",
                   "--recurrence-min-scans", "3", "--log.level=debug",
                   "--log_format=json"});
  ASSERT_EQ(cl.action, Action::kRun) << cl.error;
  EXPECT_EQ(FLAGS_web_listen_address, "127.0.0.1:1");
  EXPECT_EQ(FLAGS_poll_interval, "2h");
  EXPECT_EQ(FLAGS_recurrence_min_scans, 3);
  EXPECT_EQ(cl.log.level, logging::LogLevel::kDebug);
  EXPECT_EQ(cl.log.format, logging::LogFormat::kJson);
  EXPECT_FALSE(gflags::GetCommandLineFlagInfoOrDie("poll_interval").is_default);
  EXPECT_TRUE(
      gflags::GetCommandLineFlagInfoOrDie("web_config_file").is_default);
}

TEST_F(CommandLineTest, Defaults) {
  auto cl = Parse({});
  ASSERT_EQ(cl.action, Action::kRun);
  EXPECT_EQ(cl.log.level, logging::LogLevel::kInfo);
  EXPECT_EQ(cl.log.format, logging::LogFormat::kLogfmt);
}

TEST_F(CommandLineTest, BoolForms) {
  EXPECT_EQ(Parse({"--once"}).action, Action::kRun);
  EXPECT_TRUE(FLAGS_once);
  Parse({"--noonce"});
  EXPECT_FALSE(FLAGS_once);
  Parse({"--once=true", "--no-once"});
  EXPECT_FALSE(FLAGS_once);
  Parse({"-once"});
  EXPECT_TRUE(FLAGS_once);
  auto cl = Parse({"--once=perhaps"});
  EXPECT_EQ(cl.action, Action::kUsageError);
  EXPECT_EQ(cl.error,
            "--once: invalid value 'perhaps' (accepted: true, false)");
}

TEST_F(CommandLineTest, HelpAndVersionWin) {
  EXPECT_EQ(Parse({"--help"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"-h"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"--once", "--version"}).action, Action::kVersion);
}

TEST_F(CommandLineTest, UsageErrorsNameTheFlagAndWhatIsAccepted) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  for (const auto& c : std::vector<Case>{
           {{"--log.levl=debug"},
            "unknown flag --log.levl (did you mean --log.level? "
            "qualys-exporter --help lists the flags)"},
           {{"--bogus"},
            "unknown flag --bogus (qualys-exporter --help lists the flags)"},
           // glog's and gflags' flags are not the exporter's.
           {{"--v=2"},
            "unknown flag --v (qualys-exporter --help lists the flags)"},
           {{"--logtostderr"},
            "unknown flag --logtostderr (qualys-exporter --help lists the "
            "flags)"},
           {{"--flagfile=/etc/passwd"},
            "unknown flag --flagfile (qualys-exporter --help lists the flags)"},
           {{"--log.level=verbose"},
            "--log.level: invalid value 'verbose' (accepted: debug, info, "
            "warn, error)"},
           {{"--log.format=text"},
            "--log.format: invalid value 'text' (accepted: logfmt, json)"},
           {{"--recurrence.min-scans=two"},
            "--recurrence.min-scans: invalid value 'two' (an integer)"},
           {{"--poll.interval=soon"},
            "--poll.interval: invalid value 'soon' (a duration such as 30s, "
            "30m, 24h, 7d or 1h30m)"},
           {{"--web.listen-address"}, "--web.listen-address needs a value"},
           {{"positional"},
            "unexpected argument 'positional' (qualys-exporter takes flags "
            "only)"},
           {{"--", "x"},
            "unexpected argument 'x' (qualys-exporter takes flags only)"},
       }) {
    auto cl = Parse(c.args);
    EXPECT_EQ(cl.action, Action::kUsageError) << c.args[0];
    EXPECT_EQ(cl.error, c.error);
    EXPECT_EQ(cl.error.find('\n'), std::string::npos);
    EXPECT_EQ(Finish(cl, "qualys-exporter"), kExitUsage);
  }
}

TEST_F(CommandLineTest, ValidDurationsPass) {
  for (const char* d : {"30s", "1h30m", "7d", "500ms", "2w"}) {
    auto cl = Parse({std::string("--poll.interval=") + d});
    EXPECT_EQ(cl.action, Action::kRun) << d << ": " << cl.error;
  }
}

TEST(DottedName, PrometheusSpellings) {
  EXPECT_EQ(DottedName("web_listen_address"), "web.listen-address");
  EXPECT_EQ(DottedName("poll_full_resync_interval"),
            "poll.full-resync-interval");
  EXPECT_EQ(DottedName("web_config_file"), "web.config.file");
  EXPECT_EQ(DottedName("once"), "once");
  EXPECT_EQ(DottedName("log_level"), "log.level");
}

TEST(IsExporterFlag, ByDefiningFile) {
  gflags::CommandLineFlagInfo f;
  for (const char* own :
       {"../exporter/cmd/qualys_exporter_main.cc",
        "/src/exporter/cmd/options.cc", "exporter/cmd/command_line.cc"}) {
    f.filename = own;
    EXPECT_TRUE(IsExporterFlag(f)) << own;
  }
  for (const char* other :
       {"./src/logging.cc", "/build/gflags-2.2.2/src/gflags.cc",
        "tests/unit/command_line/command_line_test.cc",
        "/home/qualys-exporter/x.cc"}) {
    f.filename = other;
    EXPECT_FALSE(IsExporterFlag(f)) << other;
  }
}

TEST(HelpText, OwnFlagsGroupedDottedWithDefaults) {
  std::string help = HelpText("qualys-exporter", Own);
  EXPECT_THAT(help, HasSubstr("Usage: qualys-exporter [flags]"));
  EXPECT_THAT(help, HasSubstr("\nWeb server:\n  --web.config.file=VALUE\n"));
  EXPECT_THAT(help, HasSubstr("  --web.listen-address=VALUE  (default "
                              "\":9786\")\n      Address to serve on\n"));
  EXPECT_THAT(help, HasSubstr("  --poll.interval=DURATION  (default \"30m\")"));
  EXPECT_THAT(help, HasSubstr("  --recurrence.min-scans=N  (default 2)"));
  EXPECT_THAT(help, HasSubstr("\nLogging:\n  --log.format=VALUE  (default "
                              "\"logfmt\")"));
  EXPECT_THAT(help, HasSubstr("\nRun modes:\n  --once  (default false)"));
  EXPECT_THAT(help, HasSubstr("\nOther:\n  --zzz.unknown-group=VALUE"));
  EXPECT_THAT(help, HasSubstr("Exit codes:\n  0  success\n  1  "));
  // Groups in their order; Other last.
  EXPECT_LT(help.find("\nPolling and data:"), help.find("\nWeb server:"));
  EXPECT_LT(help.find("\nWeb server:"), help.find("\nLogging:"));
  EXPECT_LT(help.find("\nRun modes:"), help.find("\nOther:"));
  // Nothing of glog or gflags, and no underscore spellings.
  for (const char* foreign :
       {"logtostderr", "minloglevel", "vmodule", "flagfile", "helpfull",
        "tryfromenv", "web_listen_address", "--v="}) {
    EXPECT_THAT(help, Not(HasSubstr(foreign))) << foreign;
  }
  for (const auto& line : [&] {
         std::vector<std::string> lines;
         std::string::size_type start = 0, end;
         while ((end = help.find('\n', start)) != std::string::npos) {
           lines.push_back(help.substr(start, end - start));
           start = end + 1;
         }
         return lines;
       }()) {
    EXPECT_LE(line.size(), 80u) << line;
  }
}

TEST(VersionText, NamesVersionsOfTheLibraries) {
  std::string v = VersionText();
  EXPECT_THAT(v, ::testing::StartsWith("qualys-exporter "));
  for (const char* what : {"revision:", "build date:", "compiler:", "Poco:",
                           "prometheus-cpp:", "gflags:", "glog:"}) {
    EXPECT_THAT(v, HasSubstr(what));
  }
  EXPECT_THAT(v, HasSubstr("Poco:           1."));
  EXPECT_THAT(v, Not(HasSubstr("unknown")));
}

}  // namespace
}  // namespace qx::cmd
