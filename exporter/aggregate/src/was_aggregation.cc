#include "qx/aggregate/was_aggregation.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "qx/aggregate/family_builder.h"

namespace qx {
namespace {

bool IsOpen(const WasFindingStore::Finding& f) { return f.status != "FIXED"; }

bool TracksRecurrence(const WasFindingStore::Finding& f) {
  return f.category == FindingCategory::kVulnerability ||
         f.category == FindingCategory::kSensitiveContent;
}

std::uint32_t ScansDetected(const WasFindingStore::Finding& f) {
  if (f.has_history) return f.distinct_scans;
  return static_cast<std::uint32_t>(std::max(f.times_detected, 0));
}

std::size_t SeverityIndex(int s) {
  return static_cast<std::size_t>(std::clamp(s, 1, 5));
}

constexpr std::array<double, 6> kScanBuckets = {1, 2, 3, 5, 10, 20};

}  // namespace

bool IsRecurring(const WasFindingStore::Finding& f, std::uint32_t min_scans) {
  if (!TracksRecurrence(f) || !IsOpen(f)) return false;
  return f.status == "REOPENED" || ScansDetected(f) >= min_scans;
}

std::vector<RecurringFinding> FindRecurring(const WasFindingStore& store,
                                            std::uint32_t min_scans) {
  std::vector<RecurringFinding> out;
  for (const auto& [id, f] : store.findings()) {
    if (IsRecurring(f, min_scans)) out.push_back({id, f.severity});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.finding_id < b.finding_id;
  });
  return out;
}

