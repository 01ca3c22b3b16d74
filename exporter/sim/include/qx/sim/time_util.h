// UTC timestamps in the Qualys API format (YYYY-MM-DDTHH:MM:SSZ), without
// the thread-unsafe C library time functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qx::sim {

using Seconds = std::int64_t;  // seconds since the Unix epoch, UTC

constexpr Seconds kMinute = 60;
constexpr Seconds kHour = 3600;
constexpr Seconds kDay = 86400;

// Days since 1970-01-01 of a proleptic Gregorian date.
constexpr std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr Seconds UtcSeconds(std::int64_t y, unsigned mo, unsigned d,
                             unsigned h = 0, unsigned mi = 0, unsigned s = 0) {
  return DaysFromCivil(y, mo, d) * kDay + h * kHour + mi * kMinute + s;
}

// The simulated clock. Epoch 0's "now" is the time base (by default the wall
// clock when the simulator starts); the data before it is history. Each
// Advance() is a moment T(e) (the wall clock at that call, or time base +
// e days with a fixed time base); the changes it makes are stamped within
// (T(e), T(e) + kStampSpread], never before the moment of the call, so an
// incremental "updated GREATER <time of an earlier poll>" always sees them.
// epoch_times[e] is T(e); epoch_times.size() - 1 is the current epoch.
constexpr Seconds kStampSpread = 5;

// "2021-02-19T18:13:41Z"
std::string FormatIso(Seconds t);
// Strict "YYYY-MM-DDTHH:MM:SSZ" (also accepts a trailing ".sss" before Z and
// a missing Z). nullopt when malformed.
std::optional<Seconds> ParseIso(std::string_view text);

}  // namespace qx::sim
