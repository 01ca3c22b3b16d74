// QPS REST <ServiceRequest> bodies: parsing and search criteria.
//
//   <ServiceRequest>
//     <preferences><limitResults>100</limitResults><verbose>true</verbose>
//       <limitHistories>3</limitHistories></preferences>
//     <filters><Criteria field="id" operator="GREATER">123</Criteria></filters>
//   </ServiceRequest>
//
// Criteria are also accepted directly under ServiceRequest (as in some
// published samples). External entities and DTDs are never loaded.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "qx/sim/time_util.h"

namespace qx::sim {

struct Criterion {
  std::string field;
  std::string op;  // EQUALS, NOT EQUALS, GREATER, LESSER, IN, CONTAINS
  std::string value;
};

struct ServiceRequest {
  std::optional<std::uint64_t> limit_results;
  bool verbose = false;
  std::optional<std::uint64_t> limit_histories;
  std::optional<std::uint64_t> start_from_id;
  std::vector<Criterion> criteria;
};

// An empty body is a request with defaults. Returns an error message (for
// responseErrorDetails) when the body is not a valid ServiceRequest.
std::variant<ServiceRequest, std::string> ParseServiceRequest(
    std::string_view body);

enum class FieldType : std::uint8_t {
  kId,       // the record id: drives pagination bounds
  kNumber,   // unsigned integer
  kDate,     // YYYY-MM-DDTHH:MM:SSZ
  kText,     // free text (EQUALS, CONTAINS, IN)
  kKeyword,  // enumerated text (EQUALS, NOT EQUALS, IN)
};

struct FieldSpec {
  std::string_view name;
  FieldType type;
};

// The value of one field of a record, as the criteria see it.
struct FieldValue {
  std::uint64_t number = 0;
  Seconds date = 0;
  std::string_view text;
  bool present = true;  // absent fields never match
};

enum class Op : std::uint8_t {
  kEquals,
  kNotEquals,
  kGreater,
  kLesser,
  kIn,
  kContains
};

struct Predicate {
  std::size_t field = 0;  // index into the FieldSpec table
  FieldType type = FieldType::kNumber;
  Op op = Op::kEquals;
  std::vector<std::uint64_t> numbers;  // kId/kNumber (IN: several)
  Seconds date = 0;
  std::vector<std::string> texts;  // kText/kKeyword (IN: several)
};

// Criteria compiled against a resource's field table. Id criteria become
// inclusive bounds used to position the page window; everything else is a
// predicate evaluated on each candidate record.
class Query {
 public:
  // Returns the error message when a criterion names an unknown field, an
  // operator the field does not support, or a malformed value.
  static std::variant<Query, std::string> Compile(
      std::span<const Criterion> criteria, std::span<const FieldSpec> fields);

  std::uint64_t min_id() const { return min_id_; }  // inclusive
  std::uint64_t max_id() const { return max_id_; }  // inclusive
  // The largest "id GREATER" value, if any (the pagination cursor).
  std::optional<std::uint64_t> after_id() const { return after_id_; }
  void RaiseMinId(std::uint64_t id) {
    if (id > min_id_) min_id_ = id;
  }

  // get(field_index) -> FieldValue
  template <typename Get>
  bool Matches(Get&& get) const {
    for (const Predicate& p : predicates_) {
      if (!Evaluate(p, get(p.field))) return false;
    }
    return true;
  }
  bool has_predicates() const { return !predicates_.empty(); }

 private:
  static bool Evaluate(const Predicate& p, const FieldValue& v);

  std::uint64_t min_id_ = 0;
  std::uint64_t max_id_ = UINT64_MAX;
  std::optional<std::uint64_t> after_id_;
  std::vector<Predicate> predicates_;
};

}  // namespace qx::sim
