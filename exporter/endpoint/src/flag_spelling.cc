#include "qx/endpoint/flag_spelling.h"

namespace qx {

std::vector<std::string> NormalizeFlagSpelling(int argc, char** argv) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(argc));
  bool after_double_dash = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && !after_double_dash && arg.size() > 1 && arg[0] == '-') {
      if (arg == "--") {
        after_double_dash = true;
      } else {
        std::size_t begin = arg.find_first_not_of('-');
        std::size_t end = arg.find('=');
        if (end == std::string::npos) end = arg.size();
        for (std::size_t j = begin; j < end; ++j) {
          if (arg[j] == '.' || arg[j] == '-') arg[j] = '_';
        }
      }
    }
    out.push_back(std::move(arg));
  }
  return out;
}

}  // namespace qx
