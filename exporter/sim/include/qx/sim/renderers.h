// XML writers for the simulated API responses. They render the data model;
// no response is a canned string.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "qx/sim/host_assets.h"
#include "qx/sim/knowledge_base.h"
#include "qx/sim/was_findings.h"
#include "qx/sim/xml_writer.h"

namespace qx::sim {

inline constexpr std::string_view kHostAssetXsd =
    "https://qualysapi.qualys.com/qps/xsd/2.0/am/hostasset.xsd";
inline constexpr std::string_view kFindingXsd =
    "https://qualysapi.qualys.com/qps/xsd/3.0/was/finding.xsd";

// <?xml ...?><ServiceResponse xmlns:xsi=... xsi:noNamespaceSchemaLocation=..>
void OpenServiceResponse(XmlWriter& w, std::string_view xsd);

// A complete ServiceResponse carrying responseCode and responseErrorDetails.
std::string RenderQpsError(std::string_view xsd, std::string_view code,
                           std::string_view message,
                           std::string_view resolution = {});

// The ServiceResponse of a QPS count call (SUCCESS and <count> only).
std::string RenderQpsCount(std::string_view xsd, std::uint64_t count);

// One <HostAsset> element.
void WriteHostAsset(XmlWriter& w, const HostAssetGenerator& gen,
                    const HostAssetRec& h);

struct FindingRenderOptions {
  bool verbose = false;  // resultList and history only when verbose
  std::optional<std::uint64_t> limit_histories;
};
// One <Finding> element.
void WriteFinding(XmlWriter& w, const WasDataset& was, const WasFindingRec& f,
                  const FindingRenderOptions& opts);
// The PayloadInstance/response text of a QID 150141 finding.
std::string KeywordResponseText(const WasFindingRec& f);

enum class KbDetails { kNone, kBasic, kAll };
std::string RenderKnowledgeBase(std::span<const KbEntry* const> entries,
                                KbDetails details, Seconds now);

// API v2 <SIMPLE_RETURN> error body. seconds_to_wait adds the ITEM_LIST the
// API sends with rate-limit errors.
std::string RenderSimpleReturn(std::string_view code, std::string_view text,
                               Seconds now,
                               std::optional<Seconds> seconds_to_wait = {});

std::string Base64(std::string_view data);

}  // namespace qx::sim
