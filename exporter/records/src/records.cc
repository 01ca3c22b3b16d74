#include "qx/records/records.h"

namespace qx {

std::string_view CloudProviderLabel(CloudProvider p) {
  switch (p) {
    case CloudProvider::kAzure:
      return "azure";
    case CloudProvider::kAws:
      return "aws";
    case CloudProvider::kGcp:
      return "gcp";
    case CloudProvider::kNone:
      break;
  }
  return "none";
}

std::string_view FindingCategoryLabel(FindingCategory c) {
  switch (c) {
    case FindingCategory::kSensitiveContent:
      return "SENSITIVE_CONTENT";
    case FindingCategory::kInformationGathered:
      return "INFORMATION_GATHERED";
    case FindingCategory::kVulnerability:
      break;
  }
  return "VULNERABILITY";
}

std::optional<FindingCategory> ParseFindingCategory(std::string_view type) {
  if (type == "VULNERABILITY") return FindingCategory::kVulnerability;
  if (type == "SENSITIVE_CONTENT" || type == "SENSITIVE CONTENT")
    return FindingCategory::kSensitiveContent;
  if (type == "INFORMATION_GATHERED" || type == "INFORMATION GATHERED")
    return FindingCategory::kInformationGathered;
  return std::nullopt;
}

}  // namespace qx
