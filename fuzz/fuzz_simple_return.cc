// libFuzzer target: ParseSimpleReturn (API v2 error / HTTP 409 bodies).
// The view covers exactly the fuzzer's buffer, so ASan flags any read past it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"
#include "qx/client/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  volatile std::size_t sink = 0;
  qx::fuzz::Parse([&] {
    if (auto sr = qx::ParseSimpleReturn(body)) {
      sink = sink + qx::fuzz::Touch(sr->code) + qx::fuzz::Touch(sr->text);
    }
  });
  return 0;
}
