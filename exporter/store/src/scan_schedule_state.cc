#include "qx/store/scan_schedule_state.h"

#include <string>

#include "qx/store/binary_state.h"
#include "qx/store/state_file.h"

namespace qx {
namespace {

constexpr char kKind[] = "was-scan-schedules-v1";
// Lengths are read one item at a time (a file is checksummed before it is
// read, so a wrong length means a foreign writer): bound them anyway.
constexpr std::uint64_t kMaxItems = 10'000'000;

void WriteIds(BinaryStateWriter& w, const std::vector<std::uint64_t>& ids) {
  w.U64(ids.size());
  for (std::uint64_t id : ids) w.U64(id);
}

std::uint64_t Count(BinaryStateReader& r, const std::filesystem::path& path) {
  const std::uint64_t n = r.U64();
  if (n > kMaxItems) {
    throw StateError("state file " + path.string() + " has an invalid length");
  }
  return n;
}

std::vector<std::uint64_t> ReadIds(BinaryStateReader& r,
                                   const std::filesystem::path& path) {
  const std::uint64_t n = Count(r, path);
  std::vector<std::uint64_t> ids;
  for (std::uint64_t i = 0; i < n; ++i) ids.push_back(r.U64());
  return ids;
}

}  // namespace

void ScanScheduleState::Save(const std::filesystem::path& path) const {
  BinaryStateWriter w(path, kKind);
  w.I64(fetched_at);
  w.U64(schedules.size());
  for (const WasScanSchedule& s : schedules) {
    w.U64(s.id);
    w.Str(s.name);
    w.Str(s.type);
    w.U64((s.active ? 1U : 0U) | (s.invalid ? 2U : 0U) |
          (s.send_mail ? 4U : 0U));
    w.Str(s.occurrence_type);
    w.Str(s.start_date);
    w.Str(s.time_zone);
    w.Str(s.next_launch_date);
    WriteIds(w, s.webapp_ids);
    w.Str(s.included_tags.option);
    WriteIds(w, s.included_tags.tag_ids);
    w.Str(s.excluded_tags.option);
    WriteIds(w, s.excluded_tags.tag_ids);
    w.Str(s.send_mail_from);
  }
  w.U64(webapps.size());
  for (const auto& [id, app] : webapps) {
    w.U64(id);
    w.Str(app.name);
    w.Str(app.url);
    WriteIds(w, app.tag_ids);
  }
  w.Commit();
}

void ScanScheduleState::Load(const std::filesystem::path& path) {
  auto r = BinaryStateReader::Open(path, kKind);
  if (!r) {
    *this = ScanScheduleState{};
    return;
  }
  ScanScheduleState next;
  next.fetched_at = r->I64();
  const std::uint64_t n_schedules = Count(*r, path);
  for (std::uint64_t i = 0; i < n_schedules; ++i) {
    WasScanSchedule& s = next.schedules.emplace_back();
    s.id = r->U64();
    s.name = r->Str();
    s.type = r->Str();
    const std::uint64_t flags = r->U64();
    s.active = (flags & 1U) != 0;
    s.invalid = (flags & 2U) != 0;
    s.send_mail = (flags & 4U) != 0;
    s.occurrence_type = r->Str();
    s.start_date = r->Str();
    s.time_zone = r->Str();
    s.next_launch_date = r->Str();
    s.webapp_ids = ReadIds(*r, path);
    s.included_tags.option = r->Str();
    s.included_tags.tag_ids = ReadIds(*r, path);
    s.excluded_tags.option = r->Str();
    s.excluded_tags.tag_ids = ReadIds(*r, path);
    s.send_mail_from = r->Str();
  }
  const std::uint64_t n_webapps = Count(*r, path);
  for (std::uint64_t i = 0; i < n_webapps; ++i) {
    WebApp app;
    app.id = r->U64();
    app.name = r->Str();
    app.url = r->Str();
    app.tag_ids = ReadIds(*r, path);
    next.webapps[app.id] = std::move(app);
  }
  if (!r->AtEnd()) {
    throw StateError("state file " + path.string() + " has trailing data");
  }
  *this = std::move(next);
}

}  // namespace qx
