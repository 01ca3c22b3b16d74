// Accepts the Prometheus flag spellings (--web.listen-address) for gflags
// names (--web_listen_address): dots and dashes in a flag's name become
// underscores; values are untouched.
#pragma once

#include <string>
#include <vector>

namespace qx {

std::vector<std::string> NormalizeFlagSpelling(int argc, char** argv);

}  // namespace qx
