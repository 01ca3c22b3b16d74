// The web config file: top level, http_server_config, basic_auth_users and
// rate_limit (tls_server_config is in web_config_tls.cc).
#include "qx/endpoint/web_config.h"

#include <crypt.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "qx/cli/duration.h"
#include "tls_material.h"
#include "web_config_parse.h"
#include "yaml_fields.h"

namespace qx {

using namespace yaml_fields;  // NOLINT(build/namespaces): parser helpers

namespace {

// $2a$ / $2b$ / $2y$, two-digit cost 04..31, 22 salt + 31 hash characters.
bool LooksLikeBcrypt(const std::string& h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' ||
      h[6] != '$') {
    return false;
  }
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (!std::isdigit(static_cast<unsigned char>(h[4])) ||
      !std::isdigit(static_cast<unsigned char>(h[5]))) {
    return false;
  }
  int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (std::size_t i = 7; i < h.size(); ++i) {
    char c = h[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/'))
      return false;
  }
  return crypt_checksalt(h.c_str()) == CRYPT_SALT_OK;
}

// exporter-toolkit's extraHTTPHeaders: the headers the file may set and,
// where the value is an enumeration, its allowed values.
const std::map<std::string, std::set<std::string>>& AllowedHeaders() {
  static const std::map<std::string, std::set<std::string>> m = {
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return m;
}

void ParseHttpServerConfig(const std::string& path, const YAML::Node& h,
                           WebConfig& c) {
  static const std::set<std::string> kHttp = {"http2", "headers"};
  CheckKeys(path, "http_server_config", h, &kHttp);
  if (GetBool(path, "http_server_config.http2", h["http2"], false)) {
    Fail(path, "http_server_config.http2",
         "not supported by qualys-exporter: it serves HTTP/1.1 only; remove "
         "the field or set it to false",
         h["http2"]);
  }
  if (!GetMap(path, "http_server_config.headers", h["headers"])) return;
  CheckKeys(path, "http_server_config.headers", h["headers"], nullptr);
  for (const auto& kv : h["headers"]) {
    const std::string name = kv.first.Scalar();
    const std::string field = "http_server_config.headers." + name;
    auto allowed = AllowedHeaders().find(name);
    if (allowed == AllowedHeaders().end()) {
      std::string names;
      for (const auto& [n, v] : AllowedHeaders())
        names += (names.empty() ? "" : ", ") + n;
      Fail(path, field,
           "this header cannot be configured (allowed: " + names + ")",
           kv.first);
    }
    const std::string value = GetString(path, field, kv.second);
    for (char ch : value) {
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
        Fail(path, field, "control characters are not allowed", kv.second);
      }
    }
    if (!allowed->second.empty() && !allowed->second.count(value)) {
      std::string values;
      for (const auto& v : allowed->second)
        values += (values.empty() ? "" : ", ") + v;
      Fail(path, field,
           "invalid value '" + value + "' (one of: " + values + ")", kv.second);
    }
    c.headers[name] = value;
  }
}

void ParseUsers(const std::string& path, const YAML::Node& users,
                WebConfig& c) {
  CheckKeys(path, "basic_auth_users", users, nullptr);  // unique names
  for (const auto& kv : users) {
    const std::string user = kv.first.Scalar();
    const std::string field = "basic_auth_users." + user;
    if (user.find(':') != std::string::npos) {
      Fail(path, field, "user names cannot contain ':' in HTTP Basic auth",
           kv.first);
    }
    if (!kv.second.IsScalar()) {
      Fail(path, field, "must be a bcrypt hash string", kv.second);
    }
    const std::string hash = kv.second.Scalar();
    if (!LooksLikeBcrypt(hash)) {
      Fail(path, field,
           "not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31, 60 characters; "
           "e.g. htpasswd -nBC 10 \"\" | tr -d ':\\n')",
           kv.second);
    }
    c.basic_auth_users[user] = hash;
  }
}

void ParseRateLimit(const std::string& path, const YAML::Node& r,
                    WebConfig& c) {
  static const std::set<std::string> kRate = {"interval", "burst"};
  CheckKeys(path, "rate_limit", r, &kRate);
  RateLimitConfig rl;
  std::string interval = GetString(path, "rate_limit.interval", r["interval"]);
  if (!interval.empty() && interval != "0") {
    auto d = ParseDuration(interval);
    if (!d || d->count() < 0) {
      Fail(path, "rate_limit.interval", "invalid duration '" + interval + "'",
           r["interval"]);
    }
    rl.interval = *d;
  }
  if (!IsAbsent(r["burst"])) {
    int burst = 0;
    if (!r["burst"].IsScalar() ||
        !YAML::convert<int>::decode(r["burst"], burst)) {
      Fail(path, "rate_limit.burst", "must be an integer", r["burst"]);
    }
    rl.burst = burst;
  }
  if (rl.interval.count() > 0) {
    if (rl.burst < 1) {
      Fail(path, "rate_limit.burst",
           "must be at least 1 (0 would reject every request)", r["burst"]);
    }
    c.rate_limit = rl;
  }
}

}  // namespace

std::string ClientAuthName(ClientAuthType a) {
  for (const auto& [name, v] : tls::ClientAuthNames()) {
    if (v == a && name != "RequireClientCert") return name;
  }
  return "?";
}

WebConfig ParseWebConfig(const std::string& yaml_text,
                         const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("web config " + path +
                             ": invalid YAML: " + e.what());
  }
  WebConfig c;
  c.path = path;
  if (IsAbsent(root)) return c;  // an empty file: plain HTTP, no auth
  if (!root.IsMap()) Fail(path, "(top level)", "must be a mapping", root);
  static const std::set<std::string> kTop = {"tls_server_config",
                                             "http_server_config",
                                             "basic_auth_users", "rate_limit"};
  CheckKeys(path, "", root, &kTop);
  if (GetMap(path, "tls_server_config", root["tls_server_config"])) {
    c.tls = ParseTlsServerConfig(path, root["tls_server_config"]);
  }
  if (GetMap(path, "http_server_config", root["http_server_config"])) {
    ParseHttpServerConfig(path, root["http_server_config"], c);
  }
  if (GetMap(path, "basic_auth_users", root["basic_auth_users"])) {
    ParseUsers(path, root["basic_auth_users"], c);
  }
  if (GetMap(path, "rate_limit", root["rate_limit"])) {
    ParseRateLimit(path, root["rate_limit"], c);
  }
  return c;
}

WebConfig LoadWebConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("web config " + path +
                             ": cannot read: " + std::strerror(errno));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return ParseWebConfig(s.str(), path);
}

}  // namespace qx
