// libFuzzer target: ParseWasScanSchedulePage and ParseWebAppPage over the
// same arbitrary bytes. Checks the documented sendMail defaults.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_common.h"
#include "qx/client/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  volatile std::size_t sink = 0;
  qx::fuzz::Parse([&] {
    std::istringstream in(bytes);
    const qx::QpsPageInfo info =
        qx::ParseWasScanSchedulePage(in, [&](qx::WasScanSchedule&& s) {
          if (!s.send_mail && !s.send_mail_from.empty()) {
            qx::fuzz::Finding("a sender although sendMail is false");
          }
          if (s.send_mail && s.send_mail_from.empty()) {
            qx::fuzz::Finding("sendMail without a sender (default missing)");
          }
          std::size_t x = s.id + qx::fuzz::Touch(s.name) +
                          qx::fuzz::Touch(s.type) +
                          qx::fuzz::Touch(s.occurrence_type) +
                          qx::fuzz::Touch(s.next_launch_date) +
                          qx::fuzz::Touch(s.included_tags.option) +
                          qx::fuzz::Touch(s.send_mail_from);
          for (auto id : s.webapp_ids) x += id;
          for (auto id : s.excluded_tags.tag_ids) x += id;
          x += qx::ScheduleTargetsWebApp(s, 1, s.included_tags.tag_ids);
          sink = sink + x;
        });
    sink = sink + qx::fuzz::TouchPageInfo(info);
  });
  qx::fuzz::Parse([&] {
    std::istringstream in(bytes);
    const qx::QpsPageInfo info = qx::ParseWebAppPage(in, [&](qx::WebApp&& a) {
      std::size_t x = a.id + qx::fuzz::Touch(a.name) + qx::fuzz::Touch(a.url);
      for (auto id : a.tag_ids) x += id;
      sink = sink + x;
    });
    sink = sink + qx::fuzz::TouchPageInfo(info);
  });
  return 0;
}
