// libFuzzer target: ParseKnowledgeBase over arbitrary bytes (API v2
// KNOWLEDGE_BASE_VULN_LIST_OUTPUT, SIMPLE_RETURN errors, DOCTYPEs).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_common.h"
#include "qx/client/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  volatile std::size_t sink = 0;
  qx::fuzz::Parse([&] {
    qx::ParseKnowledgeBase(in, [&](qx::KnowledgeBaseEntry&& e) {
      sink = sink + e.qid + static_cast<std::size_t>(e.severity) +
             qx::fuzz::Touch(e.title) +
             qx::fuzz::Touch(e.last_service_modification);
    });
  });
  return 0;
}
