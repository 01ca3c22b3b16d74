#include "qx/store/was_finding_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "qx/records/timestamp.h"
#include "qx/store/binary_state.h"
#include "qx/store/state_file.h"

namespace qx {

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

namespace {
constexpr char kKind[] = "was-finding-store-v1";
}  // namespace

void WasFindingStore::Save(const std::filesystem::path& path) const {
  BinaryStateWriter w(path, kKind);
  w.U64(webapps_.size());
  for (const auto& [id, app] : webapps_) {
    w.U64(id);
    w.Str(app.name);
    w.Str(app.url);
  }
  w.U64(findings_.size());
  for (const auto& [id, f] : findings_) {
    w.U64(id);
    w.U64(f.qid);
    w.U64(f.webapp_id);
    w.Str(f.unique_id);
    w.U64(static_cast<std::uint64_t>(f.category));
    w.I64(f.severity);
    w.Str(f.status);
    w.U64(f.distinct_scans);
    w.U64(f.has_history ? 1 : 0);
    w.I64(f.times_detected);
    w.I64(f.last_scan_time);
    w.U64(f.keyword_matches.size());
    for (const auto& m : f.keyword_matches) {
      w.Str(m.regex);
      w.U64(m.links.size());
      for (const auto& l : m.links) w.Str(l);
    }
  }
  w.Commit();
}

bool WasFindingStore::Load(const std::filesystem::path& path) {
  auto r = BinaryStateReader::Open(path, kKind);
  if (!r) return false;
  auto bad = [&] {
    return StateError("state file " + path.string() +
                      " has an invalid finding");
  };
  WasFindingStore next;
  auto n_apps = r->U64();
  for (std::uint64_t i = 0; i < n_apps; ++i) {
    auto id = r->U64();
    WebApp app;
    app.name = r->Str();
    app.url = r->Str();
    next.webapps_.emplace(id, std::move(app));
  }
  auto n = r->U64();
  next.findings_.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    auto id = r->U64();
    Finding f;
    f.qid = r->U64();
    f.webapp_id = r->U64();
    f.unique_id = r->Str();
    auto cat = r->U64();
    if (cat >
        static_cast<std::uint64_t>(FindingCategory::kInformationGathered)) {
      throw bad();
    }
    f.category = static_cast<FindingCategory>(cat);
    f.severity = static_cast<int>(r->I64());
    f.status = r->Str();
    f.distinct_scans = static_cast<std::uint32_t>(r->U64());
    f.has_history = r->U64() != 0;
    f.times_detected = static_cast<int>(r->I64());
    f.last_scan_time = r->I64();
    auto n_matches = r->U64();
    if (n_matches > 10'000) throw bad();
    for (std::uint64_t j = 0; j < n_matches; ++j) {
      KeywordMatch m;
      m.regex = r->Str();
      auto n_links = r->U64();
      if (n_links > 10'000'000) throw bad();
      for (std::uint64_t k = 0; k < n_links; ++k) m.links.push_back(r->Str());
      f.keyword_matches.push_back(std::move(m));
    }
    next.findings_.emplace(id, std::move(f));
  }
  if (!r->AtEnd()) throw bad();
  *this = std::move(next);
  return true;
}

}  // namespace qx
