#include "detection_feed.h"

#include "qx/client/errors.h"
#include "qx/records/timestamp.h"

namespace qx {

SearchProgress DetectionFeed::Walk(const WalkRequest& walk,
                                   HostDetectionStore& into,
                                   ChangeStamps& stamps,
                                   const PageHook& on_page) {
  HostDetectionRequest req;
  req.truncation_limit =
      walk.limit_results ? walk.limit_results : options_.detection_page_size;
  for (const Criterion& c : walk.criteria) {
    if (c.field != kVmProcessedAfter || c.op != "GREATER") {
      throw ApiError("detection: cannot ask " + c.field + " " + c.op, 400);
    }
    req.vm_processed_after = c.value;
  }
  if (walk.after_id) req.id_min = *walk.after_id + 1;
  SearchProgress progress;
  progress.limit_results = req.truncation_limit;
  progress.last_id = walk.after_id;
  auto p = FetchHostDetections(
      client_, req,
      [&](DetectionHost&& host) {
        // A detection without SEVERITY takes the KnowledgeBase's, if known.
        for (HostDetection& d : host.detections) {
          if (d.severity != 0 || !CountsAsHostVulnerability(d)) continue;
          if (auto s = kb_.Severity(d.qid); s && *s > 0) {
            d.severity = *s;
          } else {
            unknown_.insert(d.qid);
          }
        }
        into.Apply(host, HostDetectionStore::Merge::kReplace);
      },
      [&](const HostDetectionProgress& hp) {
        if (hp.pages == 1) {
          stamps.Saw(kVmProcessedAfter, hp.first_datetime);
          if (auto t = ParseIsoTimestamp(hp.first_datetime)) api_now_ = *t;
        }
        progress.pages = hp.pages;
        progress.records = hp.hosts;
        progress.last_id = hp.last_host_id;
        progress.done = hp.done;
        on_page(progress);
      });
  progress.pages = p.pages;
  progress.records = p.hosts;
  progress.done = true;
  return progress;
}

}  // namespace qx
