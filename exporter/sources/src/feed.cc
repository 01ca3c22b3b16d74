#include "qx/sources/feed.h"

#include "qx/records/timestamp.h"

namespace qx {

QpsSearchRequest QpsWalkRequest(const WalkRequest& walk, std::string path,
                                std::string endpoint_label,
                                std::uint32_t page_size,
                                std::uint32_t min_page_size) {
  QpsSearchRequest req;
  req.path = std::move(path);
  req.endpoint_label = std::move(endpoint_label);
  req.limit_results = walk.limit_results ? walk.limit_results : page_size;
  req.min_limit_results = min_page_size;
  req.criteria = walk.criteria;
  req.start_after_id = walk.after_id;
  return req;
}

void ChangeStamps::Saw(std::string_view field, std::string_view timestamp) {
  auto t = ParseIsoTimestamp(timestamp);
  if (!t) return;
  auto it = newest_.find(field);
  if (it == newest_.end()) {
    newest_.emplace(std::string(field), *t);
  } else if (*t > it->second) {
    it->second = *t;
  }
}

}  // namespace qx
