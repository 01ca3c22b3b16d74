#include "qx/endpoint/listen_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace qx {

std::vector<ListenAddress> ParseListenAddresses(const std::string& text) {
  auto bad = [&](const std::string& addr, const std::string& why) {
    return std::invalid_argument("--web.listen-address '" + addr + "': " + why);
  };
  std::vector<ListenAddress> out;
  std::stringstream ss(text);
  std::string addr;
  while (std::getline(ss, addr, ',')) {
    addr.erase(0, addr.find_first_not_of(" \t"));
    addr.erase(addr.find_last_not_of(" \t") + 1);
    if (addr.empty()) continue;
    auto colon = addr.rfind(':');
    if (colon == std::string::npos)
      throw bad(addr, "expected host:port or :port");
    std::string host = addr.substr(0, colon);
    std::string port = addr.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(),
                     [](char ch) { return ch >= '0' && ch <= '9'; }) ||
        std::stoi(port) > 65535) {
      throw bad(addr, "invalid port '" + port + "'");
    }
    ListenAddress a;
    a.spelling = addr;
    a.port = static_cast<std::uint16_t>(std::stoi(port));
    if (host.empty()) {
      a.family = ListenAddress::Family::kDualStack;
    } else if (host == "localhost") {
      a.family = ListenAddress::Family::kIpv4;
      a.host = "127.0.0.1";
    } else if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      a.host = host.substr(1, host.size() - 2);
      unsigned char buf[16];
      if (inet_pton(AF_INET6, a.host.c_str(), buf) != 1) {
        throw bad(addr, "invalid IPv6 address " + host);
      }
      a.family = ListenAddress::Family::kIpv6;
    } else {
      unsigned char buf[4];
      if (inet_pton(AF_INET, host.c_str(), buf) != 1) {
        throw bad(addr,
                  "host must be an IP address, [IPv6] or localhost, not '" +
                      host + "'");
      }
      a.family = ListenAddress::Family::kIpv4;
      a.host = host;
    }
    out.push_back(std::move(a));
  }
  if (out.empty()) throw bad(text, "empty");
  // "[::]:p" next to an IPv4 address on port p: the IPv6 socket must not
  // also claim IPv4, or the IPv4 bind fails with "address in use".
  for (auto& a : out) {
    if (a.family != ListenAddress::Family::kIpv6) continue;
    a.ipv6_only =
        a.host != "::" ||
        std::any_of(out.begin(), out.end(), [&](const auto& b) {
          return b.port == a.port && b.family != ListenAddress::Family::kIpv6;
        });
  }
  return out;
}

}  // namespace qx
