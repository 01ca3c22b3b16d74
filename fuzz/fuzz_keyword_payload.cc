// libFuzzer target: ParseKeywordPayload (QID 150141 "Regex: ..." text).
// The view covers exactly the fuzzer's buffer, so ASan flags any read past it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"
#include "qx/client/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  volatile std::size_t sink = 0;
  qx::fuzz::Parse([&] {
    sink = sink + qx::fuzz::CheckKeywordMatches(qx::ParseKeywordPayload(text));
  });
  return 0;
}
