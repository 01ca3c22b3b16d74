// Writers of the Host List Detection API's XML (render_detection.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "qx/sim/host_detections.h"
#include "qx/sim/xml_writer.h"

namespace qx::sim {

struct DetectionRenderOptions {
  bool show_results = true;
  bool show_asset_id = false;
};

// <?xml?>, the DOCTYPE line and the comment before the root.
std::string DetectionDocumentHead();
// The comments after the root.
std::string DetectionDocumentTail();
// One <HOST> with its DETECTION_LIST.
void WriteDetectionHost(XmlWriter& w, const HostAssetGenerator& gen,
                        const DetectionHostRec& host,
                        const DetectionRenderOptions& opts);
// RESPONSE/WARNING: CODE 1980, TEXT, URL of the next page (CDATA).
void WriteDetectionWarning(XmlWriter& w, std::uint64_t limit,
                           std::string_view next_url);

}  // namespace qx::sim
