// --check: a first-run diagnostic against the configured Qualys platform.
// One small call per check (authentication, each endpoint, each search
// criterion and operator the exporter relies on, one page of each source
// with its size and time, the rate-limit headers per API, KnowledgeBase
// access), one line per check: ok, warn (the exporter copes, e.g. falls
// back from a refused criterion) or FAIL, what was seen and what to do.
// Never prints credentials.
#pragma once

#include <ostream>

#include "qx/client/qualys_client.h"
#include "qx/cmd/options.h"

namespace qx {

// True if the exporter can run (no FAIL).
bool RunChecks(QualysClient& client, const Options& options, std::ostream& out);

}  // namespace qx
