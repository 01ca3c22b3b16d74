// QPS search pagination as the API behaves since release 3.2.
//
// Candidates (records within the id bounds of the query) are scanned in id
// order, one window of limitResults candidates per page; the page returns the
// candidates of its window that match the other criteria, so a page may hold
// fewer records than the limit, or none, and still report
// hasMoreRecords=true with the lastId of its window.
//
// In addition every `empty_every`-th page is an empty page that only
// advances lastId over the (record-free) id gap in front of the next
// candidate. Its lastId sits in that gap, so the follow-up request (id
// GREATER that value) recognizes it and is served normally: a client that
// keeps going loses nothing, a client that stops on count 0 misses records.
#pragma once

#include <cstdint>
#include <optional>

namespace qx::sim {

struct PagePlan {
  std::uint64_t window_begin = 0;  // candidate positions [begin, end)
  std::uint64_t window_end = 0;
  bool forced_empty = false;
  bool has_more = false;
  std::optional<std::uint64_t> last_id;
};

// begin/end: candidate positions inside the query's id bounds. id_of(pos)
// must be strictly increasing with gaps of at least 2. after_id: the value of
// the request's "id GREATER" criterion, if any.
template <typename IdOf>
PagePlan PlanPage(std::uint64_t begin, std::uint64_t end, std::uint64_t limit,
                  std::uint64_t empty_every,
                  std::optional<std::uint64_t> after_id, IdOf&& id_of) {
  PagePlan plan;
  if (limit == 0) limit = 1;
  if (begin >= end) {
    plan.window_begin = plan.window_end = begin;
    return plan;
  }
  const std::uint64_t gap_id = id_of(begin) - 1;
  if (empty_every > 0 && (begin / limit) % empty_every == empty_every - 1 &&
      after_id != gap_id) {
    plan.window_begin = plan.window_end = begin;
    plan.forced_empty = true;
    plan.has_more = true;
    plan.last_id = gap_id;
    return plan;
  }
  plan.window_begin = begin;
  plan.window_end = end - begin > limit ? begin + limit : end;
  plan.has_more = plan.window_end < end;
  plan.last_id = id_of(plan.window_end - 1);
  return plan;
}

// Dense paging: like PlanPage, but the window grows until it holds `limit`
// candidates that match(pos), so pages are full whatever the criteria;
// hasMoreRecords is true only if another match follows. The caller filters
// the window with the same predicate.
template <typename IdOf, typename Match>
PagePlan PlanDensePage(std::uint64_t begin, std::uint64_t end,
                       std::uint64_t limit, std::uint64_t empty_every,
                       std::optional<std::uint64_t> after_id, IdOf&& id_of,
                       Match&& match) {
  PagePlan plan = PlanPage(begin, end, limit, empty_every, after_id, id_of);
  if (plan.forced_empty || begin >= end) return plan;
  if (limit == 0) limit = 1;
  std::uint64_t found = 0;
  std::uint64_t pos = begin;
  for (; pos < end && found < limit; ++pos) {
    if (match(pos)) ++found;
  }
  plan.window_end = pos;
  plan.last_id = id_of(pos - 1);
  plan.has_more = false;
  for (; pos < end; ++pos) {
    if (match(pos)) {
      plan.has_more = true;
      break;
    }
  }
  return plan;
}

}  // namespace qx::sim
