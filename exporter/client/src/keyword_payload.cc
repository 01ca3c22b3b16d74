// QID 150141 ("links/files identified by regex(s) provided by customer"):
// the text of Finding/resultList/.../PayloadInstance/response, e.g.
//
//   Regex: .*/([^\?]+)data([^\?]*?\.\.html$)
//   No internal link found matching with this regex.
//   Regex: regression
//   List of internal links matching with this regex are:
//   http://host/app/a.html seen at following parent(s)
//   http://host/app/
//   http://host/app/b.html seen at following parent(s)
//   http://host/app/index.html
//
// A response sent base64-encoded is decoded first.
//
// Line-based state machine. Every line is trimmed (spaces, tabs, CR); blank
// lines and elision lines ("...", "…") carry nothing and are skipped.
//
//   "Regex: <r>"             starts block <r> (state kRegex). Until the next
//                            marker, further text lines continue the regex
//                            (a wrapped line).
//   "No internal link ..."   the block has no links (state kNoLinks: all
//                            lines up to the next "Regex:" are ignored).
//   "List of internal ..."   links follow (state kLinks).
//
// In kLinks/kParents, URL text is assembled into logical lines first: a line
// starting with "<scheme>://" begins a new logical line; any other line
// continues the previous one (copies of the report wrap long URLs and the
// marker). A logical line is "<url>" optionally followed by the marker
// "seen at following parent(s)" (compared with whitespace removed, so it may
// be split across lines or sit on a line of its own). When a logical line is
// complete:
//
//   kLinks    the URL is a link; with the marker, state becomes kParents.
//   kParents  with the marker the URL is the next link; without it, it is
//             one of the parents of the previous link and is not counted.
//
// So the URLs right after the header are links until the first one that has
// parents; after that, only URLs carrying the marker are links. (A link
// without parents that follows a link with parents is indistinguishable
// from a parent in this format and is read as a parent.)
//
// Blocks with the same regex are merged; links are unique per regex and kept
// in the order first seen. Blocks without links are returned with none.
#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>

#include <cctype>
#include <cstddef>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "qx/client/parsers.h"
#include "xml_sax.h"

namespace qx {
namespace {

constexpr std::string_view kRegexMarker = "Regex:";
constexpr std::string_view kNoLinksMarker = "No internal link found";
constexpr std::string_view kLinksMarker = "List of internal links";
// "seen at following parent(s)" without whitespace.
constexpr std::string_view kParentsMarker = "seenatfollowingparent(s)";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
         c == '\v';
}

std::string RemoveSpaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (!IsSpace(c)) out += c;
  }
  return out;
}

// "..." / "…" / ". . ." — an elision in copied reports.
bool IsEllipsis(std::string_view line) {
  constexpr std::string_view kHorizontalEllipsis = "\xE2\x80\xA6";
  bool any = false;
  while (!line.empty()) {
    if (line.front() == '.') {
      line.remove_prefix(1);
    } else if (line.starts_with(kHorizontalEllipsis)) {
      line.remove_prefix(kHorizontalEllipsis.size());
    } else if (IsSpace(line.front())) {
      line.remove_prefix(1);
      continue;
    } else {
      return false;
    }
    any = true;
  }
  return any;
}

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// "<scheme>://..." as in http://, https://.
bool StartsWithScheme(std::string_view line) {
  auto pos = line.find("://");
  if (pos == std::string_view::npos || pos == 0 || pos > 16) return false;
  if (!IsAlpha(line[0])) return false;
  for (std::size_t i = 1; i < pos; ++i) {
    char c = line[i];
    if (!IsAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' &&
        c != '.') {
      return false;
    }
  }
  return true;
}

// Text (whitespace removed) that is, or starts, the parents marker.
bool IsParentsMarkerText(std::string_view compact) {
  constexpr std::size_t kMinPrefix = 4;  // "seen"
  if (compact.starts_with(kParentsMarker)) return true;
  return compact.size() >= kMinPrefix && kParentsMarker.starts_with(compact);
}

class KeywordPayloadParser {
 public:
  void Line(std::string_view line) {
    line = sax::Trim(line);
    if (line.empty() || IsEllipsis(line)) return;
    if (line.starts_with(kRegexMarker)) {
      Flush();
      CloseHeader();
      header_ = sax::Trim(line.substr(kRegexMarker.size()));
      header_open_ = true;
      state_ = State::kRegex;
      return;
    }
    if (line.starts_with(kNoLinksMarker)) {
      Flush();
      CloseHeader();
      state_ = State::kNoLinks;
      return;
    }
    if (line.starts_with(kLinksMarker)) {
      Flush();
      CloseHeader();
      state_ = State::kLinks;
      return;
    }
    switch (state_) {
      case State::kPreamble:
      case State::kNoLinks:
        return;
      case State::kRegex:
        if (!StartsWithScheme(line)) {
          header_ += line;  // a regex wrapped onto the next line
          return;
        }
        // Links without their header line: read them as links.
        CloseHeader();
        state_ = State::kLinks;
        break;
      case State::kLinks:
      case State::kParents:
        break;
    }
    UrlLine(line);
  }

