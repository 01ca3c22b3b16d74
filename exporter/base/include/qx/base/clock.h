// Clock: wall-clock time as Unix seconds, injected everywhere time is read
// so tests can drive it.
#pragma once

#include <functional>

namespace qx {

using Clock = std::function<double()>;

double SystemClockSeconds();

}  // namespace qx
