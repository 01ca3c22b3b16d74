#include "qx/cli/flag_spelling.h"

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

namespace qx {

void JoinRepeatedFlag(std::vector<std::string>& args, std::string_view name) {
  std::vector<std::string> out;
  std::string joined;
  std::size_t first = 0;
  int seen = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i > 0 && a == "--") {
      out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i),
                 args.end());
      break;
    }
    std::string_view v = a;
    std::size_t dashes = v.find_first_not_of('-');
    bool is_flag = i > 0 && (dashes == 1 || dashes == 2) &&
                   v.substr(dashes, name.size()) == name;
    std::string value;
    if (is_flag && v.size() == dashes + name.size() && i + 1 < args.size()) {
      value = args[++i];  // --name value
    } else if (is_flag && v.size() > dashes + name.size() &&
               v[dashes + name.size()] == '=') {
      value = a.substr(dashes + name.size() + 1);
    } else {
      out.push_back(a);
      continue;
    }
    if (seen++ == 0) {
      first = out.size();
      out.emplace_back();
    } else {
      joined += ',';
    }
    joined += value;
  }
  if (seen > 0) out[first] = "--" + std::string(name) + "=" + joined;
  args = std::move(out);
}

}  // namespace qx
