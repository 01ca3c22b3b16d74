// Strict YAML field access for the web config parser: every error names the
// file, the dotted field and, when known, the line.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace qx::yaml_fields {

[[noreturn]] void Fail(const std::string& path, const std::string& field,
                       const std::string& message);
// The same, with the line of `node` when it is in the file.
[[noreturn]] void Fail(const std::string& path, const std::string& field,
                       const std::string& message, const YAML::Node& node);

std::string Join(const std::string& prefix, const std::string& key);

// Checks a mapping: keys are unique strings, each known (unless known is
// null). `unsupported` maps a field the format defines but this exporter
// cannot honour to the reason.
void CheckKeys(const std::string& path, const std::string& prefix,
               const YAML::Node& node, const std::set<std::string>* known,
               const std::map<std::string, std::string>& unsupported = {});

bool IsAbsent(const YAML::Node& n);
std::string GetString(const std::string& path, const std::string& field,
                      const YAML::Node& n);
bool GetBool(const std::string& path, const std::string& field,
             const YAML::Node& n, bool fallback);
std::vector<std::string> GetStrings(const std::string& path,
                                    const std::string& field,
                                    const YAML::Node& n);
// Mapping (true) or absent/null (false); anything else is an error.
bool GetMap(const std::string& path, const std::string& field,
            const YAML::Node& n);

}  // namespace qx::yaml_fields
