// <HostAsset> as /qps/rest/2.0/search/am/hostasset returns it, with the
// elements a parser has to skip (tags, agentInfo, openPort, software, ...).
#include "qx/sim/renderers.h"
#include "qx/sim/rng.h"

namespace qx::sim {
namespace {

constexpr std::string_view kOwners[] = {
    "John Doe", "Jürgen Groß", "O'Brien & Partners", "山田 太郎", "ops <team>"};
constexpr std::string_view kDepartments[] = {"Engineering", "R&D",
                                             "Finance \"EMEA\"", "Operations"};

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

std::string Ip(std::uint32_t ip) {
  std::string s;
  s.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    s += std::to_string((ip >> shift) & 0xff);
    if (shift > 0) s += '.';
  }
  return s;
}

// 00-0D-3A-xx-xx-xx (Azure style with '-', others ':').
std::string Mac(std::uint64_t salt, char sep) {
  std::string s = "00?0D?3A?00?00?00";
  for (std::size_t i = 2; i < s.size(); i += 3) s[i] = sep;
  for (int b = 0; b < 3; ++b) {
    const auto v = static_cast<unsigned>((salt >> (8 * b)) & 0xff);
    s[static_cast<std::size_t>(9 + 3 * b)] = kHexUpper[v >> 4];
    s[static_cast<std::size_t>(10 + 3 * b)] = kHexUpper[v & 15];
  }
  return s;
}

// The low `digits` hex digits of v (digits <= 16, zero-padded).
std::string Hex(std::uint64_t v, int digits) {
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0 && i >= digits - 16; --i) {
    s[static_cast<std::size_t>(i)] = kHexDigits[v & 15];
    v >>= 4;
  }
  return s;
}

bool IsWindows(const HostAssetRec& h) {
  return OsNames()[h.os].starts_with("Windows");
}

void WriteName(XmlWriter& w, std::string_view element, const HostAssetRec& h) {
  if (h.name_cdata) {
    w.Cdata(element, h.name);
  } else {
    w.Text(element, h.name);
  }
}

void WriteTagList(XmlWriter& w, std::string_view outer, std::string_view item,
                  const HostAssetRec& h) {
  XmlElement o(w, outer);
  XmlElement tags(w, "tags");
  XmlElement list(w, "list");
  {
    XmlElement t(w, item);
    w.Text("key", "Owner");
    w.Text("value", kOwners[h.salt % std::size(kOwners)]);
  }
  if ((h.salt >> 8) % 2 == 0) {
    XmlElement t(w, item);
    w.Text("key", "Department");
    w.Text("value", kDepartments[(h.salt >> 12) % std::size(kDepartments)]);
  }
}

void WriteAzure(XmlWriter& w, const HostAssetGenerator& gen,
                const HostAssetRec& h) {
  const bool windows = IsWindows(h);
  XmlElement src(w, "AzureAssetSourceSimple");
  w.Number("assetId", h.id);
  w.Text("type", "AZURE");
  w.Date("firstDiscovered", h.created);
  w.Date("lastUpdated", h.source_updated);
  WriteTagList(w, "azureVmTags", "AzureTags", h);
  WriteName(w, "name", h);
  w.Text("location", gen.ResourceGroupOf(h).location);
  w.Text("vmSize", (h.salt >> 20) % 2 ? "Standard_B1ls" : "Standard_D4s_v5");
  w.Text("vmId", GuidFromHash(gen.seed(), h.salt));
  w.Text("offer", windows ? "WindowsServer" : "0001-com-ubuntu-server-jammy");
  w.Text("state", gen.StateOf(h));
  w.Text("publisher", windows ? "MicrosoftWindowsServer" : "Canonical");
  w.Text("version", "latest");
  w.Text("osType", windows ? "Windows" : "Linux");
  w.Text("subnet", gen.SubnetOf(h));
  w.Text("subscriptionId", gen.SubscriptionOf(h).id);
  w.Text("resourceGroupName", gen.ResourceGroupOf(h).name);
  w.Text("macAddress", Mac(h.salt, '-'));
  w.Text("privateIpAddress", Ip(h.private_ip));
  if ((h.salt >> 24) % 4 == 0) {
    w.Text("publicIpAddress", Ip(0x14000000u | (h.private_ip & 0xffffff)));
  }
  if (h.has_vnet_element) w.Text("virtualNetwork", gen.VnetOf(h).name);
}

