// WAS findings: sync them, update which findings turned recurring (durable
// baseline), publish the WAS families. Then the web apps and their scan
// schedules: which web apps no active vulnerability schedule covers, and the
// name and URL of every web app (also those without findings). After a
// restart, the stored findings and schedules are published before the first
// poll.
#include <glog/logging.h>

#include "qx/aggregate/schedule_aggregation.h"
#include "qx/aggregate/was_aggregation.h"
#include "qx/client/qps_search.h"
#include "qx/sources/run_sync.h"
#include "qx/sources/sources.h"
#include "qx/store/recurrence_state.h"
#include "qx/store/scan_schedule_state.h"
#include "qx/store/state_file.h"
#include "qx/store/was_finding_store.h"

namespace qx {
namespace {

constexpr char kRecurrenceFile[] = "was_recurrence.state";
constexpr char kScheduleFile[] = "was_scan_schedules.state";
constexpr char kWebAppInfoKey[] = "was_webapps";
// Changed-since fields. updatedDate is stamped when Qualys processes a
// change; lastTestedDate is the scan's time, hours before the results are
// processed and searchable, so it needs the processing-lag overlap.
constexpr char kUpdatedDate[] = "updatedDate";
constexpr char kLastTestedDate[] = "lastTestedDate";

class WasFindingFeed final : public Feed<WasFindingStore> {
 public:
  WasFindingFeed(QualysClient& client, const SourceOptions& options)
      : client_(client), options_(options) {}

  std::string_view name() const override { return kWasFindingSource; }
  std::string_view search_path() const override {
    return kWasFindingSearchPath;
  }
  std::vector<ChangeField> change_fields() const override {
    return {{kUpdatedDate}, {kLastTestedDate, /*lag_prone=*/true}};
  }
  std::optional<std::uint64_t> Count() override {
    return CountForProgress(client_, kWasFindingCountPath, kWasFindingSource);
  }
  SearchProgress Walk(const WalkRequest& walk, WasFindingStore& into,
                      ChangeStamps& stamps, const PageHook& on_page) override {
    QpsSearchRequest req =
        QpsWalkRequest(walk, kWasFindingSearchPath, kWasFindingSource,
                       options_.was_page_size, options_.min_page_size);
    // History (recurrence) and payloads (QID 150141) come only with
    // verbose; limitHistories keeps the pages a gateway can build.
    req.verbose = true;
    if (options_.was_limit_histories > 0) {
      req.limit_histories = options_.was_limit_histories;
    }
    return SearchWasFindings(
        client_, req,
        [&](WasFinding&& f) {
          stamps.Saw(kUpdatedDate, f.updated_date);
          stamps.Saw(kLastTestedDate, f.last_tested_date);
          into.Upsert(std::move(f));
        },
        on_page);
  }

 private:
  QualysClient& client_;
  const SourceOptions& options_;
};

class WasFindingSource final : public Source {
 public:
  WasFindingSource(std::shared_ptr<QualysClient> client, SourceOptions options,
                   Clock clock)
      : client_(std::move(client)),
        options_(std::move(options)),
        feed_(*client_, options_),
        sync_(feed_, options_.sync, std::move(clock)) {
    if (auto error = LoadOrReset(recurrence_, RecurrencePath());
        !error.empty()) {
      LOG(ERROR) << error;
    }
    if (auto error = LoadOrReset(schedules_, SchedulePath()); !error.empty()) {
      LOG(ERROR) << error;
    }
    LOG(INFO) << "recurrence state: "
              << (recurrence_.has_baseline()
                      ? std::to_string(recurrence_.known_recurring()) +
                            " known recurring findings"
                      : std::string("no baseline yet"));
  }

  std::vector<std::string> names() const override {
    return {kWasFindingSource, kWasScanScheduleSource};
  }

  void Restore(PollContext& context) override {
    const auto synced = sync_.synced_at();
    if (synced) {
      PublishFindings(context);
      context.Restored(kWasFindingSource, static_cast<double>(*synced));
    }
    if (schedules_.fetched_at > 0) {
      PublishSchedules(context);
      context.Restored(kWasScanScheduleSource,
                       static_cast<double>(schedules_.fetched_at));
    }
    if (synced || schedules_.fetched_at > 0) PublishWebApps(context);
  }

  void Poll(PollContext& context) override {
    context.Step(kWasFindingSource, [&] {
      RunSync(sync_, feed_, *client_, context, options_);
      TrackRecurrence(sync_.store());
      PublishFindings(context);
      PublishWebApps(context);
      // Published, but the counter would restart from the baseline after a
      // restart: report it.
      recurrence_.Save(RecurrencePath());
    });
    context.Step(kWasScanScheduleSource, [&] { PollSchedules(context); });
  }

