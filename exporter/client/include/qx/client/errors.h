// Error types raised by the client and caught at the poll boundary.
#pragma once

#include <stdexcept>
#include <string>

namespace qx {

// The response body is not the XML we expect (malformed, truncated, HTML,
// too deeply nested, entity expansion ...). The message names what and where.
class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The API answered, but with an error: responseCode other than SUCCESS, a
// SIMPLE_RETURN error, or an HTTP status we do not retry.
class ApiError : public std::runtime_error {
 public:
  ApiError(const std::string& message, int http_status = 0,
           std::string api_code = {})
      : std::runtime_error(message),
        http_status_(http_status),
        api_code_(std::move(api_code)) {}
  int http_status() const { return http_status_; }
  const std::string& api_code() const { return api_code_; }

 private:
  int http_status_;
  std::string api_code_;
};

// Network-level failure (connect, TLS, timeout, reset) after retries.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace qx
