// --web.listen-address: where the endpoints are served.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qx {

struct ListenAddress {
  enum class Family { kDualStack, kIpv4, kIpv6 };
  std::string spelling;  // as given, for messages
  Family family = Family::kDualStack;
  std::string host;  // IP literal without brackets; empty: any
  std::uint16_t port = 0;
  // IPv6 sockets: accept IPv6 only (not IPv4-mapped connections).
  bool ipv6_only = false;
};

// Prometheus spellings, comma-separated (the flag may also be repeated; the
// command line joins the occurrences):
//   ":9786"           every interface, IPv4 and IPv6 (IPv4 alone when the
//                     machine has no IPv6)
//   "0.0.0.0:9786", "127.0.0.1:9786"   IPv4
//   "[::]:9786", "[::1]:9786"          IPv6; "[::]" also accepts IPv4
//                     unless an IPv4 address on the same port is listed too
//   "localhost:9786"  127.0.0.1
// Port 0 picks a free port. Throws std::invalid_argument naming the flag.
std::vector<ListenAddress> ParseListenAddresses(const std::string& text);

}  // namespace qx
