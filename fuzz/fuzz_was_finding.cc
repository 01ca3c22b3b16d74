// libFuzzer target: ParseWasFindingPage over arbitrary bytes (including the
// QID 150141 keyword payloads it extracts).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_common.h"
#include "qx/client/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  volatile std::size_t sink = 0;
  qx::fuzz::Parse([&] {
    qx::QpsPageInfo info = qx::ParseWasFindingPage(in, [&](qx::WasFinding&& f) {
      using qx::fuzz::Touch;
      std::size_t h = f.id + f.qid + f.webapp_id +
                      static_cast<std::size_t>(f.severity) +
                      static_cast<std::size_t>(f.times_detected) + f.potential +
                      f.is_ignored;
      h += Touch(f.unique_id) + Touch(f.name) +
           Touch(qx::FindingCategoryLabel(f.category)) + Touch(f.status) +
           Touch(f.finding_type) + Touch(f.webapp_name) + Touch(f.webapp_url) +
           Touch(f.first_detected_date) + Touch(f.last_detected_date) +
           Touch(f.last_tested_date) + Touch(f.updated_date);
      if (f.cvss_v3) {
        h += static_cast<std::size_t>(f.cvss_v3->base > f.cvss_v3->temporal) +
             Touch(f.cvss_v3->attack_vector);
      }
      for (const auto& s : f.history)
        h += s.id + Touch(s.reference) + Touch(s.launched_date);
      h += qx::fuzz::CheckKeywordMatches(f.keyword_matches);
      sink = sink + h;
    });
    sink = sink + qx::fuzz::TouchPageInfo(info);
  });
  return 0;
}
