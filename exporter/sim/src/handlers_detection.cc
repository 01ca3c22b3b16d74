// API v2 Host List Detection: /api/2.0/fo/asset/host/vm/detection/
// ?action=list, with truncation_limit paging (WARNING CODE 1980 and the URL
// of the next page, id_min), the host and detection filters the exporter
// relies on, Basic auth, X-Requested-With and the v2 rate-limit headers.
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>

#include "qx/sim/detection_render.h"
#include "qx/sim/handlers.h"
#include "qx/sim/http_util.h"
#include "qx/sim/renderers.h"

namespace qx::sim {

using Poco::Net::HTTPResponse;

namespace {

constexpr std::string_view kV2Type = kV2ContentType;
constexpr std::size_t kFlushBytes = 256 << 10;
constexpr std::uint64_t kMaxTruncation = 1'000'000;

constexpr std::string_view kParams[] = {
    "action",
    "echo_request",
    "show_asset_id",
    "show_results",
    "show_igs",
    "show_reopened_info",
    "output_format",
    "truncation_limit",
    "ids",
    "id_min",
    "id_max",
    "status",
    "include_ignored",
    "include_disabled",
    "vm_processed_after",
    "vm_processed_before",
    "vm_scan_since",
    "detection_updated_since",
    "detection_updated_before",
    "detection_processed_after",
};

// "YYYY-MM-DD" or "YYYY-MM-DD[THH:MM:SS][Z]".
std::optional<Seconds> ParseApiDate(std::string text) {
  if (text.size() == 10) text += "T00:00:00Z";
  return ParseIso(text);
}

std::string EncodeValue(const std::string& v) {
  std::string out;
  Poco::URI::encode(v, "&=+?#/:;,", out);
  return out;
}

}  // namespace

void Router::HostDetections(Context& ctx) {
  const Seconds now = data_->now();
  const V2Running running(v2_running_);
  if (!V2Limits(ctx, running.value)) return;
  auto& resp = ctx.resp;
  auto error = [&](std::string_view code, const std::string& text) {
    Send(resp, HTTPResponse::HTTP_BAD_REQUEST, kV2Type,
         RenderSimpleReturn(code, text, now));
  };
  auto form = V2Form(ctx, now, kParams);
  if (!form) return;
  const FormParams& params = *form;
  const std::string format = Param(params, "output_format", "XML");
  if (format != "XML") {
    error("1905", "parameter output_format has invalid value: " + format +
                      " (the simulator answers XML only)");
    return;
  }
  DetectionQuery q;
  std::string bad;
  auto flag = [&](std::string_view name, bool fallback) {
    const std::string v = Param(params, name);
    if (v.empty()) return fallback;
    if (v != "0" && v != "1") bad = std::string(name) + ": " + v;
    return v == "1";
  };
  q.show_igs = flag("show_igs", false);
  q.include_ignored = flag("include_ignored", false);
  q.include_disabled = flag("include_disabled", false);
  q.show_results = flag("show_results", true);
  q.show_asset_id = flag("show_asset_id", false);
  auto number = [&](std::string_view name, std::uint64_t fallback) {
    const std::string v = Param(params, name);
    if (v.empty()) return fallback;
    const auto n = ToUint(v);
    if (!n) bad = std::string(name) + ": " + v;
    return n.value_or(fallback);
  };
  q.truncation_limit = number("truncation_limit", 1000);
  if (q.truncation_limit > kMaxTruncation) {
    bad = "truncation_limit: " + std::to_string(q.truncation_limit);
  }
  q.id_min = number("id_min", 0);
  q.id_max = number("id_max", UINT64_MAX);
  auto date = [&](std::string_view name) -> std::optional<Seconds> {
    const std::string v = Param(params, name);
    if (v.empty()) return std::nullopt;
    const auto t = ParseApiDate(v);
    if (!t) bad = std::string(name) + ": " + v;
    return t;
  };
  q.vm_processed_after = date("vm_processed_after");
  q.vm_processed_before = date("vm_processed_before");
  q.vm_scan_since = date("vm_scan_since");
  q.detection_updated_since = date("detection_updated_since");
  q.detection_updated_before = date("detection_updated_before");
  q.detection_processed_after = date("detection_processed_after");
  for (const std::string& item : [&] {
         std::vector<std::string> out;
         const std::string v = Param(params, "status");
         std::size_t start = 0;
         while (!v.empty() && start <= v.size()) {
           const std::size_t comma = std::min(v.find(',', start), v.size());
           out.push_back(v.substr(start, comma - start));
           start = comma + 1;
         }
         return out;
       }()) {
    bool known = false;
    for (DetStatus s : {DetStatus::kNew, DetStatus::kActive, DetStatus::kFixed,
                        DetStatus::kReOpened}) {
      if (item == DetStatusName(s)) {
        q.statuses.push_back(s);
        known = true;
      }
    }
    if (!known) bad = "status: " + item;
  }
  const std::string ids = Param(params, "ids");
  for (std::size_t start = 0; !ids.empty() && start <= ids.size();) {
    const std::size_t comma = std::min(ids.find(',', start), ids.size());
    const std::string item = ids.substr(start, comma - start);
    const std::size_t dash = item.find('-');
    const auto lo = ToUint(item.substr(0, dash));
    const auto hi =
        dash == std::string::npos ? lo : ToUint(item.substr(dash + 1));
    if (!lo || !hi || *hi < *lo) {
      bad = "ids: " + item;
    } else {
      q.ids.emplace_back(*lo, *hi);
    }
    start = comma + 1;
  }
  if (!bad.empty()) {
    error("1905", "parameter " + bad.substr(0, bad.find(':')) +
                      " has invalid value:" + bad.substr(bad.find(':') + 1));
    return;
  }

  const DetectionModel& model = data_->detections();
  const std::vector<Seconds> epoch_times = data_->EpochTimes();
  DetectionRenderOptions render;
  render.show_results = q.show_results;
  render.show_asset_id = q.show_asset_id;

  resp.setStatusAndReason(HTTPResponse::HTTP_OK);
  resp.setContentType(std::string(kV2Type));
  resp.setChunkedTransferEncoding(true);
  std::ostream& out = resp.send();
  std::string buf = DetectionDocumentHead();
  XmlWriter w(&buf);
  w.Open("HOST_LIST_VM_DETECTION_OUTPUT");
  w.Open("RESPONSE");
  w.Date("DATETIME", now);
  std::uint64_t emitted = 0;
  std::uint64_t last_id = 0;
  bool more = false;
  for (auto c = model.LowerBound(q.id_min); !model.AtEnd(c); model.Next(c)) {
    if (model.IdAt(c) > q.id_max) break;
    auto host = model.HostAt(c, epoch_times);
    if (!host || !DetectionModel::Filter(q, &*host)) continue;
    if (q.truncation_limit != 0 && emitted == q.truncation_limit) {
      more = true;
      break;
    }
    if (emitted == 0) w.Open("HOST_LIST");
    WriteDetectionHost(w, data_->hosts(), *host, render);
    ++emitted;
    last_id = host->id;
    if (buf.size() >= kFlushBytes) {
      out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  }
  if (emitted > 0) w.Close();  // HOST_LIST
  if (more) {
    // The next page: the same request from the next host id on.
    std::string url =
        "http://" + ctx.req.getHost() + std::string(kHostDetectionPath) + "?";
    for (const auto& [k, v] : params) {
      if (k == "id_min") continue;
      url += k + "=" + EncodeValue(v) + "&";
    }
    url += "id_min=" + std::to_string(last_id + 1);
    WriteDetectionWarning(w, q.truncation_limit, url);
  }
  w.CloseAll();
  buf += DetectionDocumentTail();
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  out.flush();
}

}  // namespace qx::sim
