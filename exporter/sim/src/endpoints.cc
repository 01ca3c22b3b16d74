// Which API family an endpoint path belongs to, and its QPS xsd.
#include "qx/sim/handlers.h"
#include "qx/sim/renderers.h"
#include "qx/sim/schedule_render.h"

namespace qx::sim {

bool IsQpsPath(std::string_view path) {
  for (std::string_view p :
       {kHostAssetPath, kHostAssetCountPath, kFindingPath, kFindingCountPath,
        kScheduleSearchPath, kScheduleCountPath, kWebAppSearchPath,
        kWebAppCountPath}) {
    if (path == p) return true;
  }
  return false;
}

bool IsV2Path(std::string_view path) {
  return path == kKnowledgeBasePath || path == kHostDetectionPath;
}

std::string_view QpsXsdFor(std::string_view path) {
  if (path.find("/am/") != std::string_view::npos) return kHostAssetXsd;
  if (path.find("wasscanschedule") != std::string_view::npos) {
    return kScheduleXsd;
  }
  if (path.find("/was/webapp") != std::string_view::npos) return kWebAppXsd;
  return kFindingXsd;
}

}  // namespace qx::sim
