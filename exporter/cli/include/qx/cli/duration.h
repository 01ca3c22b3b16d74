// Prometheus-style durations: 300ms, 30s, 30m, 24h, 7d, 1h30m.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace qx {

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace qx
