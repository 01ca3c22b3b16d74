// LLVMFuzzerInitialize, linked into every fuzz target (fuzz_common.h: Init).
#include "fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qx::fuzz::Init();
  return 0;
}
