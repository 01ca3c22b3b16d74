// "/", "/-/healthy", "/-/ready" and the small helpers they share.
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "handlers.h"
#include "qx/telemetry/self_metrics.h"

namespace qx {
namespace {

std::string Age(double seconds) {
  if (seconds < 0) seconds = 0;
  char buf[32];
  if (seconds < 120) {
    std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  } else if (seconds < 7200) {
    std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
  } else if (seconds < 172800) {
    std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f d", seconds / 86400);
  }
  return buf;
}

std::string Count(double n) {
  if (n < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

std::string Progress(const SourceStatus& s) {
  if (s.records < 0 || s.expected_records <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f %%",
                std::min(100.0, 100.0 * s.records / s.expected_records));
  return buf;
}

}  // namespace

void SendText(Exchange& ex, Poco::Net::HTTPResponse::HTTPStatus status,
              std::string_view content_type, std::string_view body) {
  ex.response.setStatus(status);
  ex.response.setContentType(std::string(content_type));
  ex.response.sendBuffer(body.data(), body.size());  // no body for HEAD
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderLandingPage(const LandingPageInfo& info,
                              const std::vector<SourceStatus>& sources,
                              bool ready, double now) {
  std::ostringstream h;
  const std::string metrics = HtmlEscape(info.telemetry_path);
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<title>qualys-exporter</title>\n<style>body{font-family:sans-serif;"
       "margin:2em}table{border-collapse:collapse}td,th{border:1px solid "
       "#ccc;padding:.3em .6em;text-align:left}td.n{text-align:right}"
       ".ok{color:#070}.failed{color:#b00}</style>\n</head>\n<body>\n"
    << "<h1>qualys-exporter</h1>\n<p>Prometheus exporter for the Qualys API. "
    << "Version " << HtmlEscape(info.version) << " (revision "
    << HtmlEscape(info.revision) << ")" << (info.tls ? ", served over TLS" : "")
    << ".</p>\n<ul>\n<li><a href=\"" << metrics << "\">" << metrics
    << "</a> metrics</li>\n<li><a href=\"/-/healthy\">/-/healthy</a> "
       "liveness</li>\n<li><a href=\"/-/ready\">/-/ready</a> readiness: "
    << (ready ? "ready" : "not ready (waiting for every source's first data)")
    << "</li>\n</ul>\n<h2>Sources</h2>\n";
  if (sources.empty()) {
    h << "<p>No sources registered.</p>\n";
  } else {
    h << "<table>\n<tr><th>source</th><th>last poll</th><th>age</th>"
         "<th>records held</th><th>sync progress</th><th>data published</th>"
         "</tr>\n";
    for (const auto& s : sources) {
      const std::string result =
          s.last_result.empty() ? "not polled yet" : s.last_result;
      const std::string cls = s.last_result == "ok" ? "ok" : "failed";
      h << "<tr><td>" << HtmlEscape(s.name) << "</td><td class=\"" << cls
        << "\">" << HtmlEscape(result) << "</td><td class=\"n\">"
        << (s.last_poll_unix > 0 ? Age(now - s.last_poll_unix) : "-")
        << "</td><td class=\"n\">" << Count(s.records)
        << "</td><td class=\"n\">" << Progress(s) << "</td><td>"
        << (s.published ? "yes" : "no") << "</td></tr>\n";
    }
    h << "</table>\n";
  }
  h << "</body>\n</html>\n";
  return std::move(h).str();
}

LandingPageHandler::LandingPageHandler(LandingPageInfo info,
                                       ServerStatus status)
    : info_(std::move(info)), status_(std::move(status)) {}

int LandingPageHandler::Serve(Exchange& ex) {
  const auto sources =
      status_.sources ? status_.sources() : std::vector<SourceStatus>{};
  const double now = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  SendText(
      ex, Poco::Net::HTTPResponse::HTTP_OK, "text/html; charset=utf-8",
      RenderLandingPage(info_, sources, ReadyHandler::IsReady(status_), now));
  return 200;
}

int HealthyHandler::Serve(Exchange& ex) {
  SendText(ex, Poco::Net::HTTPResponse::HTTP_OK, "text/plain; charset=utf-8",
           "Healthy\n");
  return 200;
}

bool ReadyHandler::IsReady(const ServerStatus& status) {
  if (status.ready) return status.ready();
  if (!status.sources) return true;
  for (const auto& s : status.sources()) {
    if (!s.published) return false;
  }
  return true;
}

int ReadyHandler::Serve(Exchange& ex) {
  if (IsReady(status_)) {
    SendText(ex, Poco::Net::HTTPResponse::HTTP_OK, "text/plain; charset=utf-8",
             "Ready\n");
    return 200;
  }
  std::string body = "Not ready: no data published yet by:";
  if (status_.sources) {
    for (const auto& s : status_.sources()) {
      if (!s.published) body += " " + s.name;
    }
  }
  body += "\n";
  SendText(ex, Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
           "text/plain; charset=utf-8", body);
  return 503;
}

ServerStatus StatusFromSelfMetrics(const SelfMetrics& self_metrics) {
  ServerStatus status;
  status.sources = [&self_metrics] {
    std::vector<SourceStatus> out;
    for (const auto& s : self_metrics.Sources()) {
      SourceStatus st;
      st.name = s.name;
      st.last_result = !s.polled ? "" : s.last_ok ? "ok" : "failed";
      st.last_poll_unix = s.last_poll_unix;
      st.records = s.records;
      st.expected_records = s.expected_records;
      st.published = s.last_success_unix > 0;
      out.push_back(std::move(st));
    }
    return out;
  };
  return status;
}

}  // namespace qx
