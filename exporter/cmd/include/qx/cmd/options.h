// Options: everything the command line and the environment configure, read
// once from the flags into one struct (durations parsed, credentials
// loaded from the environment or a file, never from argv).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "qx/client/http_transport.h"
#include "qx/client/qualys_client.h"
#include "qx/endpoint/metrics_server.h"
#include "qx/sources/sources.h"

namespace qx {

// A flag or environment value that cannot work; the message names it and
// what is accepted. main exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Options {
  TransportOptions transport;
  RetryPolicy retry;
  int max_concurrency = 1;
  SourceOptions sources;
  std::chrono::milliseconds poll_interval{30 * 60 * 1000};
  MetricsServerOptions web;
  bool once = false;
  bool check = false;
  bool demo = false;
  // Empty with --demo (the embedded simulator's own are used).
  std::optional<Credentials> credentials;
};

// Reads the parsed flags and the environment. Throws UsageError.
Options OptionsFromFlags();

}  // namespace qx
