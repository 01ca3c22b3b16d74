// libFuzzer target: ParseHostAssetPage over arbitrary bytes.
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
    qx::QpsPageInfo info = qx::ParseHostAssetPage(in, [&](qx::HostAsset&& a) {
      std::size_t h = a.id + qx::fuzz::Touch(a.name) +
                      qx::fuzz::Touch(a.modified) +
                      qx::fuzz::Touch(qx::CloudProviderLabel(a.cloud_provider));
      if (a.azure) {
        h += qx::fuzz::Touch(a.azure->subscription_id) +
             qx::fuzz::Touch(a.azure->resource_group) +
             qx::fuzz::Touch(a.azure->vnet) + qx::fuzz::Touch(a.azure->subnet) +
             qx::fuzz::Touch(a.azure->location) +
             qx::fuzz::Touch(a.azure->state);
      }
      for (const auto& v : a.vulns) h += v.qid ^ v.host_instance_vuln_id;
      sink = sink + h;
    });
    sink = sink + qx::fuzz::TouchPageInfo(info);
  });
  return 0;
}
