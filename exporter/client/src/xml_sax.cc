#include "xml_sax.h"

#include <Poco/Exception.h>
#include <Poco/SAX/DeclHandler.h>
#include <Poco/SAX/EntityResolver.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/Locator.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>

#include <algorithm>
#include <charconv>
#include <streambuf>
#include <string>
#include <system_error>
#include <vector>

#include "qx/client/errors.h"

namespace qx::sax {
namespace {

using Poco::XML::XMLReader;
using Poco::XML::XMLString;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return Lower(x) == Lower(y); });
}

bool IContains(std::string_view haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(),
                     needle.end(), [](char x, char y) {
                       return Lower(x) == Lower(y);
                     }) != haystack.end();
}

// A value quoted for an error message, cut to a readable length.
std::string Quote(std::string_view value) {
  constexpr std::size_t kMax = 64;
  std::string out = "\"";
  out.append(value.substr(0, kMax));
  if (value.size() > kMax) out += "...";
  out += '"';
  return out;
}

std::string Location(int line, int column) {
  // expat counts columns from 0; people count from 1.
  return " (line " + std::to_string(line) + ", column " +
         std::to_string(column + 1) + ")";
}

constexpr std::size_t kHeadBytes = 256;

// Passes a stream through unchanged and keeps its first kHeadBytes, so a
// body that is not XML can be recognised (e.g. an HTML error page) after
// the parser has consumed it.
class HeadRecorder final : public std::streambuf {
 public:
  HeadRecorder(std::istream& in, std::string& head) : in_(in), head_(head) {
    head_.clear();
  }

 protected:
  int_type underflow() override {
    in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    auto n =
        static_cast<std::size_t>(std::max<std::streamsize>(0, in_.gcount()));
    if (n == 0) return traits_type::eof();
    if (head_.size() < kHeadBytes) {
      head_.append(buf_.data(), std::min(n, kHeadBytes - head_.size()));
    }
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(buf_[0]);
  }

 private:
  std::istream& in_;
  std::string& head_;
  std::vector<char> buf_ = std::vector<char>(std::size_t{32} << 10);
};

// An HTML document, judged by its first bytes.
bool LooksLikeHtml(std::string_view head) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (head.starts_with(kBom)) head.remove_prefix(kBom.size());
  while (!head.empty() && IsSpace(head.front())) head.remove_prefix(1);
  for (std::string_view start : {"<!doctype html", "<html", "<head", "<body"}) {
    if (head.size() >= start.size() &&
        IEquals(head.substr(0, start.size()), start)) {
      return true;
    }
  }
  return false;
}

// Refuses every entity declaration and every attempt to resolve an external
// entity or DTD.
class EntityGuard final : public Poco::XML::DeclHandler,
                          public Poco::XML::EntityResolver {
 public:
  explicit EntityGuard(const PathHandler& handler) : handler_(handler) {}

  void attributeDecl(const XMLString&, const XMLString&, const XMLString*,
                     const XMLString*) override {}
  void elementDecl(const XMLString&, const XMLString&) override {}
  void externalEntityDecl(const XMLString& name, const XMLString*,
                          const XMLString&) override {
    handler_.Fail("DTD declares external entity '" + name +
                  "'; entity declarations are not accepted");
  }
  void internalEntityDecl(const XMLString& name, const XMLString&) override {
    handler_.Fail("DTD declares entity '" + name +
                  "'; entity declarations are not accepted");
  }

  Poco::XML::InputSource* resolveEntity(const XMLString*,
                                        const XMLString& system_id) override {
    handler_.Fail("refusing to load external entity " + Quote(system_id));
  }
  void releaseInputSource(Poco::XML::InputSource*) override {}

 private:
  const PathHandler& handler_;
};

}  // namespace

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------- PathTable

PathTable::PathTable() { nodes_.push_back(Node{}); }

void PathTable::Add(int id, std::string_view path) {
  int node = kDocument;
  std::string prefix;
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view name = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view()
                                           : path.substr(slash + 1);
    if (!prefix.empty()) prefix += '/';
    prefix += name;
    int child = Child(node, name);
    if (child == kNoNode) {
      child = static_cast<int>(nodes_.size());
      nodes_.push_back(Node{std::string(name), prefix, -1, {}});
      nodes_[static_cast<std::size_t>(node)].children.push_back(child);
    }
    node = child;
  }
  nodes_[static_cast<std::size_t>(node)].id = id;
}

std::string PathTable::RootNames() const {
  std::string out;
  for (int c : nodes_[kDocument].children) {
    if (!out.empty()) out += " or ";
    out += "<" + nodes_[static_cast<std::size_t>(c)].name + ">";
  }
  return out;
}

