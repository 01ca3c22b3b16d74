// Small helpers shared by the benchmarks: a keep-alive Poco HTTP client that
// POSTs the exporter's own <ServiceRequest> bodies and walks id-GREATER
// pagination by looking only at the page envelope (no XML parse), and an
// istream over memory that does not copy.
#pragma once

#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <charconv>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>

#include "qx/client/host_detection_client.h"
#include "qx/client/qps_search.h"

namespace qx::bench {

// Read-only streambuf over a buffer that outlives it.
class MemBuf final : public std::streambuf {
 public:
  MemBuf(const char* data, std::size_t size) {
    char* p = const_cast<char*>(data);
    setg(p, p, p + size);
  }
};

class MemIstream final : public std::istream {
 public:
  explicit MemIstream(std::string_view s)
      : std::istream(nullptr), buf_(s.data(), s.size()) {
    rdbuf(&buf_);
  }

 private:
  MemBuf buf_;
};

// The QPS envelope fields, found by string search in the page head.
struct Envelope {
  bool success = false;
  std::uint64_t count = 0;
  bool has_more = false;
  std::optional<std::uint64_t> last_id;
};

inline std::optional<std::uint64_t> ElementNumber(std::string_view body,
                                                  std::string_view name) {
  std::string open = "<" + std::string(name) + ">";
  auto pos = body.find(open);
  if (pos == std::string_view::npos) return std::nullopt;
  pos += open.size();
  std::uint64_t v = 0;
  auto res = std::from_chars(body.data() + pos, body.data() + body.size(), v);
  if (res.ec != std::errc()) return std::nullopt;
  return v;
}

inline Envelope ScanEnvelope(std::string_view body) {
  // The envelope precedes <data>; a 4 KiB head is plenty.
  std::string_view head = body.substr(0, 4096);
  Envelope e;
  e.success = head.find("<responseCode>SUCCESS</responseCode>") !=
              std::string_view::npos;
  e.count = ElementNumber(head, "count").value_or(0);
  e.has_more = head.find("<hasMoreRecords>true</hasMoreRecords>") !=
               std::string_view::npos;
  e.last_id = ElementNumber(head, "lastId");
  return e;
}

// One keep-alive connection to a QPS server.
class QpsClient {
 public:
  QpsClient(const std::string& base_url, std::string user, std::string password)
      : uri_(base_url),
        user_(std::move(user)),
        password_(std::move(password)),
        session_(uri_.getHost(), uri_.getPort()) {
    session_.setKeepAlive(true);
    session_.setTimeout(Poco::Timespan(600, 0));
  }

  // POSTs body to path; the whole answer lands in *out. Returns the status.
  int Post(const std::string& path, const std::string& body, std::string* out,
           const std::string& content_type = "text/xml") {
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    req.setContentType(content_type);
    req.set("X-Requested-With", "qx-fetch-floor");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    Poco::Net::HTTPBasicCredentials(user_, password_).authenticate(req);
    session_.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session_.receiveResponse(resp);
    out->clear();
    char buf[64 << 10];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      out->append(buf, static_cast<std::size_t>(in.gcount()));
    }
    return static_cast<int>(resp.getStatus());
  }

  struct WalkResult {
    std::uint64_t calls = 0;
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
  };

  // Walks every page of a search exactly as the exporter does (same bodies,
  // id GREATER lastId while hasMoreRecords). on_page sees each raw body.
  WalkResult Walk(const QpsSearchRequest& request,
                  const std::function<void(const std::string&)>& on_page = {}) {
    WalkResult r;
    std::optional<std::uint64_t> after = request.start_after_id;
    std::string body;
    while (true) {
      int status =
          Post(request.path, BuildServiceRequest(request, after), &body);
      ++r.calls;
      r.bytes += body.size();
      if (status != 200) {
        throw std::runtime_error(request.path + ": HTTP " +
                                 std::to_string(status));
      }
      Envelope e = ScanEnvelope(body);
      if (!e.success)
        throw std::runtime_error(request.path + ": responseCode not SUCCESS");
      r.records += e.count;
      if (on_page) on_page(body);
      if (!e.has_more) break;
      if (!e.last_id || (after && *e.last_id <= *after)) {
        throw std::runtime_error(request.path +
                                 ": pagination does not advance");
      }
      after = e.last_id;
    }
    return r;
  }

  // Walks every page of the VM Host List Detection API as the exporter asks
  // for them (its own form, then each WARNING URL's query as the next form)
  // and counts <HOST> elements as records.
  WalkResult WalkDetections(const HostDetectionRequest& request) {
    WalkResult r;
    std::string path = kHostDetectionPath;
    std::string form = BuildHostDetectionForm(request);
    std::string body;
    while (true) {
      int status =
          Post(path, form, &body, "application/x-www-form-urlencoded");
      ++r.calls;
      r.bytes += body.size();
      if (status != 200) {
        throw std::runtime_error(path + ": HTTP " + std::to_string(status));
      }
      for (auto pos = body.find("<HOST>"); pos != std::string::npos;
           pos = body.find("<HOST>", pos + 6)) {
        ++r.records;
      }
      // The WARNING block (with the next page's URL) ends the answer.
      const std::string_view tail =
          std::string_view(body).substr(body.size() > 4096 ? body.size() - 4096
                                                           : 0);
      const auto url = tail.find("<URL><![CDATA[");
      if (url == std::string_view::npos) break;
      const auto start = url + 14;
      const auto end = tail.find("]]>", start);
      if (end == std::string_view::npos) {
        throw std::runtime_error(path + ": unterminated WARNING URL");
      }
      const std::string next =
          NextPagePathAndQuery(tail.substr(start, end - start));
      const auto q = next.find('?');
      std::string next_form =
          q == std::string::npos ? std::string() : next.substr(q + 1);
      if (next_form == form) {
        throw std::runtime_error(path + ": pagination does not advance");
      }
      path = next.substr(0, q);
      form = std::move(next_form);
    }
    return r;
  }

 private:
  Poco::URI uri_;
  std::string user_;
  std::string password_;
  Poco::Net::HTTPClientSession session_;
};

}  // namespace qx::bench