  std::vector<KeywordMatch> Finish() && {
    Flush();
    CloseHeader();
    return std::move(blocks_);
  }

 private:
  enum class State { kPreamble, kRegex, kNoLinks, kLinks, kParents };

  void UrlLine(std::string_view line) {
    if (StartsWithScheme(line) || !pending_) {
      Flush();
      pending_ = true;
      AppendUrlAndMarker(line);
      return;
    }
    std::string compact = RemoveSpaces(line);
    if (!marker_.empty()) {
      marker_ += compact;  // the marker continues
    } else if (IsParentsMarkerText(compact)) {
      marker_ = std::move(compact);  // the marker on its own line
    } else {
      AppendUrlAndMarker(line);  // the URL continues
    }
  }

  // The first word of `line` extends the URL, the rest is marker text.
  void AppendUrlAndMarker(std::string_view line) {
    std::size_t end = 0;
    while (end < line.size() && !IsSpace(line[end])) ++end;
    url_.append(line.substr(0, end));
    marker_ += RemoveSpaces(line.substr(end));
  }

  // Completes the pending logical line.
  void Flush() {
    if (!pending_) return;
    bool has_parents = marker_.starts_with("seen");
    if (state_ == State::kLinks) {
      AddLink(std::move(url_));
      if (has_parents) state_ = State::kParents;
    } else if (state_ == State::kParents && has_parents) {
      AddLink(std::move(url_));
    }
    pending_ = false;
    url_.clear();
    marker_.clear();
  }

  // Makes the block named by the last "Regex:" line current.
  void CloseHeader() {
    if (!header_open_) return;
    header_open_ = false;
    current_ = blocks_.size();
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      if (blocks_[i].regex == header_) current_ = i;
    }
    if (current_ == blocks_.size()) {
      blocks_.push_back(KeywordMatch{std::move(header_), {}});
      seen_.emplace_back();
    }
    header_.clear();
  }

  void AddLink(std::string url) {
    if (current_ >= blocks_.size() || url.empty()) return;
    if (seen_[current_].insert(url).second) {
      blocks_[current_].links.push_back(std::move(url));
    }
  }

  State state_ = State::kPreamble;
  std::string header_;  // regex of the block being opened
  bool header_open_ = false;
  bool pending_ = false;  // a logical URL line is being assembled
  std::string url_;
  std::string marker_;  // text after the URL, whitespace removed
  std::vector<KeywordMatch> blocks_;
  std::vector<std::unordered_set<std::string>> seen_;  // links per block
  std::size_t current_ = static_cast<std::size_t>(-1);
};

}  // namespace

namespace {

// Some WAS outputs send payload responses base64-encoded. Decodes text made
// only of the base64 alphabet (whitespace aside) whose decoding holds a
// "Regex:" block; nullopt for anything else, which is parsed as sent.
std::optional<std::string> DecodeBase64Payload(std::string_view text) {
  if (text.empty() || text.find("Regex:") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string compact;
  compact.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isspace(c)) continue;
    if (!std::isalnum(c) && ch != '+' && ch != '/' && ch != '=') {
      return std::nullopt;
    }
    compact += ch;
  }
  if (compact.size() < 8 || compact.size() % 4 != 0) return std::nullopt;
  std::istringstream in(compact);
  Poco::Base64Decoder decoder(in);
  std::string decoded;
  try {
    decoded.assign(std::istreambuf_iterator<char>(decoder),
                   std::istreambuf_iterator<char>());
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  if (decoded.find("Regex:") == std::string::npos) return std::nullopt;
  return decoded;
}

}  // namespace

std::vector<KeywordMatch> ParseKeywordPayload(std::string_view response_text) {
  const std::optional<std::string> decoded = DecodeBase64Payload(response_text);
  if (decoded) response_text = *decoded;
  KeywordPayloadParser parser;
  while (!response_text.empty()) {
    auto eol = response_text.find_first_of("\r\n");
    parser.Line(response_text.substr(0, eol));
    if (eol == std::string_view::npos) break;
    response_text.remove_prefix(eol + 1);
  }
  return std::move(parser).Finish();
}

}  // namespace qx
