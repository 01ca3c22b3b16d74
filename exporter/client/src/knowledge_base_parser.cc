// API v2 /api/2.0/fo/knowledge_base/vuln/?action=list:
//
//   KNOWLEDGE_BASE_VULN_LIST_OUTPUT/RESPONSE/VULN_LIST/VULN/
//       {QID,SEVERITY_LEVEL,TITLE,LAST_SERVICE_MODIFICATION_DATETIME}
//
// The document usually starts with
//   <!DOCTYPE KNOWLEDGE_BASE_VULN_LIST_OUTPUT SYSTEM "https://.../x.dtd">
// which is ignored: the external DTD is never fetched. Errors arrive, even
// with HTTP 200, as SIMPLE_RETURN/RESPONSE/{CODE,TEXT} or as
// KNOWLEDGE_BASE_VULN_LIST_OUTPUT/RESPONSE/{CODE,TEXT}; both throw ApiError
// once the document has been read completely.
#include <string>
#include <utility>

#include "qx/client/errors.h"
#include "qx/client/parsers.h"
#include "xml_sax.h"

namespace qx {
namespace {

enum Id : int {
  kKnowledgeBaseRoot,
  kSimpleReturnRoot,
  kVuln,
  kQid,
  kSeverity,
  kTitle,
  kLastServiceModification,
  kCode,
  kText,
};

const sax::PathTable& Table() {
  static const sax::PathTable table = [] {
    sax::PathTable t;
    constexpr std::string_view kRoot = "KNOWLEDGE_BASE_VULN_LIST_OUTPUT";
    t.Add(kKnowledgeBaseRoot, kRoot);
    const std::string vuln = std::string(kRoot) + "/RESPONSE/VULN_LIST/VULN";
    t.Add(kVuln, vuln);
    t.Add(kQid, vuln + "/QID");
    t.Add(kSeverity, vuln + "/SEVERITY_LEVEL");
    t.Add(kTitle, vuln + "/TITLE");
    t.Add(kLastServiceModification,
          vuln + "/LAST_SERVICE_MODIFICATION_DATETIME");
    t.Add(kCode, std::string(kRoot) + "/RESPONSE/CODE");
    t.Add(kText, std::string(kRoot) + "/RESPONSE/TEXT");
    t.Add(kSimpleReturnRoot, "SIMPLE_RETURN");
    t.Add(kCode, "SIMPLE_RETURN/RESPONSE/CODE");
    t.Add(kText, "SIMPLE_RETURN/RESPONSE/TEXT");
    return t;
  }();
  return table;
}

class KnowledgeBaseHandler final : public sax::PathHandler {
 public:
  explicit KnowledgeBaseHandler(
      const std::function<void(KnowledgeBaseEntry&&)>& on_entry)
      : PathHandler(Table(), "knowledge base response"), on_entry_(on_entry) {}

  // Throws ApiError if the document was an error answer.
  void Finish() const {
    if (!simple_return_ && code_.empty()) return;
    std::string message = "knowledge base API error";
    if (!code_.empty()) message += " " + code_;
    message += ": " + (text_.empty() ? std::string("(no text)") : text_);
    throw ApiError(message, 0, code_);
  }

 private:
  void OnStart(int id) override {
    if (id == kSimpleReturnRoot) simple_return_ = true;
    if (id == kVuln) {
      entry_ = KnowledgeBaseEntry{};
      has_qid_ = false;
    }
  }

  void OnEnd(int id, std::string_view text) override {
    switch (id) {
      case kVuln:
        if (!has_qid_) Fail("<VULN> without <QID>");
        on_entry_(std::move(entry_));
        entry_ = KnowledgeBaseEntry{};
        break;
      case kQid:
        entry_.qid = ToU64(text);
        has_qid_ = !text.empty();
        break;
      case kSeverity:
        entry_.severity = ToInt(text);
        break;
      case kTitle:
        entry_.title = text;
        break;
      case kLastServiceModification:
        entry_.last_service_modification = text;
        break;
      case kCode:
        code_ = text;
        break;
      case kText:
        text_ = text;
        break;
      default:
        break;
    }
  }

  const std::function<void(KnowledgeBaseEntry&&)>& on_entry_;
  KnowledgeBaseEntry entry_;
  bool has_qid_ = false;
  bool simple_return_ = false;
  std::string code_;
  std::string text_;
};

}  // namespace

void ParseKnowledgeBase(
    std::istream& in,
    const std::function<void(KnowledgeBaseEntry&&)>& on_entry) {
  KnowledgeBaseHandler handler(on_entry);
  handler.Parse(in);
  handler.Finish();
}

}  // namespace qx
