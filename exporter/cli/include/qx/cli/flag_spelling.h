// Command-line spelling helpers run before gflags sees argv.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qx {

// Accepts the Prometheus flag spellings (--web.listen-address) for gflags
// names (--web_listen_address): dots and dashes in a flag's name become
// underscores; values are untouched.
std::vector<std::string> NormalizeFlagSpelling(int argc, char** argv);

// gflags keeps only the last of a repeated string flag. For flags that may
// be given several times (--web.listen-address, as in Prometheus), joins
// every occurrence of `name` (already normalized: --name=v, --name v, -name
// v) into one "--name=v1,v2" at the place of the first; other arguments are
// untouched, and nothing after a bare "--" is read.
void JoinRepeatedFlag(std::vector<std::string>& args, std::string_view name);

}  // namespace qx
