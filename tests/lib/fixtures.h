// Test fixtures: files under tests/fixtures, read whole.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace qx::testing {

// The contents of tests/fixtures/<name>; an empty string (and a test
// failure) when it cannot be read.
inline std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(QX_FIXTURES_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace qx::testing
