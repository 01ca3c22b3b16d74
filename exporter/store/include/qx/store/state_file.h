// Envelope for state files: a header naming the kind and version, the body
// lines, and a trailer with the line count and a checksum, so a foreign,
// truncated or hand-damaged file is rejected with a clear error instead of
// being half-loaded.
#pragma once

#include <charconv>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace qx {

class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string EncodeStateFile(std::string_view kind,
                            const std::vector<std::string>& lines);

// Throws StateError naming the file and what is wrong.
std::vector<std::string> DecodeStateFile(std::string_view kind,
                                         std::string_view content,
                                         const std::string& path_for_errors);

// Loads path (nullopt if absent) or saves it atomically (mode 0600).
std::optional<std::vector<std::string>> LoadStateFile(
    const std::filesystem::path& path, std::string_view kind);
void SaveStateFile(const std::filesystem::path& path, std::string_view kind,
                   const std::vector<std::string>& lines);

// Splits a tab-separated line.
std::vector<std::string_view> SplitTabs(std::string_view line);

// Parses a whole field as a number; false on any stray character.
template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Loads a state file; a corrupt or foreign one is moved aside (kept for
// inspection) and the state starts fresh instead of the exporter crashing.
// Returns the error message, empty when the file loaded (or was absent).
template <typename State>
std::string LoadOrReset(State& state, const std::filesystem::path& path) {
  try {
    state.Load(path);
    return {};
  } catch (const StateError& e) {
    auto aside = path;
    aside += ".corrupt";
    std::error_code ec;
    std::filesystem::rename(path, aside, ec);
    state = State{};
    return std::string(e.what()) +
           "; starting from a fresh baseline (old file " +
           (ec ? "left in place" : "moved to " + aside.string()) + ")";
  }
}

}  // namespace qx
