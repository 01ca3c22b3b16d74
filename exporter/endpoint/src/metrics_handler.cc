#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "handlers.h"

namespace qx {
namespace {

constexpr std::string_view kTextFormat =
    "text/plain; version=0.0.4; charset=utf-8";

void WriteAll(Poco::Net::StreamSocket& socket, std::string_view data) {
  while (!data.empty()) {
    // Poco's sendBytes takes an int; a TLS socket writes it whole.
    const int chunk = static_cast<int>(
        std::min<std::size_t>(data.size(), std::size_t{1} << 24));
    const int sent = socket.sendBytes(data.data(), chunk);
    if (sent <= 0) throw Poco::IOException("connection closed while sending");
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
}

// Holds one of the max_in_flight scrape slots.
class Slot {
 public:
  Slot(std::atomic<int>& in_flight, int max)
      : in_flight_(in_flight), ok_(in_flight.fetch_add(1) < max || max <= 0) {}
  ~Slot() { in_flight_.fetch_sub(1); }
  bool ok() const { return ok_; }

 private:
  std::atomic<int>& in_flight_;
  bool ok_;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool AcceptsGzip(std::string_view value) {
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string_view item = Trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view()
                                            : value.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view coding = Trim(item.substr(0, semi));
    if (!EqualsNoCase(coding, "gzip") && coding != "*") continue;
    bool zero_q = false;
    if (semi != std::string_view::npos) {
      std::string_view param = Trim(item.substr(semi + 1));
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') &&
          param[1] == '=') {
        std::string_view q = Trim(param.substr(2));
        zero_q = !q.empty() && std::all_of(q.begin(), q.end(), [](char c) {
          return c == '0' || c == '.';
        });
      }
    }
    if (!zero_q) return true;
  }
  return false;
}

MetricsHandler::MetricsHandler(
    std::function<Exposition()> snapshot,
    std::shared_ptr<prometheus::Registry> self_metrics, int max_in_flight)
    : snapshot_(std::move(snapshot)),
      self_metrics_(std::move(self_metrics)),
      max_in_flight_(max_in_flight) {}

int MetricsHandler::Serve(Exchange& ex) {
  Slot slot(in_flight_, max_in_flight_);
  if (!slot.ok()) {
    ex.response.set("Retry-After", "1");
    SendText(ex, Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
             "text/plain; charset=utf-8",
             "Too many concurrent scrapes (--web.max-requests)\n");
    return 503;
  }
  const Exposition blocks = snapshot_ ? snapshot_() : Exposition{};
  // The self-metrics are small and change all the time: rendered per scrape.
  std::string tail;
  if (self_metrics_) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, self_metrics_->Collect());
    tail = std::move(out).str();
  }
  const bool gzip = AcceptsGzip(ex.request.get("Accept-Encoding", ""));
  ex.response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
  ex.response.setContentType(std::string(kTextFormat));
  ex.response.set("Vary", "Accept-Encoding");
  std::uint64_t length = 0;
  DeflatedPiece tail_gz;
  if (gzip) {
    tail_gz = Deflate(tail, /*final=*/true, RenderedBlock::kGzipLevel);
    length = GzipStream::Header().size() + tail_gz.bytes.size() + 8;
    for (const auto& b : blocks) length += b->deflated().bytes.size();
    ex.response.set("Content-Encoding", "gzip");
  } else {
    length = tail.size();
    for (const auto& b : blocks) length += b->text().size();
  }
  ex.response.setContentLength64(static_cast<Poco::Int64>(length));
  std::ostream& headers = ex.response.send();
  headers.flush();
  if (ex.head) return 200;
  if (gzip) {
    GzipStream stream;
    WriteAll(ex.socket, GzipStream::Header());
    for (const auto& b : blocks) {
      WriteAll(ex.socket, b->deflated().bytes);
      stream.Add(b->deflated());
    }
    WriteAll(ex.socket, tail_gz.bytes);
    stream.Add(tail_gz);
    WriteAll(ex.socket, stream.Trailer());
  } else {
    for (const auto& b : blocks) WriteAll(ex.socket, b->text());
    WriteAll(ex.socket, tail);
  }
  return 200;
}

}  // namespace qx
