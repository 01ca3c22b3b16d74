#include "qx/sim/service_request.h"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/Exception.h>
#include <Poco/SAX/XMLReader.h>

#include <algorithm>
#include <charconv>

namespace qx::sim {
namespace {

using Poco::XML::Element;
using Poco::XML::Node;

std::string Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::optional<std::uint64_t> ParseUint(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? s.size() : comma;
    std::string item = Trim(s.substr(start, end - start));
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string TextOf(const Element* e) { return Trim(e->innerText()); }

std::optional<Op> ParseOp(std::string_view s) {
  if (s == "EQUALS") return Op::kEquals;
  if (s == "NOT EQUALS") return Op::kNotEquals;
  if (s == "GREATER") return Op::kGreater;
  if (s == "LESSER") return Op::kLesser;
  if (s == "IN") return Op::kIn;
  if (s == "CONTAINS") return Op::kContains;
  return std::nullopt;
}

bool Supports(FieldType t, Op op) {
  switch (t) {
    case FieldType::kId:
    case FieldType::kNumber:
      return op != Op::kContains;
    case FieldType::kDate:
      return op == Op::kEquals || op == Op::kGreater || op == Op::kLesser;
    case FieldType::kText:
      return op == Op::kEquals || op == Op::kContains || op == Op::kIn ||
             op == Op::kNotEquals;
    case FieldType::kKeyword:
      return op == Op::kEquals || op == Op::kNotEquals || op == Op::kIn;
  }
  return false;
}

}  // namespace

std::variant<ServiceRequest, std::string> ParseServiceRequest(
    std::string_view body) {
  ServiceRequest req;
  if (Trim(body).empty()) return req;
  Poco::XML::DOMParser parser;
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES,
                    false);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES,
                    false);
  Poco::AutoPtr<Poco::XML::Document> doc;
  try {
    doc = parser.parseMemory(body.data(), body.size());
  } catch (const Poco::Exception& e) {
    return "Invalid XML in request body: " + e.displayText();
  }
  const Element* root = doc->documentElement();
  if (root == nullptr || root->localName() != "ServiceRequest") {
    return std::string(
        "Invalid request body: the root element must be ServiceRequest");
  }
  auto add_criterion = [&](const Element* c) -> std::string {
    Criterion crit;
    crit.field = Trim(c->getAttribute("field"));
    crit.op = Trim(c->getAttribute("operator"));
    crit.value = TextOf(c);
    if (crit.field.empty()) return "Criteria is missing the field attribute";
    if (crit.op.empty()) {
      return "Criteria for field '" + crit.field +
             "' is missing the operator attribute";
    }
    req.criteria.push_back(std::move(crit));
    return {};
  };
  for (Node* n = root->firstChild(); n != nullptr; n = n->nextSibling()) {
    if (n->nodeType() != Node::ELEMENT_NODE) continue;
    const auto* e = static_cast<const Element*>(n);
    const std::string& name = e->localName();
    if (name == "preferences") {
      for (Node* p = e->firstChild(); p != nullptr; p = p->nextSibling()) {
        if (p->nodeType() != Node::ELEMENT_NODE) continue;
        const auto* pe = static_cast<const Element*>(p);
        const std::string value = TextOf(pe);
        const std::string& pname = pe->localName();
        if (pname == "limitResults" || pname == "limitHistories" ||
            pname == "startFromId" || pname == "startFromOffset") {
          const auto v = ParseUint(value);
          if (!v) {
            return "Invalid value '" + value + "' for preference " + pname;
          }
          if (pname == "limitResults") req.limit_results = *v;
          if (pname == "limitHistories") req.limit_histories = *v;
          if (pname == "startFromId") req.start_from_id = *v;
        } else if (pname == "verbose") {
          if (value != "true" && value != "false") {
            return "Invalid value '" + value + "' for preference verbose";
          }
          req.verbose = value == "true";
        }
      }
    } else if (name == "filters") {
      for (Node* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
        if (c->nodeType() != Node::ELEMENT_NODE) continue;
        const auto* ce = static_cast<const Element*>(c);
        if (ce->localName() != "Criteria") continue;
        if (std::string err = add_criterion(ce); !err.empty()) return err;
      }
    } else if (name == "Criteria") {
      if (std::string err = add_criterion(e); !err.empty()) return err;
    }
  }
  return req;
}

