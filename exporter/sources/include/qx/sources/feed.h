// Feed: what a source asks the API for, and how a record folds into its
// store. IncrementalSync decides which walks to ask for; the Feed turns a
// walk into API pages and records.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qx/client/qps_search.h"

namespace qx {

// A "changed since" search field. lag_prone: the API stamps it before the
// record becomes visible (lastTestedDate is the scan's time; results are
// processed hours later), so a walk on it needs an overlap that covers the
// processing lag, not just clock skew.
struct ChangeField {
  std::string name;
  bool lag_prone = false;
};

// One walk: every record (no criteria) or the changed ones, optionally
// resumed after an id; limit_results 0 = the feed's page size.
struct WalkRequest {
  std::vector<Criterion> criteria;
  std::optional<std::uint64_t> after_id;
  std::uint32_t limit_results = 0;
};

using PageHook = std::function<void(const SearchProgress&)>;

// The QPS search a walk asks for: its criteria and resume point, pages of
// walk.limit_results (0: page_size) halved down to min_page_size when a
// gateway cannot serve them.
QpsSearchRequest QpsWalkRequest(const WalkRequest& walk, std::string path,
                                std::string endpoint_label,
                                std::uint32_t page_size,
                                std::uint32_t min_page_size);

// Newest value of each changed-since field among the records of a run, by
// the API's clock (ISO-8601 as sent; unparsable or empty is ignored).
class ChangeStamps {
 public:
  void Saw(std::string_view field, std::string_view iso_timestamp);
  void Clear() { newest_.clear(); }
  const std::map<std::string, std::int64_t, std::less<>>& newest() const {
    return newest_;
  }

 private:
  std::map<std::string, std::int64_t, std::less<>> newest_;
};

template <typename Store>
class Feed {
 public:
  virtual ~Feed() = default;
  // Source name: self-metrics label and state file prefix.
  virtual std::string_view name() const = 0;
  // The search path (its API family decides which rate limit applies).
  virtual std::string_view search_path() const = 0;
  // The changed-since fields, in the order incremental walks ask them.
  virtual std::vector<ChangeField> change_fields() const = 0;
  // Total records, asked before a full sync for progress; nullopt if the
  // API has no count for this feed or it failed (progress only).
  virtual std::optional<std::uint64_t> Count() { return std::nullopt; }
  // Walks every page of the request into `into`, reporting each record's
  // changed-since values to `stamps`; on_page after each page (may throw to
  // stop the walk: progress.last_id is then a safe resume point).
  virtual SearchProgress Walk(const WalkRequest& walk, Store& into,
                              ChangeStamps& stamps,
                              const PageHook& on_page) = 0;
};

}  // namespace qx
