#include "qx/sources/run_sync.h"

#include "qx/client/errors.h"

namespace qx {

std::optional<std::uint64_t> CountForProgress(QualysClient& client,
                                              const std::string& count_path,
                                              const std::string& label) {
  try {
    return CountRecords(client, count_path, label);
  } catch (const ApiError& e) {
    if (e.http_status() == 401 || e.http_status() == 403) throw;
    LOG(WARNING) << label
                 << ": cannot count records for progress: " << e.what();
  } catch (const std::exception& e) {
    LOG(WARNING) << label
                 << ": cannot count records for progress: " << e.what();
  }
  return std::nullopt;
}

}  // namespace qx