std::variant<Query, std::string> Query::Compile(
    std::span<const Criterion> criteria, std::span<const FieldSpec> fields) {
  Query q;
  for (const Criterion& c : criteria) {
    const auto spec =
        std::find_if(fields.begin(), fields.end(),
                     [&](const FieldSpec& f) { return f.name == c.field; });
    if (spec == fields.end()) {
      return "Unknown or unsupported search criteria field: '" + c.field + "'";
    }
    const std::optional<Op> op = ParseOp(c.op);
    if (!op || !Supports(spec->type, *op)) {
      return "Operator '" + c.op + "' is not supported for field '" + c.field +
             "'";
    }
    Predicate p;
    p.field = static_cast<std::size_t>(spec - fields.begin());
    p.type = spec->type;
    p.op = *op;
    auto bad_value = [&] {
      return "Invalid value '" + c.value + "' for field '" + c.field + "'";
    };
    switch (spec->type) {
      case FieldType::kId:
      case FieldType::kNumber: {
        const std::vector<std::string> items =
            *op == Op::kIn ? SplitList(c.value)
                           : std::vector<std::string>{c.value};
        if (items.empty()) return bad_value();
        for (const std::string& item : items) {
          const auto v = ParseUint(item);
          if (!v) return bad_value();
          p.numbers.push_back(*v);
        }
        break;
      }
      case FieldType::kDate: {
        const auto t = ParseIso(c.value);
        if (!t) {
          return "Invalid date '" + c.value + "' for field '" + c.field +
                 "' (expected YYYY-MM-DDTHH:MM:SSZ)";
        }
        p.date = *t;
        break;
      }
      case FieldType::kText:
      case FieldType::kKeyword:
        p.texts = *op == Op::kIn ? SplitList(c.value)
                                 : std::vector<std::string>{c.value};
        if (p.texts.empty()) return bad_value();
        break;
    }
    if (spec->type == FieldType::kId) {
      const std::uint64_t v = p.numbers.front();
      switch (*op) {
        case Op::kGreater:
          if (v == UINT64_MAX) return bad_value();
          q.RaiseMinId(v + 1);
          if (!q.after_id_ || v > *q.after_id_) q.after_id_ = v;
          continue;
        case Op::kLesser:
          if (v == 0) return bad_value();
          q.max_id_ = std::min(q.max_id_, v - 1);
          continue;
        case Op::kEquals:
          q.RaiseMinId(v);
          q.max_id_ = std::min(q.max_id_, v);
          continue;
        case Op::kIn:
          q.RaiseMinId(*std::min_element(p.numbers.begin(), p.numbers.end()));
          q.max_id_ = std::min(
              q.max_id_, *std::max_element(p.numbers.begin(), p.numbers.end()));
          break;  // still a predicate: the ids between are excluded
        default:
          break;
      }
    }
    q.predicates_.push_back(std::move(p));
  }
  return q;
}

bool Query::Evaluate(const Predicate& p, const FieldValue& v) {
  if (!v.present) return p.op == Op::kNotEquals;
  switch (p.type) {
    case FieldType::kId:
    case FieldType::kNumber: {
      const std::uint64_t x = v.number;
      switch (p.op) {
        case Op::kEquals:
          return x == p.numbers.front();
        case Op::kNotEquals:
          return x != p.numbers.front();
        case Op::kGreater:
          return x > p.numbers.front();
        case Op::kLesser:
          return x < p.numbers.front();
        case Op::kIn:
          return std::find(p.numbers.begin(), p.numbers.end(), x) !=
                 p.numbers.end();
        case Op::kContains:
          return false;
      }
      return false;
    }
    case FieldType::kDate:
      switch (p.op) {
        case Op::kEquals:
          return v.date == p.date;
        case Op::kGreater:
          return v.date > p.date;
        case Op::kLesser:
          return v.date < p.date;
        default:
          return false;
      }
    case FieldType::kText:
    case FieldType::kKeyword:
      switch (p.op) {
        case Op::kEquals:
          return v.text == p.texts.front();
        case Op::kNotEquals:
          return v.text != p.texts.front();
        case Op::kIn:
          return std::find(p.texts.begin(), p.texts.end(), v.text) !=
                 p.texts.end();
        case Op::kContains:
          return v.text.find(p.texts.front()) != std::string_view::npos;
        default:
          return false;
      }
  }
  return false;
}

}  // namespace qx::sim
