#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "fixtures.h"
#include "qx/client/parsers.h"

namespace qx {
namespace {

using testing::Fixture;

TEST(SimpleReturnParser, RateLimitBody) {
  auto sr = ParseSimpleReturn(Fixture("simple_return_error.xml"));
  ASSERT_TRUE(sr.has_value());
  EXPECT_EQ(sr->code, "1965");
  EXPECT_EQ(sr->text, "This API cannot be run again for another 23 seconds.");
}

TEST(SimpleReturnParser, TextOnlyAndMultiline) {
  auto sr = ParseSimpleReturn(
      "<SIMPLE_RETURN><RESPONSE><DATETIME>2024-01-01T00:00:00Z</DATETIME>"
      "<CODE> 1960 </CODE><TEXT>\n  Concurrency limit of 2 reached\n"
      "  for this API.\n</TEXT></RESPONSE></SIMPLE_RETURN>");
  ASSERT_TRUE(sr.has_value());
  EXPECT_EQ(sr->code, "1960");
  EXPECT_EQ(sr->text, "Concurrency limit of 2 reached\n  for this API.");

  sr = ParseSimpleReturn(
      "<SIMPLE_RETURN><RESPONSE><TEXT>Logged in</TEXT></RESPONSE>"
      "</SIMPLE_RETURN>");
  ASSERT_TRUE(sr.has_value());
  EXPECT_EQ(sr->code, "");
  EXPECT_EQ(sr->text, "Logged in");
}

TEST(SimpleReturnParser, OtherBodiesAreNotOne) {
  EXPECT_FALSE(ParseSimpleReturn(""));
  EXPECT_FALSE(ParseSimpleReturn("Too Many Requests"));
  EXPECT_FALSE(ParseSimpleReturn(Fixture("html_error.html")));
  EXPECT_FALSE(ParseSimpleReturn(Fixture("qps_error.xml")));
  const std::string body = Fixture("simple_return_error.xml");
  EXPECT_FALSE(ParseSimpleReturn(body.substr(0, body.size() / 2)));
  EXPECT_FALSE(ParseSimpleReturn(
      "<?xml version=\"1.0\"?><!DOCTYPE SIMPLE_RETURN [<!ENTITY x SYSTEM "
      "\"file:///etc/passwd\">]><SIMPLE_RETURN><RESPONSE><TEXT>&x;</TEXT>"
      "</RESPONSE></SIMPLE_RETURN>"));
}

}  // namespace
}  // namespace qx