 private:
  std::filesystem::path RecurrencePath() const {
    return options_.sync.state_dir / kRecurrenceFile;
  }
  std::filesystem::path SchedulePath() const {
    return options_.sync.state_dir / kScheduleFile;
  }

  void PublishFindings(PollContext& context) {
    auto agg = AggregateWasFindings(sync_.store(), options_.was,
                                    recurrence_.became_recurring_total());
    WarnCapped(agg.info_series_dropped, "recurring findings",
               "qualys_was_recurring_finding_info");
    context.telemetry().InfoSeriesDropped(agg.info_series_dropped);
    context.Publish(kWasFindingSource, std::move(agg.families));
  }

  // Schedules are few: every poll walks all of them (one call, usually),
  // and all web apps, whose tags a schedule may target.
  void PollSchedules(PollContext& context) {
    ScanScheduleState polled;
    polled.fetched_at = static_cast<std::int64_t>(context.Now());
    QpsSearchRequest req;
    req.limit_results = 1000;
    req.min_limit_results = options_.min_page_size;
    req.path = kWebAppSearchPath;
    req.endpoint_label = "webapp";
    SearchWebApps(*client_, req, [&](WebApp&& app) {
      const std::uint64_t id = app.id;
      polled.webapps[id] = std::move(app);
    });
    req.path = kWasScanScheduleSearchPath;
    req.endpoint_label = kWasScanScheduleSource;
    SearchWasScanSchedules(*client_, req, [&](WasScanSchedule&& s) {
      polled.schedules.push_back(std::move(s));
    });
    const std::size_t fetched = polled.schedules.size();
    context.telemetry().RecordsFetched(kWasScanScheduleSource, fetched);
    context.telemetry().SyncProgress(kWasScanScheduleSource, fetched,
                                     std::nullopt);
    schedules_ = std::move(polled);
    PublishSchedules(context);
    PublishWebApps(context);
    schedules_.Save(SchedulePath());
  }

  // Every web app known: the findings' and the last web app search's (whose
  // name, URL and tags win).
  std::map<std::uint64_t, WebApp> KnownWebApps() const {
    std::map<std::uint64_t, WebApp> known;
    for (const auto& [id, app] : sync_.store().webapps()) {
      known[id] = WebApp{id, app.name, app.url, {}};
    }
    for (const auto& [id, app] : schedules_.webapps) known[id] = app;
    return known;
  }

  // qualys_was_webapp_info, republished whenever either side changes (its
  // own key: both steps feed it).
  void PublishWebApps(PollContext& context) {
    context.Publish(kWebAppInfoKey, {AggregateWebAppInfo(KnownWebApps())});
  }

  void PublishSchedules(PollContext& context) {
    auto agg = AggregateScanSchedules(schedules_.schedules, KnownWebApps(),
                                      options_.was.max_finding_series);
    WarnCapped(agg.info_series_dropped, "schedule rows",
               "qualys_was_scan_schedule_info");
    context.Publish(kWasScanScheduleSource, std::move(agg.families));
  }

  // Both info families share the --was.max-finding-series cap.
  void WarnCapped(std::size_t dropped, std::string_view what,
                  std::string_view family) const {
    if (dropped == 0) return;
    LOG(WARNING) << dropped << " " << what << " left out of " << family
                 << " (--was.max-finding-series="
                 << options_.was.max_finding_series << ")";
  }

  void TrackRecurrence(const WasFindingStore& store) {
    const bool baseline = !recurrence_.has_baseline();
    auto turned = recurrence_.Update(
        FindRecurring(store, options_.was.recurrence_min_scans));
    if (baseline) {
      LOG(INFO) << "recurrence baseline set: " << recurrence_.known_recurring()
                << " recurring findings (not counted)";
    }
    for (const auto& t : turned) {
      const auto& f = store.findings().at(t.finding_id);
      LOG(INFO) << "WAS finding " << t.finding_id << " (qid " << f.qid
                << ", webapp " << f.webapp_id << ", severity " << f.severity
                << ") turned recurring";
    }
  }

  std::shared_ptr<QualysClient> client_;
  SourceOptions options_;
  WasFindingFeed feed_;
  IncrementalSync<WasFindingStore> sync_;
  RecurrenceState recurrence_;
  ScanScheduleState schedules_;  // the last schedule poll, durable
};

}  // namespace

std::unique_ptr<Source> MakeWasFindingSource(
    std::shared_ptr<QualysClient> client, SourceOptions options, Clock clock) {
  options.sync.state_dir = options.state_dir;
  return std::make_unique<WasFindingSource>(
      std::move(client), std::move(options), std::move(clock));
}

}  // namespace qx