WasAggregation AggregateWasFindings(
    const WasFindingStore& store, const WasAggregationOptions& options,
    const std::array<std::uint64_t, 6>& became_recurring_total) {
  using SevCounts = std::array<std::uint64_t, 6>;
  // (webapp, status, category) -> counts by severity.
  std::map<std::tuple<std::uint64_t, std::string, std::string>, SevCounts>
      findings;
  std::map<std::uint64_t, SevCounts> recurring;
  struct Hist {
    std::array<std::uint64_t, kScanBuckets.size()> le{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::array<Hist, 6> hist{};
  std::map<std::uint64_t, std::int64_t> last_scan;
  std::map<std::pair<std::uint64_t, std::string>, std::set<std::string>> links;
  struct Info {
    int severity;
    std::uint64_t id, qid, webapp;
    const std::string* unique_id;
  };
  std::vector<Info> info;

  for (const auto& [id, f] : store.findings()) {
    auto sev = SeverityIndex(f.severity);
    findings[{f.webapp_id, f.status,
              std::string(FindingCategoryLabel(f.category))}][sev]++;
    recurring.try_emplace(f.webapp_id);
    if (f.last_scan_time > 0) {
      auto& ts = last_scan[f.webapp_id];
      ts = std::max(ts, f.last_scan_time);
    }
    for (const auto& m : f.keyword_matches) {
      auto& set = links[{f.webapp_id, m.regex}];
      set.insert(m.links.begin(), m.links.end());
    }
    if (TracksRecurrence(f) && IsOpen(f)) {
      auto scans = ScansDetected(f);
      auto& h = hist[sev];
      for (std::size_t i = 0; i < kScanBuckets.size(); ++i) {
        if (scans <= kScanBuckets[i]) h.le[i]++;
      }
      h.count++;
      h.sum += scans;
    }
    if (IsRecurring(f, options.recurrence_min_scans)) {
      recurring[f.webapp_id][sev]++;
      if (f.severity >= 3) {
        info.push_back(
            {static_cast<int>(sev), id, f.qid, f.webapp_id, &f.unique_id});
      }
    }
  }

  std::vector<prometheus::MetricFamily> out;
  auto sev_labels = [](Labels labels, FamilyBuilder& b, const SevCounts& c) {
    labels.emplace_back("severity", "");
    for (int s = 1; s <= 5; ++s) {
      labels.back().second = std::to_string(s);
      b.Gauge(labels, static_cast<double>(c[static_cast<std::size_t>(s)]));
    }
  };

  FamilyBuilder f_findings(
      "qualys_was_findings",
      std::string("WAS findings by web app, severity, status and category") +
          kPollNote,
      prometheus::MetricType::Gauge);
  for (const auto& [key, counts] : findings) {
    const auto& [webapp, status, category] = key;
    // Label order matches the contract table: webapp_id, severity, status,
    // category; severity is filled by sev_labels, so build by hand.
    for (int s = 1; s <= 5; ++s) {
      f_findings.Gauge(
          {{"webapp_id", std::to_string(webapp)},
           {"severity", std::to_string(s)},
           {"status", status},
           {"category", category}},
          static_cast<double>(counts[static_cast<std::size_t>(s)]));
    }
  }
  out.push_back(std::move(f_findings).Build());

  FamilyBuilder f_hist(
      "qualys_was_finding_scans_detected",
      std::string("Open VULNERABILITY and SENSITIVE_CONTENT findings by the "
                  "number of distinct scans that detected them") +
          kPollNote,
      prometheus::MetricType::Histogram);
  for (int s = 1; s <= 5; ++s) {
    const auto& h = hist[static_cast<std::size_t>(s)];
    std::vector<std::pair<double, std::uint64_t>> buckets;
    for (std::size_t i = 0; i < kScanBuckets.size(); ++i) {
      buckets.emplace_back(kScanBuckets[i], h.le[i]);
    }
    f_hist.Histogram({{"severity", std::to_string(s)}}, buckets, h.count,
                     h.sum);
  }
  out.push_back(std::move(f_hist).Build());

  FamilyBuilder f_rec(
      "qualys_was_recurring_findings",
      std::string("Open VULNERABILITY and SENSITIVE_CONTENT findings that are "
                  "recurring (REOPENED, or detected in at least "
                  "--recurrence.min-scans scans)") +
          kPollNote,
      prometheus::MetricType::Gauge);
  for (const auto& [webapp, counts] : recurring) {
    sev_labels({{"webapp_id", std::to_string(webapp)}}, f_rec, counts);
  }
  out.push_back(std::move(f_rec).Build());

  FamilyBuilder f_became(
      "qualys_was_findings_became_recurring_total",
      "Findings that turned recurring since the exporter first saw them "
      "(persisted in --state.dir; the first poll sets the baseline)",
      prometheus::MetricType::Counter);
  for (int s = 1; s <= 5; ++s) {
    f_became.Counter({{"severity", std::to_string(s)}},
                     static_cast<double>(
                         became_recurring_total[static_cast<std::size_t>(s)]));
  }
  out.push_back(std::move(f_became).Build());

  // Highest severity first, then newest (highest) id, so the cap keeps what
  // an on-call engineer most needs to see.
  std::sort(info.begin(), info.end(), [](const Info& a, const Info& b) {
    return std::tie(b.severity, b.id) < std::tie(a.severity, a.id);
  });
  WasAggregation result;
  if (info.size() > options.max_finding_series) {
    result.info_series_dropped = info.size() - options.max_finding_series;
    info.resize(options.max_finding_series);
  }
  std::sort(info.begin(), info.end(),
            [](const Info& a, const Info& b) { return a.id < b.id; });
  FamilyBuilder f_info(
      "qualys_was_recurring_finding_info",
      std::string("Recurring open WAS finding of severity >= 3, value 1; "
                  "capped by --was.max-finding-series") +
          kPollNote,
      prometheus::MetricType::Gauge);
  for (const auto& i : info) {
    f_info.Gauge({{"finding_id", std::to_string(i.id)},
                  {"qid", std::to_string(i.qid)},
                  {"webapp_id", std::to_string(i.webapp)},
                  {"severity", std::to_string(i.severity)},
                  {"unique_id", *i.unique_id}},
                 1);
  }
  out.push_back(std::move(f_info).Build());

  FamilyBuilder f_scan(
      "qualys_was_webapp_last_scan_timestamp_seconds",
      std::string("Newest scan launchedDate in the web app's findings' "
                  "history, unix seconds") +
          kPollNote,
      prometheus::MetricType::Gauge);
  for (const auto& [webapp, ts] : last_scan) {
    f_scan.Gauge({{"webapp_id", std::to_string(webapp)}},
                 static_cast<double>(ts));
  }
  out.push_back(std::move(f_scan).Build());

  FamilyBuilder f_links(
      "qualys_was_keyword_links",
      std::string("Unique internal links matching each Keywords URL Search "
                  "regex (QID 150141)") +
          kPollNote,
      prometheus::MetricType::Gauge);
  for (const auto& [key, set] : links) {
    f_links.Gauge(
        {{"webapp_id", std::to_string(key.first)}, {"regex", key.second}},
        static_cast<double>(set.size()));
  }
  out.push_back(std::move(f_links).Build());

  result.families = std::move(out);
  return result;
}

prometheus::MetricFamily AggregateWebAppInfo(
    const std::map<std::uint64_t, WebApp>& webapps) {
  FamilyBuilder f(
      "qualys_was_webapp_info",
      std::string("WAS web application name and URL, value 1") + kPollNote,
      prometheus::MetricType::Gauge);
  for (const auto& [id, app] : webapps) {
    f.Gauge({{"webapp_id", std::to_string(id)},
             {"name", app.name},
             {"url", app.url}},
            1);
  }
  return std::move(f).Build();
}

}  // namespace qx
