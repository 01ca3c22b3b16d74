// libFuzzer target: ParseHostDetectionPage over arbitrary bytes (API v2
// HOST_LIST_VM_DETECTION_OUTPUT, SIMPLE_RETURN errors, DOCTYPEs). Checks
// that the page info agrees with the hosts handed out.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_common.h"
#include "qx/client/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  volatile std::size_t sink = 0;
  std::uint64_t hosts = 0;
  std::uint64_t detections = 0;
  std::uint64_t last_id = 0;
  qx::fuzz::Parse([&] {
    const qx::HostDetectionPageInfo info =
        qx::ParseHostDetectionPage(in, [&](qx::DetectionHost&& h) {
          ++hosts;
          last_id = h.id;
          std::size_t x = h.id + h.asset_id + qx::fuzz::Touch(h.ip) +
                          qx::fuzz::Touch(h.tracking_method) +
                          qx::fuzz::Touch(h.last_vm_scanned_date);
          for (const qx::HostDetection& d : h.detections) {
            ++detections;
            x += qx::DetectionKey(d) + d.qid + d.port +
                 static_cast<std::size_t>(d.severity) +
                 qx::fuzz::Touch(d.protocol) + qx::fuzz::Touch(d.last_update) +
                 qx::fuzz::Touch(qx::DetectionStatusName(d.status)) +
                 qx::fuzz::Touch(qx::DetectionTypeLabel(d.type)) +
                 qx::CountsAsHostVulnerability(d);
            if (qx::CountsAsHostVulnerability(d) && !qx::IsOpenDetection(d)) {
              qx::fuzz::Finding("a counted detection that is not open");
            }
          }
          sink = sink + x;
        });
    if (info.hosts != hosts || info.detections != detections ||
        (hosts > 0) != info.last_host_id.has_value() ||
        (info.last_host_id && *info.last_host_id != last_id)) {
      qx::fuzz::Finding("page info disagrees with the hosts handed out");
    }
    sink = sink + qx::fuzz::Touch(info.datetime) +
           qx::fuzz::Touch(info.warning_code) +
           qx::fuzz::Touch(info.warning_text) + qx::fuzz::Touch(info.next_url);
  });
  return 0;
}
