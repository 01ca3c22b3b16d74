// ServiceResponse of /qps/rest/2.0/search/am/hostasset:
//
//   ServiceResponse/{responseCode,count,hasMoreRecords,lastId}
//   ServiceResponse/data/HostAsset/{id,name,modified,vulnsUpdated,qwebHostId,
//        lastVulnScan}
//   .../HostAsset/agentInfo/lastCheckedIn
//   .../HostAsset/sourceInfo/list/AzureAssetSourceSimple/
//        {subscriptionId,resourceGroupName,virtualNetwork,subnet,location,state}
//   .../HostAsset/sourceInfo/list/{Ec2AssetSourceSimple,GcpAssetSourceSimple,
//        AssetSource,...}
//   .../HostAsset/vuln/list/HostAssetVuln/{qid,hostInstanceVulnId}
#include <utility>

#include "qx/client/parsers.h"
#include "xml_sax.h"

namespace qx {
namespace {

enum Id : int {
  kAsset,
  kAssetId,
  kAssetName,
  kAssetModified,
  kAssetVulnsUpdated,
  kAssetQwebHostId,
  kAssetLastVulnScan,
  kAgentLastCheckedIn,
  kAzure,
  kAzureSubscription,
  kAzureResourceGroup,
  kAzureVnet,
  kAzureSubnet,
  kAzureLocation,
  kAzureState,
  kEc2,
  kGcp,
  kVuln,
  kVulnQid,
  kVulnInstanceId,
};

const sax::PathTable& Table() {
  static const sax::PathTable table = [] {
    sax::PathTable t;
    sax::QpsEnvelope::AddPaths(t);
    constexpr std::string_view kA = "ServiceResponse/data/HostAsset";
    auto add = [&t, kA](int id, std::string_view rest) {
      std::string path(kA);
      if (!rest.empty()) path += "/" + std::string(rest);
      t.Add(id, path);
    };
    add(kAsset, "");
    add(kAssetId, "id");
    add(kAssetName, "name");
    add(kAssetModified, "modified");
    add(kAssetVulnsUpdated, "vulnsUpdated");
    add(kAssetQwebHostId, "qwebHostId");
    add(kAssetLastVulnScan, "lastVulnScan");
    add(kAgentLastCheckedIn, "agentInfo/lastCheckedIn");
    constexpr std::string_view kAz = "sourceInfo/list/AzureAssetSourceSimple";
    auto az = [&add, kAz](int id, std::string_view field) {
      add(id, std::string(kAz) + "/" + std::string(field));
    };
    add(kAzure, kAz);
    az(kAzureSubscription, "subscriptionId");
    az(kAzureResourceGroup, "resourceGroupName");
    az(kAzureVnet, "virtualNetwork");
    az(kAzureSubnet, "subnet");
    az(kAzureLocation, "location");
    az(kAzureState, "state");
    add(kEc2, "sourceInfo/list/Ec2AssetSourceSimple");
    add(kGcp, "sourceInfo/list/GcpAssetSourceSimple");
    add(kVuln, "vuln/list/HostAssetVuln");
    add(kVulnQid, "vuln/list/HostAssetVuln/qid");
    add(kVulnInstanceId, "vuln/list/HostAssetVuln/hostInstanceVulnId");
    return t;
  }();
  return table;
}

class HostAssetHandler final : public sax::PathHandler {
 public:
  explicit HostAssetHandler(const std::function<void(HostAsset&&)>& on_record)
      : PathHandler(Table(), "hostasset response"), on_record_(on_record) {}

  QpsPageInfo Finish() && { return std::move(envelope_).Finish(); }

 private:
  void OnStart(int id) override {
    switch (id) {
      case kAsset:
        asset_ = HostAsset{};
        has_id_ = false;
        break;
      case kAzure:
        asset_.cloud_provider = CloudProvider::kAzure;
        // Only the first Azure source fills the record.
        azure_ = asset_.azure ? nullptr : &asset_.azure.emplace();
        break;
      case kEc2:
        if (asset_.cloud_provider == CloudProvider::kNone) {
          asset_.cloud_provider = CloudProvider::kAws;
        }
        break;
      case kGcp:
        if (asset_.cloud_provider == CloudProvider::kNone) {
          asset_.cloud_provider = CloudProvider::kGcp;
        }
        break;
      case kVuln:
        vuln_ = HostVuln{};
        vuln_has_qid_ = false;
        break;
      default:
        break;
    }
  }

  void OnEnd(int id, std::string_view text) override {
    if (envelope_.OnEnd(*this, id, text)) return;
    switch (id) {
      case kAsset:
        if (!has_id_) Fail("<HostAsset> without <id>");
        if (envelope_.emit_records()) on_record_(std::move(asset_));
        asset_ = HostAsset{};
        break;
      case kAssetId:
        asset_.id = ToU64(text);
        has_id_ = !text.empty();
        break;
      case kAssetName:
        asset_.name = text;
        break;
      case kAssetModified:
        asset_.modified = text;
        break;
      case kAssetVulnsUpdated:
        asset_.vulns_updated = text;
        break;
      case kAssetQwebHostId:
        asset_.qweb_host_id = ToU64(text);
        break;
      case kAssetLastVulnScan:
        asset_.last_vuln_scan = text;
        break;
      case kAgentLastCheckedIn:
        asset_.agent_last_checked_in = text;
        break;
      case kAzure:
        azure_ = nullptr;
        break;
      case kAzureSubscription:
        if (azure_ != nullptr) azure_->subscription_id = text;
        break;
      case kAzureResourceGroup:
        if (azure_ != nullptr) azure_->resource_group = text;
        break;
      case kAzureVnet:
        if (azure_ != nullptr) azure_->vnet = text;
        break;
      case kAzureSubnet:
        if (azure_ != nullptr) azure_->subnet = text;
        break;
      case kAzureLocation:
        if (azure_ != nullptr) azure_->location = text;
        break;
      case kAzureState:
        if (azure_ != nullptr) azure_->state = text;
        break;
      case kVuln:
        if (!vuln_has_qid_) Fail("<HostAssetVuln> without <qid>");
        asset_.vulns.push_back(vuln_);
        break;
      case kVulnQid:
        vuln_.qid = ToU64(text);
        vuln_has_qid_ = !text.empty();
        break;
      case kVulnInstanceId:
        vuln_.host_instance_vuln_id = ToU64(text);
        break;
      default:
        break;
    }
  }

  const std::function<void(HostAsset&&)>& on_record_;
  sax::QpsEnvelope envelope_;
  HostAsset asset_;
  bool has_id_ = false;
  AzureSource* azure_ = nullptr;  // the Azure source being filled, if any
  HostVuln vuln_;
  bool vuln_has_qid_ = false;
};

}  // namespace

QpsPageInfo ParseHostAssetPage(
    std::istream& in, const std::function<void(HostAsset&&)>& on_record) {
  HostAssetHandler handler(on_record);
  handler.Parse(in);
  return std::move(handler).Finish();
}

}  // namespace qx
