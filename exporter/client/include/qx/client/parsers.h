// Streaming (SAX) parsers for Qualys API responses. Each reads the body from
// a stream and hands out one record at a time, so memory does not grow with
// the page size. None of them fetches external DTDs or expands external
// entities. They throw ParseError on malformed input and ApiError when the
// body is a well-formed API error.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qx/records/records.h"

namespace qx {

// The envelope of a QPS REST <ServiceResponse>.
struct QpsPageInfo {
  std::string response_code;  // SUCCESS, INVALID_REQUEST, ...
  // responseErrorDetails/errorMessage (+ errorResolution), when present.
  std::string error_message;
  std::optional<std::uint64_t> count;
  bool has_more_records = false;  // false when absent
  std::optional<std::uint64_t> last_id;
};

// ServiceResponse of /qps/rest/2.0/search/am/hostasset. Calls on_record for
// every HostAsset under data. Does not throw on responseCode != SUCCESS: the
// caller inspects QpsPageInfo (records are not emitted then).
QpsPageInfo ParseHostAssetPage(
    std::istream& in, const std::function<void(HostAsset&&)>& on_record);

// ServiceResponse of /qps/rest/3.0/search/was/finding (verbose). For QID
// 150141 findings, fills keyword_matches from the payload responses.
QpsPageInfo ParseWasFindingPage(
    std::istream& in, const std::function<void(WasFinding&&)>& on_record);

// Text of a QID 150141 PayloadInstance/response: "Regex: <regex>" blocks,
// each followed by "No internal link found matching with this regex." or
// "List of internal links matching with this regex are:" and links, each
// optionally followed by "seen at following parent(s)" and parent URLs.
// Links wrapped across lines are joined. Returns unique links per regex.
std::vector<KeywordMatch> ParseKeywordPayload(std::string_view response_text);

// API v2 KNOWLEDGE_BASE_VULN_LIST_OUTPUT (the DOCTYPE with an external
// SYSTEM DTD is ignored, never fetched). Calls on_entry per VULN.
// Throws ApiError for a SIMPLE_RETURN error body (even with HTTP 200).
void ParseKnowledgeBase(
    std::istream& in,
    const std::function<void(KnowledgeBaseEntry&&)>& on_entry);

// What one page of the Host List Detection API says besides its hosts.
struct HostDetectionPageInfo {
  std::string datetime;      // RESPONSE/DATETIME (the server's clock)
  std::string warning_code;  // RESPONSE/WARNING/CODE (1980: more hosts)
  std::string warning_text;
  // RESPONSE/WARNING/URL, entity- and CDATA-decoded: the absolute URL of the
  // next page; empty on the last page.
  std::string next_url;
  std::uint64_t hosts = 0;       // HOSTs on this page
  std::uint64_t detections = 0;  // DETECTIONs on this page
  std::optional<std::uint64_t> last_host_id;
};

// API v2 HOST_LIST_VM_DETECTION_OUTPUT (/api/2.0/fo/asset/host/vm/detection/
// ?action=list, XML). Calls on_host once per HOST with its detections, as
// soon as the host ends: memory holds one host, whatever the page size. The
// external DTD is never fetched. Throws ApiError for a SIMPLE_RETURN error
// body (even with HTTP 200), ParseError for anything malformed.
HostDetectionPageInfo ParseHostDetectionPage(
    std::istream& in, const std::function<void(DetectionHost&&)>& on_host);

// ServiceResponse of /qps/rest/3.0/search/was/wasscanschedule. Does not throw
// on responseCode != SUCCESS (records are not emitted then).
QpsPageInfo ParseWasScanSchedulePage(
    std::istream& in, const std::function<void(WasScanSchedule&&)>& on_record);

// ServiceResponse of /qps/rest/3.0/search/was/webapp (id, name, url, tags).
QpsPageInfo ParseWebAppPage(std::istream& in,
                            const std::function<void(WebApp&&)>& on_record);

// <SIMPLE_RETURN><RESPONSE><CODE>..</CODE><TEXT>..</TEXT>: returned by API v2
// errors and by HTTP 409 limit answers. nullopt if the body is not one.
struct SimpleReturn {
  std::string code;
  std::string text;
};
std::optional<SimpleReturn> ParseSimpleReturn(std::string_view body);

}  // namespace qx
