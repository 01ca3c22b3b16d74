// Private SAX infrastructure shared by the Qualys response parsers.
//
// PathHandler drives a Poco::XML::SAXParser (expat) over a stream and
// matches elements by their full path from the document root against a
// PathTable compiled once per parser. Subtrees that are not in the table are
// skipped without string compares, text is only collected for leaf paths of
// the table, and nothing but the current element stack and the current text
// value is held, so memory does not grow with the body.
//
// Safety:
//  - external general and parameter entities are off, the external DTD
//    subset is never read, and an EntityResolver refuses everything;
//  - any <!ENTITY> declaration in an internal DTD subset is rejected (the
//    Qualys APIs never send one; this stops "billion laughs" before the first
//    expansion). expat's own amplification limit is configured as well;
//  - nesting deeper than kMaxDepth and a text value longer than kMaxTextBytes
//    are errors.
// Every failure becomes qx::ParseError("<what>: ... line L, column C").
#pragma once

#include <Poco/SAX/ContentHandler.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "qx/client/parsers.h"

namespace Poco::XML {
class Locator;
class SAXParser;
}  // namespace Poco::XML

namespace qx::sax {

inline constexpr std::size_t kMaxDepth = 256;
inline constexpr std::size_t kMaxTextBytes = std::size_t{16} << 20;

// Leading and trailing ASCII whitespace removed (the API pretty-prints CDATA
// values with newlines and indentation around them).
std::string_view Trim(std::string_view s);

// A tree of element paths. Paths are '/'-separated local names starting at
// the document root ("ServiceResponse/data/HostAsset/id"); several roots are
// allowed. Each added path gets a caller-chosen id (>= 0); ancestors that are
// not added themselves are tracked but report no events. Several paths may
// share an id (e.g. two spellings of one element).
class PathTable {
 public:
  static constexpr int kNoNode = -1;  // element not in the table: skipped
  static constexpr int kDocument = 0;

  PathTable();
  void Add(int id, std::string_view path);

  // Child of `node` named `name`, or kNoNode.
  int Child(int node, std::string_view name) const {
    for (int c : nodes_[static_cast<std::size_t>(node)].children) {
      if (nodes_[static_cast<std::size_t>(c)].name == name) return c;
    }
    return kNoNode;
  }
  int Id(int node) const { return nodes_[static_cast<std::size_t>(node)].id; }
  // Text is collected for added paths that have no added descendants.
  bool CollectsText(int node) const {
    const Node& n = nodes_[static_cast<std::size_t>(node)];
    return n.id >= 0 && n.children.empty();
  }
  const std::string& Path(int node) const {
    return nodes_[static_cast<std::size_t>(node)].path;
  }
  // "<A> or <B>": the roots, for error messages.
  std::string RootNames() const;

 private:
  struct Node {
    std::string name;
    std::string path;
    int id = -1;
    std::vector<int> children;
  };
  std::vector<Node> nodes_;
};

// Base of every parser: subclasses implement OnStart/OnEnd for the ids of
// their table. Not reusable: one instance per body.
class PathHandler : public Poco::XML::ContentHandler {
 public:
  // `what` names the response in error messages ("hostasset response").
  PathHandler(const PathTable& table, std::string_view what);
  ~PathHandler() override;
  PathHandler(const PathHandler&) = delete;
  PathHandler& operator=(const PathHandler&) = delete;

  // Parses the whole document. Throws ParseError; exceptions thrown by the
  // callbacks (ParseError, ApiError, ...) propagate unchanged.
  void Parse(std::istream& in);
  void Parse(std::string_view body);

  // Throws ParseError("<what>: <message> (line L, column C)").
  [[noreturn]] void Fail(std::string_view message) const;

  // Conversions of the text of the element that is ending; on failure they
  // throw ParseError naming the element path and the offending value.
  std::uint64_t ToU64(std::string_view text) const;
  int ToInt(std::string_view text) const;
  double ToDouble(std::string_view text) const;
  bool ToBool(std::string_view text) const;  // true/false (also 1/0)

  // Path of the innermost element in the table ("" outside the root).
  const std::string& CurrentPath() const;
  std::string_view what() const { return what_; }

 protected:
  // Element with table id `id` started / ended. For leaf paths `text` is the
  // element's own character data (CDATA included), trimmed; empty otherwise.
  virtual void OnStart(int id) { (void)id; }
  virtual void OnEnd(int id, std::string_view text) = 0;
  // Called when a text-collecting element starts; return false to skip its
  // text (e.g. large payloads that are not needed for this record).
  virtual bool WantText(int id) {
    (void)id;
    return true;
  }

 private:
  // Poco::XML::ContentHandler
  void setDocumentLocator(const Poco::XML::Locator* loc) override;
  void startDocument() override {}
  void endDocument() override {}
  void startElement(const Poco::XML::XMLString& uri,
                    const Poco::XML::XMLString& local_name,
                    const Poco::XML::XMLString& qname,
                    const Poco::XML::Attributes& attributes) override;
  void endElement(const Poco::XML::XMLString& uri,
                  const Poco::XML::XMLString& local_name,
                  const Poco::XML::XMLString& qname) override;
  void characters(const Poco::XML::XMLChar ch[], int start,
                  int length) override;
  void ignorableWhitespace(const Poco::XML::XMLChar[], int, int) override {}
  void processingInstruction(const Poco::XML::XMLString&,
                             const Poco::XML::XMLString&) override {}
  void startPrefixMapping(const Poco::XML::XMLString&,
                          const Poco::XML::XMLString&) override {}
  void endPrefixMapping(const Poco::XML::XMLString&) override {}
  void skippedEntity(const Poco::XML::XMLString&) override {}

  void RunParser(const std::function<void(Poco::XML::SAXParser&)>& run,
                 const std::istream* in);
  [[noreturn]] void FailParse(std::string_view expat_message, int line,
                              int column, bool read_failed) const;
  int InnermostKnownNode() const;

  const PathTable& table_;
  std::string what_;
  const Poco::XML::Locator* locator_ = nullptr;
  std::vector<int> stack_;  // table node per open element, or kNoNode
  int collecting_ = PathTable::kNoNode;  // node whose text is collected
  std::string text_;
  bool root_seen_ = false;
  std::string head_;  // first bytes of the body, for error messages
};

// The <ServiceResponse> envelope of QPS REST answers, shared by the host
// asset and WAS finding parsers; ids from 10000 up are reserved for it.
class QpsEnvelope {
 public:
  enum Id : int {
    kResponseCode = 10000,
    kCount,
    kHasMoreRecords,
    kLastId,
    kErrorMessage,
    kErrorResolution,
  };
  static void AddPaths(PathTable& table);

  // Records an envelope element; returns false for other ids.
  bool OnEnd(const PathHandler& h, int id, std::string_view text);
  // True unless a responseCode other than SUCCESS was seen: records after it
  // are not emitted.
  bool emit_records() const {
    return info_.response_code.empty() || info_.response_code == "SUCCESS";
  }
  // The page info, with errorResolution appended to errorMessage.
  QpsPageInfo Finish() &&;

 private:
  QpsPageInfo info_;
  std::string error_resolution_;
};

}  // namespace qx::sax
