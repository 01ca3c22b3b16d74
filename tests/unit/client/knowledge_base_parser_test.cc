#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.h"
#include "qx/client/errors.h"
#include "qx/client/parsers.h"

namespace qx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::Fixture;

std::vector<KnowledgeBaseEntry> Parse(const std::string& body) {
  std::vector<KnowledgeBaseEntry> out;
  std::istringstream in(body);
  ParseKnowledgeBase(in, [&out](KnowledgeBaseEntry&& e) { out.push_back(e); });
  return out;
}

TEST(KnowledgeBaseParser, VulnListWithExternalDoctype) {
  EXPECT_THAT(
      Parse(Fixture("kb_vuln_list.xml")),
      ElementsAre(
          KnowledgeBaseEntry{11830, 2, "HTTP Security Header Not Detected",
                             "2023-06-30T12:00:01Z"},
          KnowledgeBaseEntry{38170, 5,
                             "SSL Certificate - Subject Common Name Does Not "
                             "Match Server FQDN & \"Zürich\"",
                             "2021-01-02T03:04:05Z"},
          KnowledgeBaseEntry{4294967301, 3,
                             "東京 title without modification date", ""}));
}

TEST(KnowledgeBaseParser, SimpleReturnBodyIsApiError) {
  try {
    Parse(Fixture("simple_return_error.xml"));
    FAIL() << "no ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.api_code(), "1965");
    EXPECT_EQ(e.http_status(), 0);
    EXPECT_THAT(e.what(), HasSubstr("1965"));
    EXPECT_THAT(e.what(), HasSubstr("another 23 seconds"));
  }
  try {
    Parse(
        "<SIMPLE_RETURN><RESPONSE><TEXT>Bad Request: X-Requested-With "
        "header required</TEXT></RESPONSE></SIMPLE_RETURN>");
    FAIL() << "no ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.api_code(), "");
    EXPECT_THAT(e.what(), HasSubstr("X-Requested-With"));
  }
}

TEST(KnowledgeBaseParser, ErrorInsideOutputIsApiError) {
  try {
    Parse(Fixture("kb_error_in_output.xml"));
    FAIL() << "no ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.api_code(), "1905");
    EXPECT_THAT(e.what(), HasSubstr("ids has invalid value"));
  }
}

TEST(KnowledgeBaseParser, MalformedBodies) {
  const std::string body = Fixture("kb_vuln_list.xml");
  EXPECT_THROW(Parse(body.substr(0, body.size() - 40)), ParseError);
  EXPECT_THROW(Parse(Fixture("html_error_legacy.html")), ParseError);
  try {
    Parse(
        "<KNOWLEDGE_BASE_VULN_LIST_OUTPUT><RESPONSE><VULN_LIST><VULN>"
        "<QID>1</QID><SEVERITY_LEVEL>high</SEVERITY_LEVEL></VULN>"
        "</VULN_LIST></RESPONSE></KNOWLEDGE_BASE_VULN_LIST_OUTPUT>");
    FAIL() << "no ParseError";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("knowledge base response"));
    EXPECT_THAT(e.what(), HasSubstr("VULN/SEVERITY_LEVEL"));
  }
  EXPECT_THROW(Parse("<KNOWLEDGE_BASE_VULN_LIST_OUTPUT><RESPONSE><VULN_LIST>"
                     "<VULN><TITLE>x</TITLE></VULN></VULN_LIST></RESPONSE>"
                     "</KNOWLEDGE_BASE_VULN_LIST_OUTPUT>"),
               ParseError);
  // An empty list is fine.
  EXPECT_TRUE(Parse("<KNOWLEDGE_BASE_VULN_LIST_OUTPUT><RESPONSE><DATETIME>"
                    "2024-01-01T00:00:00Z</DATETIME></RESPONSE>"
                    "</KNOWLEDGE_BASE_VULN_LIST_OUTPUT>")
                  .empty());
}

}  // namespace
}  // namespace qx
