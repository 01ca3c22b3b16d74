#include "qx/store/was_finding_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace qx {

std::optional<std::int64_t> ParseIsoTimestamp(std::string_view t) {
  // 2021-03-18T15:27:06Z (fraction optional)
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' ||
      t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    auto [p, ec] = std::from_chars(t.data() + pos, t.data() + pos + len, out);
    return ec == std::errc() && p == t.data() + pos + len;
  };
  int y, mo, d, h, mi, s;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) ||
      !num(14, 2, mi) || !num(17, 2, s)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (t[pos] == '.') {
    ++pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
  }
  if (pos != t.size() - 1 || t[pos] != 'Z') return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                     day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  auto days = sys_days(ymd).time_since_epoch().count();
  return static_cast<std::int64_t>(days) * 86400 + h * 3600 + mi * 60 + s;
}

void WasFindingStore::Upsert(WasFinding&& f) {
  Finding out;
  out.qid = f.qid;
  out.webapp_id = f.webapp_id;
  out.unique_id = std::move(f.unique_id);
  out.category = f.category;
  out.severity = f.severity;
  out.status = std::move(f.status);
  out.times_detected = f.times_detected;
  out.has_history = !f.history.empty();
  std::vector<std::uint64_t> scans;
  scans.reserve(f.history.size());
  for (const auto& h : f.history) {
    scans.push_back(h.id);
    if (auto ts = ParseIsoTimestamp(h.launched_date)) {
      out.last_scan_time = std::max(out.last_scan_time, *ts);
    }
  }
  std::sort(scans.begin(), scans.end());
  out.distinct_scans = static_cast<std::uint32_t>(
      std::unique(scans.begin(), scans.end()) - scans.begin());
  out.keyword_matches = std::move(f.keyword_matches);
  if (f.webapp_id != 0) {
    auto& app = webapps_[f.webapp_id];
    if (!f.webapp_name.empty()) app.name = std::move(f.webapp_name);
    if (!f.webapp_url.empty()) app.url = std::move(f.webapp_url);
  }
  findings_[f.id] = std::move(out);
}

void WasFindingStore::Clear() {
  findings_.clear();
  webapps_.clear();
}

}  // namespace qx