// -------------------------------------------------------------- PathHandler

PathHandler::PathHandler(const PathTable& table, std::string_view what)
    : table_(table), what_(what) {
  stack_.reserve(32);
}

PathHandler::~PathHandler() = default;

void PathHandler::Parse(std::istream& in) {
  HeadRecorder recorder(in, head_);
  std::istream recorded(&recorder);
  RunParser(
      [&recorded](Poco::XML::SAXParser& parser) {
        Poco::XML::InputSource source(recorded);
        parser.parse(&source);
      },
      &in);
}

void PathHandler::Parse(std::string_view body) {
  head_ = body.substr(0, kHeadBytes);
  RunParser(
      [body](Poco::XML::SAXParser& parser) {
        parser.parseMemoryNP(body.data(), body.size());
      },
      nullptr);
}

void PathHandler::RunParser(
    const std::function<void(Poco::XML::SAXParser&)>& run,
    const std::istream* in) {
  EntityGuard guard(*this);
  Poco::XML::SAXParser parser;
  // Names are matched without namespace processing (the Qualys documents
  // use none; a prefix, if any, is stripped in startElement).
  parser.setFeature(XMLReader::FEATURE_NAMESPACES, false);
  parser.setFeature(XMLReader::FEATURE_NAMESPACE_PREFIXES, false);
  parser.setFeature(XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
  parser.setFeature(XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
  // Second line of defence behind EntityGuard: expat (>= 2.4) stops entity
  // expansion that amplifies the input more than 100x past 1 MiB.
  parser.setProperty(Poco::XML::SAXParser::PROPERTY_BLA_MAXIMUM_AMPLIFICATION,
                     "100");
  parser.setProperty(Poco::XML::SAXParser::PROPERTY_BLA_ACTIVATION_THRESHOLD,
                     "1048576");
  parser.setProperty(XMLReader::PROPERTY_DECLARATION_HANDLER,
                     static_cast<Poco::XML::DeclHandler*>(&guard));
  parser.setEntityResolver(&guard);
  parser.setContentHandler(this);
  try {
    run(parser);
  } catch (const Poco::XML::SAXParseException& e) {
    locator_ = nullptr;
    std::string message = e.message();
    // Poco appends " in line L column C"; the location is reported apart.
    if (auto pos = message.rfind(" in line "); pos != std::string::npos) {
      message.resize(pos);
    }
    FailParse(message, e.getLineNumber(), e.getColumnNumber(),
              in != nullptr && in->bad());
  } catch (const Poco::Exception& e) {
    locator_ = nullptr;
    std::string message = e.displayText();
    if (in != nullptr && in->bad()) message += " (reading the body failed)";
    Fail(message);
  }
  locator_ = nullptr;
}

void PathHandler::FailParse(std::string_view expat_message, int line,
                            int column, bool read_failed) const {
  std::string message(expat_message);
  if (!message.empty()) message[0] = Lower(message[0]);
  std::string text;
  if (!root_seen_) {
    if (LooksLikeHtml(head_)) {
      text = "body is an HTML page, not XML";
    } else if (IContains(message, "no element found")) {
      text = "body contains no XML element (empty or whitespace only)";
    } else {
      text = "body is not XML (" + message + ")";
    }
  } else if (!stack_.empty()) {
    // expat's end-of-input errors while elements are still open.
    bool ended = IContains(message, "no element found") ||
                 IContains(message, "unclosed token") ||
                 IContains(message, "partial character") ||
                 IContains(message, "unclosed cdata");
    const std::string& path = CurrentPath();
    std::string where = path.empty() ? "" : " inside <" + path + ">";
    text = ended ? "body ends before the document is complete" + where +
                       " (truncated?): " + message
                 : "malformed XML" + where + ": " + message;
  } else {
    text = "malformed XML after the document element: " + message;
  }
  if (read_failed) text += " (reading the body failed)";
  throw ParseError(what_ + ": " + text + Location(line, column));
}

void PathHandler::Fail(std::string_view message) const {
  std::string text = what_ + ": ";
  text += message;
  if (locator_ != nullptr) {
    text += Location(locator_->getLineNumber(), locator_->getColumnNumber());
  }
  throw ParseError(text);
}

void PathHandler::setDocumentLocator(const Poco::XML::Locator* loc) {
  locator_ = loc;
}

void PathHandler::startElement(const XMLString&, const XMLString&,
                               const XMLString& qname,
                               const Poco::XML::Attributes&) {
  std::string_view name = qname;
  if (auto colon = name.rfind(':'); colon != std::string_view::npos) {
    name.remove_prefix(colon + 1);
  }
  if (stack_.size() >= kMaxDepth) {
    Fail("elements nested deeper than " + std::to_string(kMaxDepth) +
         " levels");
  }
  int node = PathTable::kNoNode;
  if (stack_.empty()) {
    root_seen_ = true;
    node = table_.Child(PathTable::kDocument, name);
    if (node == PathTable::kNoNode) {
      if (IEquals(name, "html")) Fail("body is an HTML page, not XML");
      Fail("unexpected document element <" + std::string(name) +
           ">, expected " + table_.RootNames());
    }
  } else if (stack_.back() != PathTable::kNoNode) {
    node = table_.Child(stack_.back(), name);
  }
  stack_.push_back(node);
  if (node == PathTable::kNoNode) return;
  int id = table_.Id(node);
  if (id < 0) return;
  OnStart(id);
  if (table_.CollectsText(node) && WantText(id)) {
    collecting_ = node;
    text_.clear();
  }
}

void PathHandler::endElement(const XMLString&, const XMLString&,
                             const XMLString&) {
  int node = stack_.back();
  if (node != PathTable::kNoNode) {
    int id = table_.Id(node);
    if (id >= 0) {
      std::string_view text;
      if (node == collecting_) text = Trim(text_);
      OnEnd(id, text);
    }
    if (node == collecting_) {
      collecting_ = PathTable::kNoNode;
      text_.clear();
    }
  }
  stack_.pop_back();
}

void PathHandler::characters(const Poco::XML::XMLChar ch[], int start,
                             int length) {
  if (collecting_ == PathTable::kNoNode || stack_.back() != collecting_) {
    return;
  }
  auto n = static_cast<std::size_t>(length);
  if (text_.size() + n > kMaxTextBytes) {
    Fail("text of <" + table_.Path(collecting_) + "> is longer than " +
         std::to_string(kMaxTextBytes >> 20) + " MiB");
  }
  text_.append(ch + start, n);
}

int PathHandler::InnermostKnownNode() const {
  for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
    if (*it != PathTable::kNoNode) return *it;
  }
  return PathTable::kDocument;
}

const std::string& PathHandler::CurrentPath() const {
  return table_.Path(InnermostKnownNode());
}

std::uint64_t PathHandler::ToU64(std::string_view text) const {
  if (text.empty()) return 0;
  std::uint64_t value = 0;
  auto [ptr, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    Fail("invalid number in <" + CurrentPath() + ">: " + Quote(text));
  }
  return value;
}

int PathHandler::ToInt(std::string_view text) const {
  if (text.empty()) return 0;
  int value = 0;
  auto [ptr, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    Fail("invalid number in <" + CurrentPath() + ">: " + Quote(text));
  }
  return value;
}

double PathHandler::ToDouble(std::string_view text) const {
  if (text.empty()) return 0;
  double value = 0;
  auto [ptr, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    Fail("invalid number in <" + CurrentPath() + ">: " + Quote(text));
  }
  return value;
}

bool PathHandler::ToBool(std::string_view text) const {
  if (text.empty()) return false;
  if (IEquals(text, "true") || text == "1") return true;
  if (IEquals(text, "false") || text == "0") return false;
  Fail("invalid boolean in <" + CurrentPath() + ">: " + Quote(text));
}

// -------------------------------------------------------------- QpsEnvelope

void QpsEnvelope::AddPaths(PathTable& table) {
  table.Add(kResponseCode, "ServiceResponse/responseCode");
  table.Add(kCount, "ServiceResponse/count");
  table.Add(kHasMoreRecords, "ServiceResponse/hasMoreRecords");
  table.Add(kLastId, "ServiceResponse/lastId");
  table.Add(kErrorMessage, "ServiceResponse/responseErrorDetails/errorMessage");
  table.Add(kErrorResolution,
            "ServiceResponse/responseErrorDetails/errorResolution");
}

bool QpsEnvelope::OnEnd(const PathHandler& h, int id, std::string_view text) {
  switch (id) {
    case kResponseCode:
      info_.response_code = text;
      return true;
    case kCount:
      if (!text.empty()) info_.count = h.ToU64(text);
      return true;
    case kHasMoreRecords:
      info_.has_more_records = h.ToBool(text);
      return true;
    case kLastId:
      if (!text.empty()) info_.last_id = h.ToU64(text);
      return true;
    case kErrorMessage:
      info_.error_message = text;
      return true;
    case kErrorResolution:
      error_resolution_ = text;
      return true;
    default:
      return false;
  }
}

QpsPageInfo QpsEnvelope::Finish() && {
  if (!error_resolution_.empty()) {
    info_.error_message =
        info_.error_message.empty()
            ? error_resolution_
            : info_.error_message + " (" + error_resolution_ + ")";
  }
  return std::move(info_);
}

}  // namespace qx::sax
