// KnowledgeBase (API v2) lookups: QID -> severity, in batches, as a POST
// form (a long ids list in a GET URL fails with HTTP 414).
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "qx/client/qualys_client.h"
#include "qx/records/records.h"

namespace qx {

inline constexpr char kKnowledgeBasePath[] = "/api/2.0/fo/knowledge_base/vuln/";

// Fetches the given QIDs, batch_size per call; calls on_entry for every VULN
// the KB returns (QIDs it does not know are simply absent). Returns the
// number of API calls made.
std::uint64_t FetchKnowledgeBase(
    QualysClient& client, std::span<const std::uint64_t> qids,
    std::size_t batch_size,
    const std::function<void(KnowledgeBaseEntry&&)>& on_entry);

}  // namespace qx
