// VM Host List Detection API (API v2) walks: the POST form that keeps the
// answers small, truncation_limit paging through the next-page URL of the
// WARNING block, and optional incremental filters. See
// docs/qualys-api.md for why each parameter is what it is.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "qx/client/parsers.h"
#include "qx/client/qualys_client.h"
#include "qx/records/records.h"

namespace qx {

inline constexpr char kHostDetectionPath[] =
    "/api/2.0/fo/asset/host/vm/detection/";
inline constexpr char kHostDetectionEndpoint[] = "host_detection";

struct HostDetectionRequest {
  // Hosts per page (the API's default is 1000). Must be >= 1: 0 would ask
  // the API for everything in one answer.
  std::uint32_t truncation_limit = 1000;
  // Incremental filters, YYYY-MM-DDTHH:MM:SSZ; empty: not sent.
  //  vm_processed_after: hosts whose VM scan results were processed after
  //    the time, each with its complete detection list (a host filter);
  //  detection_updated_since: only the detections updated since the time
  //    (a detection filter), on the hosts that have such detections.
  std::string vm_processed_after;
  std::string detection_updated_since;
  // Info (IG) detections never count: leave them out of the answer.
  bool show_igs = false;
  // Ignored and disabled detections are sent flagged rather than left out,
  // so that an incremental walk learns that an open detection stopped
  // counting (the API leaves them out by default).
  bool include_ignored = true;
  bool include_disabled = true;
  // Start at this host id (resuming an interrupted walk).
  std::optional<std::uint64_t> id_min;
  std::string endpoint_label = kHostDetectionEndpoint;
};

// The application/x-www-form-urlencoded body of the first page.
std::string BuildHostDetectionForm(const HostDetectionRequest& request);

// Path and query of the WARNING block's absolute next-page URL (the scheme
// and host are dropped: the client's base URL names the same API server).
// Throws ApiError when the URL is not one of the detection API.
std::string NextPagePathAndQuery(std::string_view url);

// Value of `key` in a query string (percent-decoding is not needed for the
// numeric and date values read with it); nullopt when absent.
std::optional<std::string> QueryParam(std::string_view query,
                                      std::string_view key);

struct HostDetectionProgress {
  std::uint64_t pages = 0;
  std::uint64_t hosts = 0;
  std::uint64_t detections = 0;
  // Every host up to this id has been delivered: a walk resumed with
  // id_min = last_host_id + 1 loses nothing (hosts come in ascending id).
  std::optional<std::uint64_t> last_host_id;
  // RESPONSE/DATETIME of the first page: the API server's clock when the
  // walk started, the safe cursor for the next incremental walk.
  std::string first_datetime;
  bool done = false;  // the last page has been delivered
};

// Walks every page: POSTs the form, then follows each WARNING URL (its query
// sent as the POST form of the next request, completed with the parameters
// of the first form it lacks) until a page has none. on_host gets every host
// as it is parsed; a page re-read after a retry delivers its hosts again, so
// on_host must be idempotent. on_page runs after each page and may throw to
// stop the walk (progress.last_host_id is then a safe resume point). Throws
// ApiError on an API error, a foreign next-page URL or paging that does not
// advance, and whatever QualysClient::Call throws.
HostDetectionProgress FetchHostDetections(
    QualysClient& client, const HostDetectionRequest& request,
    const std::function<void(DetectionHost&&)>& on_host,
    const std::function<void(const HostDetectionProgress&)>& on_page = {});

}  // namespace qx
