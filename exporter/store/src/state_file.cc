#include "qx/store/state_file.h"

#include <cstdint>
#include <cstdio>

#include "qx/store/atomic_file.h"

namespace qx {
namespace {

constexpr std::string_view kMagic = "qualys-exporter-state";
constexpr std::string_view kVersion = "v1";

std::uint64_t Fnv1a(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string Hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto tab = line.find('\t', start);
    out.push_back(line.substr(start, tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return out;
}

std::string EncodeStateFile(std::string_view kind,
                            const std::vector<std::string>& lines) {
  std::string out;
  out.append(kMagic).append(" ").append(kind).append(" ").append(kVersion);
  out += '\n';
  std::uint64_t h = 14695981039346656037ULL;
  for (const auto& l : lines) {
    out += l;
    out += '\n';
    h = Fnv1a(h, l);
    h = Fnv1a(h, "\n");
  }
  out += "end " + std::to_string(lines.size()) + " " + Hex(h) + "\n";
  return out;
}

std::vector<std::string> DecodeStateFile(std::string_view kind,
                                         std::string_view content,
                                         const std::string& path) {
  std::vector<std::string_view> raw;
  std::size_t start = 0;
  while (start < content.size()) {
    auto nl = content.find('\n', start);
    if (nl == std::string_view::npos) {
      throw StateError("state file " + path +
                       " is truncated (last line has no newline)");
    }
    raw.push_back(content.substr(start, nl - start));
    start = nl + 1;
  }
  std::string header = std::string(kMagic) + " " + std::string(kind) + " " +
                       std::string(kVersion);
  if (raw.empty() || raw.front() != header) {
    throw StateError("state file " + path + " is not a '" + std::string(kind) +
                     "' state file of this version (expected header '" +
                     header + "')");
  }
  if (raw.size() < 2 || raw.back().substr(0, 4) != "end ") {
    throw StateError("state file " + path + " is truncated (no end marker)");
  }
  std::vector<std::string> lines;
  std::uint64_t h = 14695981039346656037ULL;
  for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
    lines.emplace_back(raw[i]);
    h = Fnv1a(h, raw[i]);
    h = Fnv1a(h, "\n");
  }
  std::string trailer = "end " + std::to_string(lines.size()) + " " + Hex(h);
  if (raw.back() != trailer) {
    throw StateError("state file " + path +
                     " is corrupt (line count or checksum mismatch)");
  }
  return lines;
}

std::optional<std::vector<std::string>> LoadStateFile(
    const std::filesystem::path& path, std::string_view kind) {
  auto content = ReadFileIfExists(path);
  if (!content) return std::nullopt;
  return DecodeStateFile(kind, *content, path.string());
}

void SaveStateFile(const std::filesystem::path& path, std::string_view kind,
                   const std::vector<std::string>& lines) {
  WriteFileAtomically(path, EncodeStateFile(kind, lines));
}

}  // namespace qx