void WriteEc2(XmlWriter& w, const HostAssetGenerator& gen,
              const HostAssetRec& h) {
  XmlElement src(w, "Ec2AssetSourceSimple");
  const std::string_view region = Ec2Regions()[h.region];
  w.Number("assetId", h.id);
  w.Text("type", "EC_2");
  w.Date("firstDiscovered", h.created);
  w.Date("lastUpdated", h.source_updated);
  WriteTagList(w, "ec2InstanceTags", "EC2Tags", h);
  w.Text("reservationId", "r-" + Hex(h.salt, 17));
  w.Text("availabilityZone", std::string(region) + "c");
  w.Text("privateIpAddress", Ip(h.private_ip));
  w.Text("instanceType", (h.salt >> 20) % 2 ? "t3.medium" : "m6i.large");
  w.Text("instanceId", "i-" + Hex(h.salt >> 3, 17));
  w.Text("instanceState", gen.StateOf(h));
  w.Text("vpcId", "vpc-" + Hex(Hash({gen.seed(), h.region, h.network}), 17));
  w.Text("subnetId",
         "subnet-" + Hex(Hash({gen.seed(), h.region, h.network, 9}), 17));
  w.Text("accountId", std::to_string(100000000000ULL + gen.seed() % 899999));
  w.Text("region", region);
  w.Text("zone", "VPC");
  w.Text("imageId", "ami-" + Hex(h.salt >> 7, 17));
  w.Text("groupName", "default");
  w.Text("groupId", "sg-" + Hex(h.salt >> 9, 17));
  w.Text("macAddress", Mac(h.salt, ':'));
  w.Text("privateDnsName", h.name);
  w.Text("localHostname", h.name);
  w.Text("monitoringEnabled", "false");
  w.Text("spotInstance", (h.salt >> 30) % 5 == 0 ? "true" : "false");
  w.Date("createdDate", h.created - kDay);
}

void WriteGcp(XmlWriter& w, const HostAssetGenerator& gen,
              const HostAssetRec& h) {
  XmlElement src(w, "GcpAssetSourceSimple");
  w.Number("assetId", h.id);
  w.Text("type", "GCP");
  w.Date("firstDiscovered", h.created);
  w.Date("lastUpdated", h.source_updated);
  w.Text("instanceId", std::to_string(h.salt % 9000000000000000000ULL +
                                      1000000000000000000ULL));
  w.Text("hostname", h.name);
  w.Text("machineType", "n2-standard-4");
  w.Text("projectIdNo", std::to_string(600000000000ULL + gen.seed() % 99999));
  w.Text("projectId", "prj-shop-" + std::to_string(h.network + 1));
  w.Text("zone", GcpZones()[h.region]);
  w.Text("state", gen.StateOf(h));
  w.Text("network", h.network == 0 ? "default" : "vpc-prod");
  w.Text("imageId", "projects/debian-cloud/global/images/debian-12");
  w.Text("macAddress", Mac(h.salt, ':'));
  w.Text("privateIpAddress", Ip(h.private_ip));
}

}  // namespace

