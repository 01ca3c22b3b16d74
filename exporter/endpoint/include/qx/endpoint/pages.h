// What the handlers render, as plain functions (tested on their own).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "qx/endpoint/server_status.h"

namespace qx {

// Whether an Accept-Encoding value accepts gzip (RFC 9110: "gzip" or "*"
// with a non-zero q; names are case-insensitive).
bool AcceptsGzip(std::string_view accept_encoding);

std::string HtmlEscape(std::string_view s);

struct LandingPageInfo {
  std::string version, revision, telemetry_path;
  bool tls = false;
};
// The landing page: name, version, links, and per source its last poll
// result and age, records held and sync progress. Everything shown is
// HTML-escaped.
std::string RenderLandingPage(const LandingPageInfo& info,
                              const std::vector<SourceStatus>& sources,
                              bool ready, double now_unix);

}  // namespace qx
