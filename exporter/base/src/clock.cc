#include "qx/base/clock.h"

#include <chrono>

namespace qx {

double SystemClockSeconds() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace qx
