// qualys-exporter's command line on top of gflags: the Prometheus spellings
// (--web.listen-address; underscores and dashes work too), --help listing
// only the exporter's own flags, grouped, --version, and usage errors as one
// line with exit code 2 instead of gflags' exit 1.
#pragma once

#include <gflags/gflags.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qx/logging/log_sink.h"

namespace qx::cmd {

// Exit codes (README, "Operating").
inline constexpr int kExitOk = 0;
inline constexpr int kExitPollFailed = 1;  // --once or --check failed
inline constexpr int kExitUsage = 2;       // bad usage or configuration

// Which gflags flags belong to the exporter (and not to gflags or glog).
using FlagFilter = std::function<bool(const gflags::CommandLineFlagInfo&)>;

// True for flags defined in the project's sources (a path with an
// "exporter/" directory), false for gflags' and glog's own.
bool IsExporterFlag(const gflags::CommandLineFlagInfo& flag);

// The exporter's flags (own() true), as gflags lists them.
std::vector<gflags::CommandLineFlagInfo> OwnFlags(const FlagFilter& own);

// A Prometheus duration: 300ms, 30s, 30m, 24h, 7d, 1w, 1h30m.
bool IsDuration(std::string_view text);

// web_listen_address -> web.listen-address: the first underscore becomes a
// dot, the others dashes (web_config_file is web.config.file, as in
// exporter-toolkit).
std::string DottedName(std::string_view flag_name);

struct CommandLine {
  enum class Action { kRun, kHelp, kVersion, kUsageError };
  Action action = Action::kRun;
  std::string error;  // kUsageError: one line naming the flag
  logging::LogOptions log;
};

// Sets the exporter's flags from argv with gflags::SetCommandLineOption.
// Accepts --name=value, --name value (non-bool flags), --name, --noname and
// --no-name (bool flags). Anything else (an unknown or foreign flag, a value
// gflags cannot parse, a bad --log.level / --log.format, a duration flag
// that is no duration, a positional argument) is a usage error.
CommandLine ParseCommandLine(int argc, char** argv,
                             const FlagFilter& own = IsExporterFlag);

// The --help text: usage, then the own flags by group in dotted spelling
// with their defaults, then environment variables and exit codes.
std::string HelpText(std::string_view program,
                     const FlagFilter& own = IsExporterFlag);

// The --version text: version, revision, build date, compiler, and the
// versions of Poco, prometheus-cpp, gflags and glog.
std::string VersionText();

// Handles the actions other than kRun: prints help or version on stdout, or
// the error (and a hint) on stderr; returns the exit code.
int Finish(const CommandLine& command_line, std::string_view program);

// Logs the version and the effective configuration (every own flag, in
// dotted spelling, credentials redacted) once at start; overrides replace
// or add entries (e.g. {"qualys.url", the URL resolved from the
// environment}).
void LogStartup(
    const std::vector<std::pair<std::string, std::string>>& overrides = {},
    const FlagFilter& own = IsExporterFlag);

}  // namespace qx::cmd
