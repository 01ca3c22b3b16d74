// FakeTransport: an HttpTransport that answers from a script and records
// what was asked, so the client, the pager and the sources can be tested
// without a network. Harness wires it into a QualysClient whose backoff
// sleeps are recorded instead of slept.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "qx/client/errors.h"
#include "qx/client/http_transport.h"
#include "qx/client/qualys_client.h"
#include "recording_telemetry.h"

namespace qx::testing {

struct Scripted {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/xml";
  bool transport_error = false;
  std::optional<std::uint64_t> content_length;  // lie to simulate truncation
};

class FakeTransport : public HttpTransport {
 public:
  std::deque<Scripted> script;
  std::vector<HttpRequest> requests;

  void Send(const HttpRequest& request,
            const ResponseHandler& on_response) override {
    requests.push_back(request);
    if (script.empty()) throw std::logic_error("unexpected request");
    Scripted s = script.front();
    script.pop_front();
    if (s.transport_error) throw TransportError("connection reset by peer");
    HttpResponseHead head;
    head.status = s.status;
    head.content_type = s.content_type;
    head.headers = s.headers;
    head.content_length = s.content_length ? s.content_length : s.body.size();
    std::istringstream body(s.body);
    on_response(head, body);
  }
};

struct Harness {
  FakeTransport* transport;
  RecordingTelemetry observer;
  std::vector<std::chrono::milliseconds> sleeps;
  std::shared_ptr<QualysClient> client;

  Harness() {
    auto t = std::make_unique<FakeTransport>();
    transport = t.get();
    RetryPolicy retry;
    retry.max_attempts = 4;
    client = std::make_shared<QualysClient>(
        std::move(t), Credentials{"user", "s3cret-pw"}, retry, &observer,
        [this](std::chrono::milliseconds d) { sleeps.push_back(d); });
  }
};

// A QPS ServiceResponse page around the given records.
inline std::string HostPage(std::string body_records, bool more,
                            std::optional<std::uint64_t> last_id, int count) {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ServiceResponse>"
      "<responseCode>SUCCESS</responseCode><count>" +
      std::to_string(count) + "</count>";
  s += std::string("<hasMoreRecords>") + (more ? "true" : "false") +
       "</hasMoreRecords>";
  if (last_id) s += "<lastId>" + std::to_string(*last_id) + "</lastId>";
  if (!body_records.empty()) s += "<data>" + body_records + "</data>";
  return s + "</ServiceResponse>";
}

// A minimal HostAsset record.
inline std::string Host(std::uint64_t id) {
  return "<HostAsset><id>" + std::to_string(id) + "</id><name>h" +
         std::to_string(id) + "</name></HostAsset>";
}

}  // namespace qx::testing
