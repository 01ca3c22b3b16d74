#include "yaml_fields.h"

#include <stdexcept>

namespace qx::yaml_fields {

void Fail(const std::string& path, const std::string& field,
          const std::string& message) {
  throw std::runtime_error("web config " + path + ": " + field + ": " +
                           message);
}

void Fail(const std::string& path, const std::string& field,
          const std::string& message, const YAML::Node& node) {
  if (node.IsDefined() && node.Mark().line >= 0) {
    Fail(path, field + " (line " + std::to_string(node.Mark().line + 1) + ")",
         message);
  }
  Fail(path, field, message);
}

std::string Join(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

void CheckKeys(const std::string& path, const std::string& prefix,
               const YAML::Node& node, const std::set<std::string>* known,
               const std::map<std::string, std::string>& unsupported) {
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      Fail(path, prefix.empty() ? "(top level)" : prefix,
           "keys must be strings", kv.first);
    }
    const std::string key = kv.first.Scalar();
    const std::string field = Join(prefix, key);
    if (!seen.insert(key).second) Fail(path, field, "duplicate key", kv.first);
    if (auto it = unsupported.find(key); it != unsupported.end()) {
      Fail(path, field, "not supported by qualys-exporter: " + it->second,
           kv.first);
    }
    if (known && !known->count(key)) {
      Fail(path, field, "unknown field (see docs/web-config.md)", kv.first);
    }
  }
}

bool IsAbsent(const YAML::Node& n) { return !n.IsDefined() || n.IsNull(); }

std::string GetString(const std::string& path, const std::string& field,
                      const YAML::Node& n) {
  if (IsAbsent(n)) return "";
  if (!n.IsScalar()) Fail(path, field, "must be a string", n);
  return n.Scalar();
}

bool GetBool(const std::string& path, const std::string& field,
             const YAML::Node& n, bool fallback) {
  if (IsAbsent(n)) return fallback;
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
    Fail(path, field, "must be true or false", n);
  }
  return v;
}

std::vector<std::string> GetStrings(const std::string& path,
                                    const std::string& field,
                                    const YAML::Node& n) {
  std::vector<std::string> out;
  if (IsAbsent(n)) return out;
  if (!n.IsSequence()) Fail(path, field, "must be a list of strings", n);
  for (const auto& e : n) {
    if (!e.IsScalar()) Fail(path, field, "must be a list of strings", e);
    out.push_back(e.Scalar());
  }
  return out;
}

bool GetMap(const std::string& path, const std::string& field,
            const YAML::Node& n) {
  if (IsAbsent(n)) return false;
  if (!n.IsMap()) Fail(path, field, "must be a mapping", n);
  return true;
}

}  // namespace qx::yaml_fields