void WriteHostAsset(XmlWriter& w, const HostAssetGenerator& gen,
                    const HostAssetRec& h) {
  const bool windows = IsWindows(h);
  XmlElement asset(w, "HostAsset");
  w.Number("id", h.id);
  WriteName(w, "name", h);
  w.Date("created", h.created);
  w.Date("modified", h.modified);
  w.Text("type", "HOST");
  {
    XmlElement tags(w, "tags");
    XmlElement list(w, "list");
    if (h.agent) {
      XmlElement t(w, "TagSimple");
      w.Number("id", 33643630);
      w.Text("name", "Cloud Agent");
    }
    XmlElement t(w, "TagSimple");
    w.Number("id", 33643631 + h.salt % 3);
    w.Text("name", h.salt % 3 == 0 ? "Production & DMZ" : "Servers");
  }
  if (h.has_source_info) {
    XmlElement info(w, "sourceInfo");
    XmlElement list(w, "list");
    switch (h.cloud) {
      case Cloud::kAzure:
        WriteAzure(w, gen, h);
        break;
      case Cloud::kAws:
        WriteEc2(w, gen, h);
        break;
      case Cloud::kGcp:
        WriteGcp(w, gen, h);
        break;
      case Cloud::kNone:
        break;
    }
    if (h.cloud == Cloud::kNone || h.extra_asset_source) w.Empty("AssetSource");
  }
  if (h.has_qweb_host) w.Number("qwebHostId", h.qweb_host_id);
  if (h.salt % 4 == 0 && h.vm_scanned) {
    w.Date("lastComplianceScan", h.last_vuln_scan - kDay);
  }
  w.Date("lastSystemBoot", h.last_boot);
  w.Text("lastLoggedOnUser", windows ? "CORP\\svc_backup" : "root");
  w.Text("fqdn", h.cloud == Cloud::kAws ? h.name : h.name + ".internal");
  w.Text("os", OsNames()[h.os]);
  w.Text("dnsHostName", h.name);
  if (h.agent) {
    XmlElement agent(w, "agentInfo");
    w.Text("agentVersion", windows ? "5.4.0.6" : "6.1.0.28");
    w.Text("agentId", GuidFromHash(gen.seed(), h.salt ^ 0xa9e47));
    w.Text("status", "STATUS_ACTIVE");
    w.Date("lastCheckedIn", h.modified);
    w.Text("connectedFrom", Ip(0x14000000u | (h.private_ip & 0xffffff)));
    w.Text("location", "Zürich, Switzerland");
    w.Text("platform", windows ? "Windows" : "Linux");
    w.Text("activatedModule", "AGENT_VM,AGENT_SCA,AGENT_PM");
    {
      XmlElement mv(w, "manifestVersion");
      w.Text("vm", "VULNSIGS-VM-2.6.48-1");
      w.Text("sca", "VULNSIGS-SCA-2.6.48.2-1");
    }
    {
      XmlElement cfg(w, "agentConfiguration");
      w.Number("id", 1000);
      w.Text("name", "Initial Profile");
    }
    {
      XmlElement key(w, "activationKey");
      w.Text("activationId", GuidFromHash(gen.seed(), 42));
      w.Text("title", "Cloud agent key");
    }
  }
  w.Text("networkGuid", GuidFromHash(gen.seed(), 7));
  w.Text("address", Ip(h.private_ip));
  w.Text("trackingMethod", h.agent                  ? "QAGENT"
                           : h.cloud == Cloud::kAws ? "INSTANCE_ID"
                                                    : "IP");
  switch (h.cloud) {
    case Cloud::kAzure:
      w.Text("manufacturer", "Microsoft Corporation");
      w.Text("model", "Virtual Machine");
      break;
    case Cloud::kAws:
      w.Text("manufacturer", "Xen");
      w.Text("model", "HVM domU");
      break;
    case Cloud::kGcp:
      w.Text("manufacturer", "Google");
      w.Text("model", "Google Compute Engine");
      break;
    case Cloud::kNone:
      w.Text("manufacturer", "VMware, Inc.");
      w.Text("model", "VMware Virtual Platform");
      break;
  }
  w.Number("totalMemory", 4096 << (h.salt % 3));
  w.Text("timezone", "+00:00");
  w.Text("biosDescription", h.cloud == Cloud::kAws
                                ? "Xen 4.11.amazon 08/24/2006"
                                : "Hyper-V UEFI Release v4.1 08/23/2023");
  {
    XmlElement ports(w, "openPort");
    XmlElement list(w, "list");
    const int first = windows ? 3389 : 22;
    {
      XmlElement p(w, "HostAssetOpenPort");
      w.Number("port", first);
      w.Text("protocol", "TCP");
      w.Text("serviceName", windows ? "ms-wbt-server" : "ssh");
    }
    if (h.salt % 2 == 0) {
      XmlElement p(w, "HostAssetOpenPort");
      w.Number("port", 443);
      w.Text("protocol", "TCP");
      w.Text("serviceName", "https");
    }
  }
  {
    XmlElement sw(w, "software");
    XmlElement list(w, "list");
    XmlElement s(w, "HostAssetSoftware");
    w.Text("name", windows ? "Microsoft Visual C++ 2015-2022 Redistributable"
                           : "openssl");
    w.Text("version", windows ? "14.38.33130.0" : "3.0.2-0ubuntu1.15");
  }
  if (!h.vulns.empty()) {
    XmlElement vuln(w, "vuln");
    XmlElement list(w, "list");
    for (const HostVulnRec& v : h.vulns) {
      XmlElement item(w, "HostAssetVuln");
      w.Number("qid", v.qid);
      w.Number("hostInstanceVulnId", v.host_instance_vuln_id);
      w.Date("firstFound", v.first_found);
      w.Date("lastFound", v.last_found);
    }
  } else if (h.vm_scanned && h.salt % 2 == 0) {
    // Cloud-only assets (connector-discovered, never scanned) carry neither
    // a vuln list nor vulnsUpdated, as on real tenants.
    XmlElement vuln(w, "vuln");
    w.Empty("list");
  }
  {
    XmlElement proc(w, "processor");
    XmlElement list(w, "list");
    XmlElement p(w, "HostAssetProcessor");
    w.Text("name", "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz");
    w.Number("speed", 2800);
  }
  {
    XmlElement vol(w, "volume");
    XmlElement list(w, "list");
    XmlElement v(w, "HostAssetVolume");
    w.Text("name", windows ? "C:" : "/");
    w.Number("size", 136'365'211'648ULL);
    w.Number("free", 52'079'673'344ULL + (h.salt % 1000) * 1'000'000ULL);
  }
  {
    XmlElement acc(w, "account");
    XmlElement list(w, "list");
    XmlElement a(w, "HostAssetAccount");
    w.Text("username", windows ? "Administrator" : "root");
  }
  {
    XmlElement nic(w, "networkInterface");
    XmlElement list(w, "list");
    XmlElement i(w, "HostAssetInterface");
    w.Text("interfaceName", windows ? "Ethernet" : "eth0");
    w.Text("macAddress", Mac(h.salt, ':'));
    w.Text("address", Ip(h.private_ip));
    w.Text("gatewayAddress", Ip((h.private_ip & 0xffffff00u) | 1u));
    w.Text("hostname", h.name);
  }
  if (h.vm_scanned) w.Date("lastVulnScan", h.last_vuln_scan);
  if (h.vm_scanned) w.Date("vulnsUpdated", h.vulns_updated);
  w.Text("isDockerHost", "false");
}

}  // namespace qx::sim
