// Parser pieces shared by web_config.cc and web_config_tls.cc.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "qx/endpoint/web_config.h"

namespace qx {

// tls_server_config (a mapping): nullopt when no field enables TLS. Loads
// the certificate, key and client CAs to check them.
std::optional<TlsServerConfig> ParseTlsServerConfig(const std::string& path,
                                                    const YAML::Node& n);

}  // namespace qx
