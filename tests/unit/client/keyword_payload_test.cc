#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "qx/client/parsers.h"

namespace qx {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kBase =
    "http://10.11.68.80/cassium/regression/links/"
    "was-3216-airfrance-crawl/airfrance/";
const char kNoRegex[] = R"(.*/([^\?]+)data([^\?]*?\.\.html$))";

// The release notes' (API 3.2) QID 150141 sample exactly as printed: URLs
// and the "seen at following parent(s)" marker wrapped across lines, an
// elision, and a page break (blank line) inside the marker.
const char kWrappedSample[] = R"(
Regex: .*/([^\?]+)data([^\?]*?\.\.html$)
No internal link found matching with this regex.

Regex: regression
List of internal links matching with this regex are:
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-
crawl/airfrance/ seen at following parent(s)
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-
crawl/airfrance/af-envol.er4di.com/
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-
crawl/airfrance/af-envol.er4di.com/get0ab4.html seen at following
parent(s)
...
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-
crawl/airfrance/af-envol.er4di.com/
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-
crawl/airfrance/af-envol.er4di.com/getf987.html seen at following

parent(s)
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-
crawl/airfrance/af-envol.er4di.com/
)";

// The same content as the API sends it: one URL per line.
const char kCleanSample[] = R"(
Regex: .*/([^\?]+)data([^\?]*?\.\.html$)
No internal link found matching with this regex.
Regex: regression
List of internal links matching with this regex are:
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-crawl/airfrance/ seen at following parent(s)
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-crawl/airfrance/af-envol.er4di.com/
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-crawl/airfrance/af-envol.er4di.com/get0ab4.html seen at following parent(s)
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-crawl/airfrance/af-envol.er4di.com/
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-crawl/airfrance/af-envol.er4di.com/getf987.html seen at following parent(s)
http://10.11.68.80/cassium/regression/links/was-3216-airfrance-crawl/airfrance/af-envol.er4di.com/
)";

std::vector<KeywordMatch> Expected() {
  return {
      KeywordMatch{kNoRegex, {}},
      KeywordMatch{"regression",
                   {kBase, kBase + "af-envol.er4di.com/get0ab4.html",
                    kBase + "af-envol.er4di.com/getf987.html"}},
  };
}

