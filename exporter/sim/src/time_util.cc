#include "qx/sim/time_util.h"

#include <cstdio>

namespace qx::sim {
namespace {

struct Civil {
  std::int64_t y;
  unsigned m;
  unsigned d;
};

Civil CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {m <= 2 ? y + 1 : y, m, d};
}

bool Digits(std::string_view s, std::size_t pos, std::size_t n, unsigned* out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string FormatIso(Seconds t) {
  std::int64_t days = t / kDay;
  Seconds rem = t % kDay;
  if (rem < 0) {
    rem += kDay;
    --days;
  }
  const Civil c = CivilFromDays(days);
  if (c.y < 0 || c.y > 9999) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(c.y), c.m, c.d,
                  static_cast<long long>(rem / kHour),
                  static_cast<long long>((rem % kHour) / kMinute),
                  static_cast<long long>(rem % kMinute));
    return buf;
  }
  // Hot path (every date of every record): no printf.
  std::string s = "0000-00-00T00:00:00Z";
  auto put2 = [&](std::size_t pos, std::int64_t v) {
    s[pos] = static_cast<char>('0' + v / 10);
    s[pos + 1] = static_cast<char>('0' + v % 10);
  };
  put2(0, c.y / 100);
  put2(2, c.y % 100);
  put2(5, c.m);
  put2(8, c.d);
  put2(11, rem / kHour);
  put2(14, (rem % kHour) / kMinute);
  put2(17, rem % kMinute);
  return s;
}

std::optional<Seconds> ParseIso(std::string_view s) {
  unsigned y, mo, d, h, mi, se;
  if (!Digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' ||
      !Digits(s, 5, 2, &mo) || s[7] != '-' || !Digits(s, 8, 2, &d) ||
      s[10] != 'T' || !Digits(s, 11, 2, &h) || s[13] != ':' ||
      !Digits(s, 14, 2, &mi) || s[16] != ':' || !Digits(s, 17, 2, &se)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  if (pos < s.size() && s[pos] == 'Z') ++pos;
  if (pos != s.size()) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
    return std::nullopt;
  }
  return UtcSeconds(y, mo, d, h, mi, se);
}

}  // namespace qx::sim
