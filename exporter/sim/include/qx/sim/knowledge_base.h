// The simulated Qualys KnowledgeBase: QID -> severity, title, category...
// It is global (the same for every seed), like the real KnowledgeBase.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "qx/sim/time_util.h"

namespace qx::sim {

struct KbEntry {
  std::uint64_t qid;
  int severity;                // SEVERITY_LEVEL 1-5
  std::string_view vuln_type;  // Vulnerability | Potential Vulnerability |
                               // Information Gathered
  std::string_view category;   // CATEGORY
  std::string_view title;      // TITLE (sent as CDATA)
  Seconds published;           // PUBLISHED_DATETIME
  Seconds modified;            // LAST_SERVICE_MODIFICATION_DATETIME
  bool patchable;
  std::string_view cve;  // "" when none
  double cvss3_base;     // 0 when none
};

// Every KB entry, ascending by QID.
std::span<const KbEntry> KnowledgeBaseEntries();
// nullptr when the QID is not in the KnowledgeBase.
const KbEntry* FindKbEntry(std::uint64_t qid);

// QIDs host assets are detected with (~60). A few of them are deliberately
// absent from the KnowledgeBase (see IsUnknownHostQid).
std::span<const std::uint64_t> HostQidPool();
bool IsUnknownHostQid(std::uint64_t qid);

}  // namespace qx::sim
