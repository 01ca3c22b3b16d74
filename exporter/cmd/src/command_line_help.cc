// --help, --version and the start-up log records (command_line.h).
#include <Poco/Environment.h>
#include <Poco/Version.h>
#include <glog/logging.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include "qx/cmd/command_line.h"
#include "qx/logging/log_fields.h"

// Build facts, set by CMake; defaults keep the file compilable alone.
#ifndef QX_VERSION
#define QX_VERSION "unknown"
#endif
#ifndef QX_REVISION
#define QX_REVISION "unknown"
#endif
#ifndef QX_BUILD_DATE
#define QX_BUILD_DATE "unknown"
#endif
#ifndef QX_PROMETHEUS_CPP_VERSION
#define QX_PROMETHEUS_CPP_VERSION "unknown"
#endif
#ifndef QX_GFLAGS_VERSION
#define QX_GFLAGS_VERSION "unknown"
#endif
#ifndef QX_GLOG_VERSION
#define QX_GLOG_VERSION "unknown"
#endif

namespace qx::cmd {
namespace {

// --help groups, by the flag name's first word, in print order. Flags with
// a first word not listed here go to "Other".
struct Group {
  std::string_view title;
  std::vector<std::string_view> prefixes;
};
const std::vector<Group>& Groups() {
  static const std::vector<Group> groups = {
      {"Qualys API", {"qualys", "api"}},
      {"Polling and data",
       {"poll", "sync", "hostasset", "detection", "was", "kb", "recurrence",
        "coverage"}},
      {"Web server", {"web"}},
      {"State", {"state"}},
      {"Logging", {"log"}},
      {"Run modes", {"once", "demo", "check"}},
  };
  return groups;
}

std::string_view GroupOf(std::string_view name) {
  std::string_view first = name.substr(0, name.find('_'));
  for (const auto& g : Groups()) {
    if (std::find(g.prefixes.begin(), g.prefixes.end(), first) !=
        g.prefixes.end()) {
      return g.title;
    }
  }
  return "Other";
}

std::string Wrapped(std::string_view text, std::size_t indent,
                    std::size_t width) {
  std::string out, line;
  std::istringstream words{std::string(text)};
  std::string word;
  std::string pad(indent, ' ');
  while (words >> word) {
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      out += pad + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += pad + line + "\n";
  return out;
}

bool IsSecretName(std::string_view name) {
  bool secret_word = name.find("password") != std::string_view::npos ||
                     name.find("username") != std::string_view::npos ||
                     name.find("secret") != std::string_view::npos ||
                     name.find("token") != std::string_view::npos;
  bool file = name.size() >= 5 && name.substr(name.size() - 5) == "_file";
  return secret_word && !file;  // a file's path is no secret
}

std::string PocoVersion(unsigned v) {
  return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xFF) +
         "." + std::to_string((v >> 8) & 0xFF);
}

}  // namespace

std::string HelpText(std::string_view program, const FlagFilter& own) {
  std::map<std::string_view, std::vector<gflags::CommandLineFlagInfo>> groups;
  for (auto& f : OwnFlags(own)) groups[GroupOf(f.name)].push_back(f);

  std::string out = "Usage: " + std::string(program) + " [flags]\n\n";
  out += Wrapped(
      "Prometheus exporter for the Qualys API: host assets (with Azure "
      "network placement), host vulnerabilities and WAS findings. Polls in "
      "the background and serves the last snapshot on /metrics.",
      0, 78);
  out +=
      "\nFlags also take the spellings --name_with_underscores and "
      "--name-with-dashes;\nbool flags take --no-name.\n";

  auto print_group = [&](std::string_view title,
                         std::vector<gflags::CommandLineFlagInfo>& flags) {
    if (flags.empty()) return;
    std::sort(flags.begin(), flags.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    out += "\n" + std::string(title) + ":\n";
    for (const auto& f : flags) {
      std::string head = "  --" + DottedName(f.name);
      if (f.type == "string") {
        head += IsDuration(f.default_value) ? "=DURATION" : "=VALUE";
      } else if (f.type != "bool") {
        head += "=N";
      }
      if (f.type == "string") {
        if (!f.default_value.empty()) {
          head += "  (default \"" + f.default_value + "\")";
        }
      } else {
        head += "  (default " + f.default_value + ")";
      }
      out += head + "\n" + Wrapped(f.description, 6, 78);
    }
  };
  for (const auto& g : Groups()) print_group(g.title, groups[g.title]);
  print_group("Other", groups["Other"]);
  out +=
      "  --help\n"
      "      Print this help and exit 0\n"
      "  --version\n"
      "      Print version, revision, build date, compiler and library\n"
      "      versions and exit 0\n";

  out +=
      "\nEnvironment:\n"
      "  QUALYS_USERNAME, QUALYS_PASSWORD  Qualys API credentials (never on "
      "the\n"
      "                                    command line)\n"
      "  QUALYS_URL                        API server, when --qualys.url is "
      "not given\n"
      "\nExit codes:\n"
      "  0  success\n"
      "  1  a failed poll in --once, or a failed --check\n"
      "  2  bad usage or configuration (unknown flag, bad value, missing\n"
      "     credentials, unreadable web config)\n";
  return out;
}

std::string VersionText() {
  std::string compiler =
#if defined(__clang__)
      "clang " __clang_version__;
#elif defined(__GNUC__)
      "GCC " __VERSION__;
#else
      "unknown";
#endif
  std::string out = "qualys-exporter " QX_VERSION "\n";
  out += "  revision:       " QX_REVISION "\n";
  out += "  build date:     " QX_BUILD_DATE "\n";
  out += "  compiler:       " + compiler + "\n";
  out += "  Poco:           " + PocoVersion(POCO_VERSION) + " (runtime " +
         PocoVersion(Poco::Environment::libraryVersion()) + ")\n";
  out += "  prometheus-cpp: " QX_PROMETHEUS_CPP_VERSION "\n";
  out += "  gflags:         " QX_GFLAGS_VERSION "\n";
  out += "  glog:           " QX_GLOG_VERSION "\n";
  return out;
}

int Finish(const CommandLine& command_line, std::string_view program) {
  program = program.substr(program.find_last_of('/') + 1);
  switch (command_line.action) {
    case CommandLine::Action::kHelp:
      std::cout << HelpText(program) << std::flush;
      return kExitOk;
    case CommandLine::Action::kVersion:
      std::cout << VersionText() << std::flush;
      return kExitOk;
    case CommandLine::Action::kUsageError:
      std::cerr << "qualys-exporter: " << command_line.error << "\n"
                << std::flush;
      return kExitUsage;
    case CommandLine::Action::kRun:
      break;
  }
  return kExitOk;
}

void LogStartup(
    const std::vector<std::pair<std::string, std::string>>& overrides,
    const FlagFilter& own) {
  LOG(INFO) << "starting qualys-exporter" << kv("version", QX_VERSION)
            << kv("revision", QX_REVISION) << kv("build_date", QX_BUILD_DATE);
  // Numbers and bools stay bare in JSON.
  std::map<std::string, LogField> config;
  for (const auto& f : OwnFlags(own)) {
    std::string value = f.current_value;
    bool bare = f.type != "string";
    if (IsSecretName(f.name) && !value.empty()) {
      value = "<redacted>";
      bare = false;
    }
    std::string key = DottedName(f.name);
    config.insert_or_assign(key, LogField(key, value, bare));
  }
  for (const auto& [key, value] : overrides) {
    config.insert_or_assign(key, kv(key, value));
  }
  google::LogMessage message(__FILE__, __LINE__, google::GLOG_INFO);
  message.stream() << "configuration";
  for (const auto& [key, field] : config) message.stream() << field;
}

}  // namespace qx::cmd
