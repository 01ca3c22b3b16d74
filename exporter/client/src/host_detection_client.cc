#include "qx/client/host_detection_client.h"

#include <charconv>
#include <stdexcept>
#include <utility>
#include <vector>

#include "qx/client/errors.h"

namespace qx {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes a form value (RFC 3986 unreserved characters stay).
std::string FormEncode(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Encode(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k + "=" + FormEncode(v);
  }
  return out;
}

Params FormParams(const HostDetectionRequest& r) {
  Params p = {
      {"action", "list"},
      {"output_format", "XML"},
      // RESULTS (the scan output text) is most of a detection's bytes.
      {"show_results", "0"},
      {"show_igs", r.show_igs ? "1" : "0"},
      {"include_ignored", r.include_ignored ? "1" : "0"},
      {"include_disabled", r.include_disabled ? "1" : "0"},
      {"truncation_limit", std::to_string(r.truncation_limit)},
  };
  if (!r.vm_processed_after.empty()) {
    p.emplace_back("vm_processed_after", r.vm_processed_after);
  }
  if (!r.detection_updated_since.empty()) {
    p.emplace_back("detection_updated_since", r.detection_updated_since);
  }
  if (r.id_min) p.emplace_back("id_min", std::to_string(*r.id_min));
  return p;
}

std::optional<std::uint64_t> ToUint64(const std::optional<std::string>& s) {
  if (!s || s->empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || p != s->data() + s->size()) return std::nullopt;
  return v;
}

std::string_view Canonical(std::string_view path) {
  for (std::string_view tail : {"index.php", "/"}) {
    if (path.ends_with(tail)) path.remove_suffix(tail.size());
  }
  return path;
}

}  // namespace

std::string BuildHostDetectionForm(const HostDetectionRequest& request) {
  if (request.truncation_limit == 0) {
    throw std::invalid_argument(
        "host detection truncation_limit must be at least 1");
  }
  return Encode(FormParams(request));
}

std::optional<std::string> QueryParam(std::string_view query,
                                      std::string_view key) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return std::string(eq == std::string_view::npos ? std::string_view()
                                                      : pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string NextPagePathAndQuery(std::string_view url) {
  std::string_view rest = url;
  const std::size_t scheme = rest.find("://");
  if (scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);
    const std::size_t slash = rest.find('/');
    rest = slash == std::string_view::npos ? std::string_view()
                                           : rest.substr(slash);
  }
  const std::size_t q = rest.find('?');
  const std::string_view path = rest.substr(0, q);
  if (path.empty() ||
      Canonical(path) != Canonical(std::string_view(kHostDetectionPath))) {
    throw ApiError("host detection: the next-page URL \"" +
                   std::string(url.substr(0, 300)) +
                   "\" is not one of the detection API (" + kHostDetectionPath +
                   ")");
  }
  return std::string(rest);
}

HostDetectionProgress FetchHostDetections(
    QualysClient& client, const HostDetectionRequest& request,
    const std::function<void(DetectionHost&&)>& on_host,
    const std::function<void(const HostDetectionProgress&)>& on_page) {
  const Params first = FormParams(request);
  HostDetectionProgress progress;
  std::string path = kHostDetectionPath;
  std::string body = BuildHostDetectionForm(request);
  std::optional<std::uint64_t> id_min = request.id_min;
  while (true) {
    HttpRequest http;
    http.method = "POST";
    http.path = path;
    http.content_type = "application/x-www-form-urlencoded";
    // API v2 rejects requests without this header.
    http.headers.emplace_back("X-Requested-With", "qualys-exporter");
    http.body = body;
    HostDetectionPageInfo page;
    client.Call(request.endpoint_label, http,
                [&](const HttpResponseHead&, std::istream& in) {
                  page = ParseHostDetectionPage(in, on_host);
                });
    ++progress.pages;
    progress.hosts += page.hosts;
    progress.detections += page.detections;
    if (progress.pages == 1) progress.first_datetime = page.datetime;
    if (page.last_host_id) progress.last_host_id = page.last_host_id;
    if (page.next_url.empty()) {
      progress.done = true;
      if (on_page) on_page(progress);
      break;
    }
    const std::string next = NextPagePathAndQuery(page.next_url);
    const std::size_t q = next.find('?');
    std::string next_path = next.substr(0, q);
    std::string next_body =
        q == std::string::npos ? std::string() : next.substr(q + 1);
    // Keep what the first form asked for if the URL does not repeat it.
    for (const auto& [k, v] : first) {
      if (k == "id_min" || QueryParam(next_body, k)) continue;
      next_body += (next_body.empty() ? "" : "&") + k + "=" + FormEncode(v);
    }
    const auto next_id_min = ToUint64(QueryParam(next_body, "id_min"));
    if (next_body == body ||
        (next_id_min && id_min && *next_id_min <= *id_min)) {
      throw ApiError(request.endpoint_label +
                     ": pagination did not advance (next-page URL " +
                     page.next_url.substr(0, 300) + ")");
    }
    id_min = next_id_min;
    path = std::move(next_path);
    body = std::move(next_body);
    if (on_page) on_page(progress);
  }
  return progress;
}

}  // namespace qx
