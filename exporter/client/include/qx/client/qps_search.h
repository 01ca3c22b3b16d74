// QPS REST search: ServiceRequest building and id-GREATER pagination exactly
// as CONTRACT.md describes (pages with count 0 and hasMoreRecords true are
// followed; only hasMoreRecords false/absent ends the walk).
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "qx/client/parsers.h"
#include "qx/client/qualys_client.h"
#include "qx/records/records.h"

namespace qx {

inline constexpr char kHostAssetSearchPath[] =
    "/qps/rest/2.0/search/am/hostasset";
inline constexpr char kWasFindingSearchPath[] =
    "/qps/rest/3.0/search/was/finding";
inline constexpr char kHostAssetCountPath[] =
    "/qps/rest/2.0/count/am/hostasset";
inline constexpr char kWasFindingCountPath[] =
    "/qps/rest/3.0/count/was/finding";
inline constexpr char kWasScanScheduleSearchPath[] =
    "/qps/rest/3.0/search/was/wasscanschedule";
inline constexpr char kWasScanScheduleCountPath[] =
    "/qps/rest/3.0/count/was/wasscanschedule";
inline constexpr char kWebAppSearchPath[] = "/qps/rest/3.0/search/was/webapp";
inline constexpr char kWebAppCountPath[] = "/qps/rest/3.0/count/was/webapp";

struct Criterion {
  std::string field;
  std::string op;  // EQUALS, GREATER, LESSER, IN, CONTAINS, ...
  std::string value;
};

struct QpsSearchRequest {
  std::string path;
  std::string endpoint_label;  // self-metrics label, e.g. "hostasset"
  std::vector<Criterion> criteria;
  std::uint32_t limit_results = 1000;
  // A page a gateway cannot serve in time (502/503/504, timeout) is asked
  // again with half as many records, down to this floor; the size that
  // worked is kept for the rest of the walk.
  std::uint32_t min_limit_results = 10;
  bool verbose = false;
  std::optional<std::uint32_t> limit_histories;
  // Resume a walk after this id (an interrupted full sync).
  std::optional<std::uint64_t> start_after_id;
};

// Builds the <ServiceRequest> body; after_id adds `id GREATER after_id`.
std::string BuildServiceRequest(const QpsSearchRequest& request,
                                std::optional<std::uint64_t> after_id);

struct SearchProgress {
  std::uint64_t pages = 0;
  std::uint64_t records = 0;
  // Every record up to this id has been delivered (resume point).
  std::optional<std::uint64_t> last_id;
  bool done = false;  // the last page has been delivered
  // limitResults the walk ended with (smaller than asked after a gateway
  // timeout); callers pass it on to the next walk of the same poll.
  std::uint32_t limit_results = 0;
};

// Parses one page from the body, emitting records; returns the envelope.
using PageParser = std::function<QpsPageInfo(std::istream&)>;

// Walks every page. Throws ApiError on a non-SUCCESS responseCode (with the
// API's error details), on pagination that does not advance, or whatever the
// client throws. on_page is called after each page (progress, budget) and
// may throw to stop the walk; progress.last_id is then a safe resume point.
SearchProgress SearchAllPages(
    QualysClient& client, const QpsSearchRequest& request,
    const PageParser& parse_page,
    const std::function<void(const SearchProgress&)>& on_page = {});

// POST to a QPS count endpoint (same criteria as a search); returns <count>.
std::uint64_t CountRecords(QualysClient& client, const std::string& path,
                           const std::string& endpoint_label,
                           const std::vector<Criterion>& criteria = {});

// Convenience wrappers over SearchAllPages with the record parsers.
SearchProgress SearchHostAssets(
    QualysClient& client, const QpsSearchRequest& request,
    const std::function<void(HostAsset&&)>& on_record,
    const std::function<void(const SearchProgress&)>& on_page = {});
SearchProgress SearchWasFindings(
    QualysClient& client, const QpsSearchRequest& request,
    const std::function<void(WasFinding&&)>& on_record,
    const std::function<void(const SearchProgress&)>& on_page = {});
// request.path: kWasScanScheduleSearchPath.
SearchProgress SearchWasScanSchedules(
    QualysClient& client, const QpsSearchRequest& request,
    const std::function<void(WasScanSchedule&&)>& on_record,
    const std::function<void(const SearchProgress&)>& on_page = {});
// request.path: kWebAppSearchPath.
SearchProgress SearchWebApps(
    QualysClient& client, const QpsSearchRequest& request,
    const std::function<void(WebApp&&)>& on_record,
    const std::function<void(const SearchProgress&)>& on_page = {});

}  // namespace qx