std::string WithCrlfAndTrailingSpace(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += " \t\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

TEST(KeywordPayload, ReleaseNotesSampleAsPrinted) {
  EXPECT_EQ(ParseKeywordPayload(kWrappedSample), Expected());
}

TEST(KeywordPayload, ReleaseNotesSampleUnwrapped) {
  EXPECT_EQ(ParseKeywordPayload(kCleanSample), Expected());
}

TEST(KeywordPayload, CrlfTrailingSpacesAndIndentation) {
  EXPECT_EQ(ParseKeywordPayload(WithCrlfAndTrailingSpace(kCleanSample)),
            Expected());
  EXPECT_EQ(ParseKeywordPayload(WithCrlfAndTrailingSpace(kWrappedSample)),
            Expected());
  EXPECT_EQ(ParseKeywordPayload(
                "  Regex: a  \r\n\tList of internal links matching with this "
                "regex are:\r\n\t\thttp://h/1   \r\n"),
            (std::vector<KeywordMatch>{{"a", {"http://h/1"}}}));
}

TEST(KeywordPayload, Base64EncodedResponseIsDecoded) {
  // Some WAS outputs base64-encode payload responses (wrapped at 40 here).
  EXPECT_EQ(ParseKeywordPayload(
                "UmVnZXg6IGEKTGlzdCBvZiBpbnRlcm5hbCBsaW5r\ncyBtYXRjaGluZyB3aXRo"
                "IHRoaXMgcmVnZXggYXJl\nOgpodHRwOi8vaC8xIHNlZW4gYXQgZm9sbG93aW5n"
                "\nIHBhcmVudChzKQpodHRwOi8vaC8K\n"),
            (std::vector<KeywordMatch>{{"a", {"http://h/1"}}}));
  // Text that merely looks like base64 but decodes to no "Regex:" block is
  // parsed as sent: nothing.
  EXPECT_THAT(ParseKeywordPayload("QUJDREVGR0g="), IsEmpty());
  EXPECT_THAT(ParseKeywordPayload("Zm9v!!"), IsEmpty());
}

TEST(KeywordPayload, EllipsisLinesAreIgnored) {
  EXPECT_EQ(ParseKeywordPayload("Regex: a\n"
                                "List of internal links matching with this "
                                "regex are:\n"
                                "...\n"
                                "http://h/1 seen at following parent(s)\n"
                                "\xE2\x80\xA6\n"
                                "http://h/\n"
                                ". . .\n"
                                "http://h/2 seen at following parent(s)\n"
                                "http://h/\n"),
            (std::vector<KeywordMatch>{{"a", {"http://h/1", "http://h/2"}}}));
}

TEST(KeywordPayload, EmptyBlocks) {
  EXPECT_THAT(ParseKeywordPayload(""), IsEmpty());
  EXPECT_THAT(ParseKeywordPayload("\n \n"), IsEmpty());
  EXPECT_EQ(ParseKeywordPayload(
                "Regex: a\n"
                "List of internal links matching with this regex are:\n"
                "Regex: b\n"
                "No internal link found matching with this regex.\n"
                "Regex: c\n"),
            (std::vector<KeywordMatch>{{"a", {}}, {"b", {}}, {"c", {}}}));
}

TEST(KeywordPayload, DuplicatesAreMerged) {
  EXPECT_EQ(ParseKeywordPayload(
                "Regex: a\n"
                "List of internal links matching with this regex are:\n"
                "http://h/1 seen at following parent(s)\n"
                "http://h/p\n"
                "http://h/1 seen at following parent(s)\n"
                "http://h/q\n"
                "Regex: b\n"
                "List of internal links matching with this regex are:\n"
                "http://h/1\n"
                "Regex: a\n"
                "List of internal links matching with this regex are:\n"
                "http://h/2\n"
                "http://h/1\n"),
            (std::vector<KeywordMatch>{{"a", {"http://h/1", "http://h/2"}},
                                       {"b", {"http://h/1"}}}));
}

TEST(KeywordPayload, LinksWithoutParents) {
  EXPECT_EQ(
      ParseKeywordPayload(
          "Regex: a\n"
          "List of internal links matching with this regex are:\n"
          "http://h/1\n"
          "https://h/2\n"
          "http://h/3 seen at following parent(s)\n"
          "http://h/\n"
          "http://h/4 seen at following parent(s)\n"),
      (std::vector<KeywordMatch>{
          {"a", {"http://h/1", "https://h/2", "http://h/3", "http://h/4"}}}));
}

TEST(KeywordPayload, MarkerOnItsOwnLineOrSplit) {
  EXPECT_EQ(
      ParseKeywordPayload(
          "Regex: a\n"
          "List of internal links matching with this regex are:\n"
          "http://h/1\n"
          "seen at following parent(s)\n"
          "http://h/p\n"
          "http://h/very/long/\n"
          "path/2 seen\n"
          "at following\n"
          "parent(s)\n"
          "http://h/p\n"
          "http://h/3\n"
          "seen at\n"
          "following parent(s)\n"
          "http://h/p\n"),
      (std::vector<KeywordMatch>{
          {"a", {"http://h/1", "http://h/very/long/path/2", "http://h/3"}}}));
}

TEST(KeywordPayload, PreambleAndWrappedRegex) {
  EXPECT_EQ(
      ParseKeywordPayload(
          "Keywords URL Search results\n"
          "http://ignored/\n"
          "Regex: .*/([^?]+)very-long-\n"
          "regex-wrapped\\.html$\n"
          "List of internal links matching with this regex are:\n"
          "http://h/very-long-regex-wrapped.html\n"),
      (std::vector<KeywordMatch>{{".*/([^?]+)very-long-regex-wrapped\\.html$",
                                  {"http://h/very-long-regex-wrapped.html"}}}));
}

}  // namespace
}  // namespace qx
