// Shared front and page header of the simulator's QPS search handlers
// (host assets, findings, scan schedules, web apps).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "qx/sim/http_util.h"
#include "qx/sim/pagination.h"
#include "qx/sim/service_request.h"
#include "qx/sim/simulator.h"
#include "qx/sim/xml_writer.h"

namespace qx::sim {

struct QpsSearch {
  ServiceRequest request;
  Query query;
};

// POST check, ServiceRequest parsing and criteria compilation against
// `fields`. Sends the QPS error answer and returns nullopt on failure.
std::optional<QpsSearch> ParseQpsSearch(HttpIo io, std::string_view xsd,
                                        std::span<const FieldSpec> fields);
// limitResults, defaulting to 100 and capped by the options.
std::uint64_t QpsPageLimit(const ServiceRequest& req, const SimOptions& opts);
// <?xml?><ServiceResponse ...> with responseCode, count, hasMoreRecords and
// lastId; the caller adds <data> and closes.
void WriteQpsPageHeader(XmlWriter& w, std::string_view xsd, std::size_t count,
                        const PagePlan& plan);

// Positions [begin, end) of the records inside the query's id bounds.
template <typename LowerBound>
std::pair<std::uint64_t, std::uint64_t> QpsBounds(const Query& q,
                                                  std::uint64_t size,
                                                  LowerBound&& lower_bound) {
  const std::uint64_t begin = lower_bound(q.min_id());
  const std::uint64_t end =
      q.max_id() == UINT64_MAX ? size : lower_bound(q.max_id() + 1);
  return {begin, end > begin ? end : begin};
}

}  // namespace qx::sim
