// The API's timestamps: YYYY-MM-DDTHH:MM:SS[.fff]Z, always UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qx {

// Unix seconds (a fraction is dropped); nullopt if `text` is not one.
std::optional<std::int64_t> ParseIsoTimestamp(std::string_view text);

// 2021-03-18T15:27:06Z
std::string FormatIsoTimestamp(std::int64_t unix_seconds);

}  // namespace qx
