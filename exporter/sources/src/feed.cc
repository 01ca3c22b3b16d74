#include "qx/sources/feed.h"

#include "qx/records/timestamp.h"

namespace qx {

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
