// Parsing the command line (command_line.h); the help and version texts
// are in command_line_help.cc.
#include "qx/cmd/command_line.h"

#include <algorithm>
#include <optional>
#include <regex>

DEFINE_string(log_level, "info",
              "Least severe records logged: debug, info, warn or error");
DEFINE_string(log_format, "logfmt",
              "Log line format on stderr, one record per line: logfmt or json");

namespace qx::cmd {
namespace {

constexpr std::string_view kLevels = "debug, info, warn, error";
constexpr std::string_view kFormats = "logfmt, json";

std::string GflagsName(std::string_view spelled) {
  std::string name(spelled);
  std::replace(name.begin(), name.end(), '.', '_');
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string TypeError(const gflags::CommandLineFlagInfo& f,
                      std::string_view value) {
  std::string what = "--" + DottedName(f.name) + ": invalid value '" +
                     std::string(value) + "'";
  if (f.type == "bool") return what + " (accepted: true, false)";
  if (f.type == "int32" || f.type == "int64") return what + " (an integer)";
  if (f.type == "uint32" || f.type == "uint64") {
    return what + " (a non-negative integer)";
  }
  if (f.type == "double") return what + " (a number)";
  return what;
}

// Checks the values gflags accepts as strings but the exporter does not.
std::optional<std::string> ValueError(const gflags::CommandLineFlagInfo& f,
                                      const std::string& value) {
  std::string flag = "--" + DottedName(f.name);
  if (f.name == "log_level" && !logging::ParseLogLevel(value)) {
    return flag + ": invalid value '" + value +
           "' (accepted: " + std::string(kLevels) + ")";
  }
  if (f.name == "log_format" && !logging::ParseLogFormat(value)) {
    return flag + ": invalid value '" + value +
           "' (accepted: " + std::string(kFormats) + ")";
  }
  // A string flag whose default is a duration takes only durations.
  if (f.type == "string" && IsDuration(f.default_value) && !IsDuration(value)) {
    return flag + ": invalid value '" + value +
           "' (a duration such as 30s, 30m, 24h, 7d or 1h30m)";
  }
  return std::nullopt;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean --log.level?)" for a near miss, else "".
std::string Suggestion(const std::string& name, const FlagFilter& own) {
  std::string best;
  std::size_t best_distance = 3;  // at most two edits away
  for (const auto& f : OwnFlags(own)) {
    std::size_t d = EditDistance(name, f.name);
    if (d < best_distance) {
      best_distance = d;
      best = f.name;
    }
  }
  return best.empty() ? "" : "did you mean --" + DottedName(best) + "? ";
}

}  // namespace

std::vector<gflags::CommandLineFlagInfo> OwnFlags(const FlagFilter& own) {
  std::vector<gflags::CommandLineFlagInfo> all, out;
  gflags::GetAllFlags(&all);
  for (auto& f : all) {
    if (own(f)) out.push_back(std::move(f));
  }
  return out;
}

// Prometheus durations: 300ms, 30s, 30m, 24h, 7d, 1w, 1h30m.
bool IsDuration(std::string_view text) {
  static const std::regex re("([0-9]+(ms|s|m|h|d|w|y))+");
  return std::regex_match(text.begin(), text.end(), re);
}

bool IsExporterFlag(const gflags::CommandLineFlagInfo& flag) {
  std::string_view file = flag.filename;
  for (std::size_t at = file.find("exporter/"); at != std::string_view::npos;
       at = file.find("exporter/", at + 1)) {
    if (at == 0 || file[at - 1] == '/') return true;
  }
  return false;
}

std::string DottedName(std::string_view flag_name) {
  // exporter-toolkit's spelling, where the rule below would give
  // web.config-file.
  if (flag_name == "web_config_file") return "web.config.file";
  std::string out(flag_name);
  auto first = out.find('_');
  if (first == std::string::npos) return out;
  out[first] = '.';
  std::replace(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), '_',
               '-');
  return out;
}

CommandLine ParseCommandLine(int argc, char** argv, const FlagFilter& own) {
  CommandLine result;
  auto usage_error = [&](std::string message) {
    result.action = CommandLine::Action::kUsageError;
    result.error = std::move(message);
    return result;
  };
  gflags::SetArgv(argc, const_cast<const char**>(argv));
  std::string seen_listen;  // --web.listen-address occurrences so far
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      if (i + 1 < argc) {
        return usage_error("unexpected argument '" + std::string(argv[i + 1]) +
                           "' (qualys-exporter takes flags only)");
      }
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      return usage_error("unexpected argument '" + std::string(arg) +
                         "' (qualys-exporter takes flags only)");
    }
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    auto eq = arg.find('=');
    std::string spelled(arg.substr(0, eq));
    std::optional<std::string> value;
    if (eq != std::string_view::npos) value = std::string(arg.substr(eq + 1));
    std::string name = GflagsName(spelled);

    if (name == "help" || name == "h") {
      result.action = CommandLine::Action::kHelp;
      return result;
    }
    if (name == "version") {
      result.action = CommandLine::Action::kVersion;
      return result;
    }

    gflags::CommandLineFlagInfo info;
    bool found =
        gflags::GetCommandLineFlagInfo(name.c_str(), &info) && own(info);
    bool negated = false;
    if (!found && !value && name.starts_with("no")) {
      // --noonce (gflags) or --no-once (kingpin)
      std::string positive = name.substr(name.starts_with("no_") ? 3 : 2);
      if (gflags::GetCommandLineFlagInfo(positive.c_str(), &info) &&
          own(info) && info.type == "bool") {
        found = negated = true;
        name = positive;
      }
    }
    if (!found) {
      return usage_error("unknown flag --" + spelled + " (" +
                         Suggestion(name, own) +
                         "qualys-exporter --help lists the flags)");
    }
    if (negated) {
      value = "false";
    } else if (!value) {
      if (info.type == "bool") {
        value = "true";
      } else if (i + 1 < argc &&
                 !std::string_view(argv[i + 1]).starts_with("--")) {
        value = argv[++i];  // --name value; a following flag is no value
      } else {
        return usage_error("--" + DottedName(name) + " needs a value");
      }
    }
    if (auto error = ValueError(info, *value)) return usage_error(*error);
    // --web.listen-address is repeatable: the occurrences add up.
    if (name == "web_listen_address" && !seen_listen.empty()) {
      seen_listen += "," + *value;
      value = seen_listen;
    } else if (name == "web_listen_address") {
      seen_listen = *value;
    }
    if (gflags::SetCommandLineOption(name.c_str(), value->c_str()).empty()) {
      return usage_error(TypeError(info, *value));
    }
  }
  // Both flags are valid here: ValueError checked them, or they are the
  // defaults.
  result.log.level = logging::ParseLogLevel(FLAGS_log_level)
                         .value_or(logging::LogLevel::kInfo);
  result.log.format = logging::ParseLogFormat(FLAGS_log_format)
                          .value_or(logging::LogFormat::kLogfmt);
  return result;
}

}  // namespace qx::cmd
