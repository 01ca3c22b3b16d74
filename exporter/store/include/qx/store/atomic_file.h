// Crash-safe state files: write to a temp file in the same directory, fsync,
// rename over the target, fsync the directory. A kill -9 at any moment
// leaves either the old or the new file, never a torn one. Chosen over
// SQLite because state is small, rewritten whole each poll, and a plain
// text file is easy to inspect and back up.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace qx {

// Writes content atomically with mode 0600. Throws std::runtime_error naming
// the path on failure.
void WriteFileAtomically(const std::filesystem::path& path,
                         std::string_view content);

// nullopt when the file does not exist; throws on other read errors.
std::optional<std::string> ReadFileIfExists(const std::filesystem::path& path);

// Creates the directory (0700) if needed; throws with a clear message.
void EnsureStateDir(const std::filesystem::path& dir);

}  // namespace qx
