// Shared by the libFuzzer targets: quiet logging, the expected outcomes of a
// parse (ParseError, ApiError) and what makes anything else a finding.
//
// Any other exception is a finding. It is deliberately not caught: with no
// handler anywhere, the C++ runtime calls std::terminate before unwinding, so
// the terminate handler below runs on the stack of the throw and the abort it
// raises makes libFuzzer/ASan print that stack and save the reproducer.
#pragma once

#include <Poco/Exception.h>
#include <cxxabi.h>
#include <glog/logging.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <unordered_set>
#include <vector>

#include "qx/client/errors.h"
#include "qx/client/parsers.h"
#include "qx/records/records.h"

namespace qx::fuzz {

inline std::string Demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(name);
}

[[noreturn]] inline void Finding(const std::string& what) {
  std::fprintf(stderr, "==FUZZ FINDING== %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

[[noreturn]] inline void OnTerminate() {
  std::string what = "std::terminate without an active exception";
  if (std::exception_ptr ep = std::current_exception()) {
    try {
      std::rethrow_exception(ep);
    } catch (const Poco::Exception& e) {
      what = "uncaught " + Demangle(typeid(e).name()) + ": " + e.displayText();
    } catch (const std::exception& e) {
      what = "uncaught " + Demangle(typeid(e).name()) + ": " + e.what();
    } catch (...) {
      what = "uncaught exception of a non-std type";
    }
  }
  Finding(what + " (expected only qx::ParseError or qx::ApiError)");
}

// Called by LLVMFuzzerInitialize (fuzz_init.cc).
inline void Init() {
  // Parsers may log malformed input; at millions of runs that is noise.
  // GLOG_minloglevel=0 in the environment brings the logs back for a replay.
  if (std::getenv("GLOG_minloglevel") == nullptr) FLAGS_minloglevel = 3;
  FLAGS_logtostderr = true;
  std::set_terminate(OnTerminate);
}

// Runs one parse. ParseError and ApiError are how a parser rejects input;
// everything else propagates (see above).
template <typename F>
void Parse(F&& parse) {
  try {
    parse();
  } catch (const qx::ParseError&) {
  } catch (const qx::ApiError&) {
  }
}

// Reads every byte of a string so ASan sees a dangling or overrun one.
inline std::size_t Touch(std::string_view s) {
  std::size_t h = s.size();
  for (char c : s) h = h * 131 + static_cast<unsigned char>(c);
  return h;
}

// The QPS envelope of a page.
inline std::size_t TouchPageInfo(const QpsPageInfo& info) {
  return Touch(info.response_code) + Touch(info.error_message) +
         info.count.value_or(0) + info.last_id.value_or(0) +
         info.has_more_records;
}

// ParseKeywordPayload promises unique links per regex.
inline std::size_t CheckKeywordMatches(
    const std::vector<KeywordMatch>& matches) {
  std::size_t h = 0;
  for (const auto& m : matches) {
    h += Touch(m.regex);
    std::unordered_set<std::string_view> seen;
    for (const auto& link : m.links) {
      h += Touch(link);
      if (!seen.insert(link).second) {
        Finding("duplicate link \"" + link + "\" for regex \"" + m.regex +
                "\" (links must be unique per regex)");
      }
    }
  }
  return h;
}

}  // namespace qx::fuzz
