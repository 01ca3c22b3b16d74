#include "qx/sim/host_assets.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "qx/sim/knowledge_base.h"
#include "qx/sim/rng.h"

namespace qx::sim {
namespace {

// Host ids start just below 2^32 so that a default-sized dataset crosses
// into 64-bit ids part-way through the first pages.
constexpr std::uint64_t kHostIdBase = 4'294'966'296ULL;
constexpr std::uint64_t kHostIdStride = 8;
// hostInstanceVulnId values live above 2^32 (like the real ones, ~1e10);
// a few exceed 2^53 so a double-based parser would corrupt them.
constexpr std::uint64_t kVulnIdHuge = (1ULL << 53) + 1;

enum Salt : std::uint64_t {
  kSaltId = 1,
  kSaltBase,
  kSaltChange,
  kSaltChangeBody,
  kSaltTopology,
};

constexpr std::string_view kOsNames[] = {
    "Windows Server 2019 Datacenter 64 bit Edition Version 1809",
    "Windows Server 2022 Standard 64 bit Edition Version 21H2",
    "Ubuntu Linux 22.04.4",
    "Red Hat Enterprise Linux 8.9",
    "CentOS Linux 7.9.2009",
    "Amazon Linux 2",
    "Debian GNU/Linux 12.5",
    "Windows 10 Enterprise 64 bit Edition Version 22H2",
};
constexpr unsigned kAmazonLinux = 5;
constexpr unsigned kDebian = 6;
constexpr std::string_view kAzureStates[] = {"RUNNING", "STOPPED",
                                             "DEALLOCATED"};
constexpr std::string_view kEc2States[] = {"RUNNING", "STOPPED"};
constexpr std::string_view kGcpStates[] = {"RUNNING", "TERMINATED"};
constexpr std::string_view kEc2Regions[] = {"us-east-1", "eu-central-1",
                                            "ap-northeast-1"};
constexpr std::string_view kGcpZones[] = {"us-central1-a", "europe-west6-b",
                                          "asia-northeast1-c"};

constexpr std::string_view kLocations[] = {"westus2",          "westeurope",
                                           "switzerlandnorth", "japaneast",
                                           "eastus2",          "northeurope"};
constexpr std::string_view kResourceGroups[] = {
    "CV-VirtualMachines-RG", "rg-prod-web",    "rg-data-platform",
    "rg-shared-services",    "RG-Legacy-ERP",  "rg-zürich-ops",
    "rg-k8s-nodes",          "rg-东京-retail", "rg-dev-sandbox"};
constexpr std::string_view kSubnetPool[] = {"default", "app", "data", "web",
                                            "mgmt"};
constexpr std::string_view kRoles[] = {"web",   "app",      "sql",  "jump",
                                       "build", "k8s-node", "cache"};
// Names that exercise escaping: quotes, backslashes, &, <, UTF-8, "]]>".
constexpr std::string_view kOddNames[] = {
    "web \"canary\" 01", "C:\\build\\agent", "R&D <lab> box",
    "Zürich-fileserver", "東京-db",          "O'Brien's laptop",
    "legacy]]>host",     "naïve-café-pos"};

std::string Fmt(const char* fmt, unsigned long long a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

bool NeedsCdataCandidate(std::string_view s) {
  for (char c : s) {
    if (c == '<' || c == '&' || c == '>' || c == '"' ||
        static_cast<unsigned char>(c) >= 0x80) {
      return true;
    }
  }
  return false;
}

AzureTopology BuildTopology(std::uint64_t seed) {
  AzureTopology t;
  Rng rng({seed, kSaltTopology});
  const std::size_t subs = 2 + rng.Index(2);  // 2-3
  std::vector<std::size_t> rg_order(std::size(kResourceGroups));
  for (std::size_t i = 0; i < rg_order.size(); ++i) rg_order[i] = i;
  for (std::size_t i = rg_order.size(); i > 1; --i) {
    std::swap(rg_order[i - 1], rg_order[rng.Index(i)]);
  }
  std::size_t next_rg = 0;
  unsigned octet = 16;
  for (std::size_t s = 0; s < subs; ++s) {
    t.subscriptions.push_back(
        {GuidFromHash(seed, 1000 + s), /*legacy=*/s == subs - 1});
    const std::size_t rgs = 2 + rng.Index(2);  // 2-3 per subscription
    for (std::size_t r = 0; r < rgs && next_rg < rg_order.size(); ++r) {
      const std::string rg_name(kResourceGroups[rg_order[next_rg++]]);
      t.resource_groups.push_back(
          {s, rg_name,
           std::string(kLocations[rng.Index(std::size(kLocations))])});
      const std::size_t rg_index = t.resource_groups.size() - 1;
      const std::size_t vnets = 1 + rng.Index(2);  // 1-2 per RG
      for (std::size_t v = 0; v < vnets; ++v) {
        AzureVnet vnet;
        vnet.resource_group = rg_index;
        vnet.name =
            v == 0 ? rg_name + "-vnet" : "vnet-spoke-0" + std::to_string(v);
        vnet.octet = octet++;
        // "default" nearly everywhere, so subnet names repeat across VNets.
        if (rng.Percent(85)) vnet.subnets.emplace_back("default");
        const std::size_t extra = 1 + rng.Index(2);
        for (std::size_t k = 0; k < extra; ++k) {
          std::string name(
              kSubnetPool[1 + rng.Index(std::size(kSubnetPool) - 1)]);
          if (std::find(vnet.subnets.begin(), vnet.subnets.end(), name) ==
              vnet.subnets.end()) {
            vnet.subnets.push_back(std::move(name));
          }
        }
        t.vnets.push_back(std::move(vnet));
      }
    }
  }
  return t;
}

}  // namespace

std::string_view CloudLabel(Cloud c) {
  switch (c) {
    case Cloud::kAzure:
      return "azure";
    case Cloud::kAws:
      return "aws";
    case Cloud::kGcp:
      return "gcp";
    case Cloud::kNone:
      break;
  }
  return "none";
}

std::string GuidFromHash(std::uint64_t a, std::uint64_t b) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::uint64_t h1 = Hash({a, b, 0x6u});
  const std::uint64_t h2 = Hash({a, b, 0x7u});
  // xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx
  std::string s = "00000000-0000-4000-8000-000000000000";
  std::uint64_t bits = h1;
  for (std::size_t i :
       {0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 9u, 10u, 11u, 12u, 15u, 16u, 17u}) {
    s[i] = kHex[bits & 15];
    bits >>= 4;
  }
  bits = h2;
  s[19] = kHex[8 | (bits & 3)];
  bits >>= 2;
  for (std::size_t i = 20; i < s.size(); ++i) {
    if (s[i] == '-') continue;
    s[i] = kHex[bits & 15];
    bits >>= 4;
  }
  return s;
}

std::span<const std::string_view> OsNames() { return kOsNames; }
std::span<const std::string_view> AzureStates() { return kAzureStates; }
std::span<const std::string_view> Ec2States() { return kEc2States; }
std::span<const std::string_view> GcpStates() { return kGcpStates; }
std::span<const std::string_view> Ec2Regions() { return kEc2Regions; }
std::span<const std::string_view> GcpZones() { return kGcpZones; }

HostAssetGenerator::HostAssetGenerator(std::uint64_t seed, std::size_t count,
                                       Seconds time_base, HostMix mix)
    : seed_(seed),
      count_(count),
      time_base_(time_base),
      mix_(mix),
      azure_(BuildTopology(seed)) {}

std::uint64_t HostAssetGenerator::IdOf(std::uint64_t index) const {
  return kHostIdBase + index * kHostIdStride +
         Hash({seed_, index, kSaltId}) % 4;
}

std::uint64_t HostAssetGenerator::LowerBound(std::uint64_t id) const {
  std::uint64_t lo = 0;
  std::uint64_t hi = count_;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (IdOf(mid) < id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::string_view HostAssetGenerator::StateOf(const HostAssetRec& h) const {
  switch (h.cloud) {
    case Cloud::kAzure:
      return kAzureStates[h.state % std::size(kAzureStates)];
    case Cloud::kAws:
      return kEc2States[h.state % std::size(kEc2States)];
    case Cloud::kGcp:
      return kGcpStates[h.state % std::size(kGcpStates)];
    case Cloud::kNone:
      break;
  }
  return "";
}

void HostAssetGenerator::GenerateBase(std::uint64_t index,
                                      HostAssetRec* h) const {
  Rng rng({seed_, index, kSaltBase});
  h->index = index;
  h->id = IdOf(index);
  h->salt = rng.Next();

  // By default ~60% Azure, 15% EC2, 10% GCP, 15% no cloud source.
  switch (rng.Weighted(mix_.cloud_weights)) {
    case 0:
      h->cloud = Cloud::kAzure;
      break;
    case 1:
      h->cloud = Cloud::kAws;
      break;
    case 2:
      h->cloud = Cloud::kGcp;
      break;
    default:
      h->cloud = Cloud::kNone;
  }
  h->os = static_cast<unsigned>(rng.Index(std::size(kOsNames)));
  if (h->os == kAmazonLinux && h->cloud != Cloud::kAws) h->os = kDebian;
  h->agent = rng.Percent(70);

  const Seconds now = time_base_;
  h->created = now - rng.Range(30 * kDay, 900 * kDay);
  h->last_boot = now - rng.Range(kHour, 60 * kDay);
  h->modified = std::max(h->created + kHour, now - rng.Range(kHour, 20 * kDay));
  h->last_vuln_scan = h->modified - rng.Range(0, 2 * kHour);
  h->vulns_updated = h->last_vuln_scan;
  h->source_updated = h->modified - rng.Range(0, 3 * kHour);

  const std::string role(kRoles[rng.Index(std::size(kRoles))]);
  switch (h->cloud) {
    case Cloud::kAzure: {
      h->vnet = rng.Index(azure_.vnets.size());
      const AzureVnet& vnet = azure_.vnets[h->vnet];
      h->subnet = rng.Index(vnet.subnets.size());
      const bool legacy =
          azure_
              .subscriptions[azure_.resource_groups[vnet.resource_group]
                                 .subscription]
              .legacy;
      h->has_vnet_element = !rng.Percent(legacy ? 60 : 3);
      h->state = static_cast<unsigned>(rng.Weighted({75, 10, 15}));
      h->private_ip = (10u << 24) | (vnet.octet << 16) |
                      static_cast<std::uint32_t>(((h->subnet + 1) << 8) |
                                                 (4 + rng.Below(250)));
      h->name = "vm-" + role + Fmt("-%04llu", index);
      break;
    }
    case Cloud::kAws: {
      h->region = static_cast<unsigned>(rng.Index(std::size(kEc2Regions)));
      h->network = static_cast<unsigned>(rng.Index(2));
      h->state = static_cast<unsigned>(rng.Weighted({85, 15}));
      h->private_ip = (172u << 24) | ((31u + h->network) << 16) |
                      static_cast<std::uint32_t>(rng.Below(65536));
      h->name = Fmt("ip-172-%llu-", 31 + h->network) +
                std::to_string((h->private_ip >> 8) & 0xff) + "-" +
                std::to_string(h->private_ip & 0xff) + ".ec2.internal";
      h->extra_asset_source = rng.Percent(40);
      break;
    }
    case Cloud::kGcp: {
      h->region = static_cast<unsigned>(rng.Index(std::size(kGcpZones)));
      h->network = static_cast<unsigned>(rng.Index(2));
      h->state = static_cast<unsigned>(rng.Weighted({90, 10}));
      h->private_ip = (10u << 24) | ((128u + h->region) << 16) |
                      static_cast<std::uint32_t>(rng.Below(65536));
      h->name = "gce-" + role + Fmt("-%04llu", index);
      break;
    }
    case Cloud::kNone:
      h->private_ip = (192u << 24) | (168u << 16) |
                      static_cast<std::uint32_t>(rng.Below(65536));
      h->name = role + Fmt("%04llu.corp.example.com", index);
      // Half of them carry a plain <AssetSource/>, half no sourceInfo.
      h->has_source_info = rng.Percent(50);
      break;
  }
  if (rng.Percent(5)) {
    h->name = std::string(kOddNames[rng.Index(std::size(kOddNames))]) +
              Fmt("-%llu", index);
  }
  h->name_cdata = NeedsCdataCandidate(h->name) && rng.Percent(50);

  // 0-8 detections from the QID pool.
  const std::span<const std::uint64_t> pool = HostQidPool();
  const std::size_t n =
      mix_.vulns_per_host >= 0
          ? std::min(static_cast<std::size_t>(mix_.vulns_per_host), pool.size())
          : rng.Weighted({12, 14, 16, 16, 14, 11, 8, 5, 4});
  const bool huge = index % 97 == 13;
  std::vector<std::size_t> picked;
  while (picked.size() < n) {
    const std::size_t p = rng.Index(pool.size());
    if (std::find(picked.begin(), picked.end(), p) != picked.end()) continue;
    picked.push_back(p);
    HostVulnRec v;
    v.qid = pool[p];
    v.host_instance_vuln_id =
        (huge ? kVulnIdHuge : kVulnIdBase) + index * 64 + p;
    v.first_found =
        h->created +
        rng.Range(0, std::max<Seconds>(1, h->last_vuln_scan - h->created));
    v.last_found = h->last_vuln_scan;
    h->vulns.push_back(v);
  }
  GenerateCoverage(h);
}

void HostAssetGenerator::ApplyChange(int epoch, Seconds at,
                                     HostAssetRec* h) const {
  Rng rng(
      {seed_, h->index, static_cast<std::uint64_t>(epoch), kSaltChangeBody});
  h->modified = at + rng.Range(1, kStampSpread);
  h->source_updated = h->modified;
  // A host that was never scanned stays so: only its asset data changes.
  const bool scanned = h->vm_scanned;
  if (scanned) h->last_vuln_scan = h->modified;
  bool vulns_changed = false;
  switch (scanned ? rng.Below(3) : 2) {
    case 0:  // a detection got fixed
      if (!h->vulns.empty()) {
        const auto pos =
            static_cast<std::ptrdiff_t>(rng.Index(h->vulns.size()));
        HostVulnRec fixed = h->vulns[static_cast<std::size_t>(pos)];
        h->vulns.erase(h->vulns.begin() + pos);
        std::erase_if(h->fixed_vulns,
                      [&](const HostVulnRec& v) { return v.qid == fixed.qid; });
        fixed.fixed = h->last_vuln_scan;
        fixed.reopened = false;
        h->fixed_vulns.push_back(fixed);
        vulns_changed = true;
      }
      break;
    case 1: {  // a new detection
      const std::span<const std::uint64_t> pool = HostQidPool();
      const std::size_t p = rng.Index(pool.size());
      const bool present =
          std::any_of(h->vulns.begin(), h->vulns.end(),
                      [&](const HostVulnRec& v) { return v.qid == pool[p]; });
      if (!present && h->vulns.size() < 8) {
        HostVulnRec v;
        v.qid = pool[p];
        v.host_instance_vuln_id =
            (h->index % 97 == 13 ? kVulnIdHuge : kVulnIdBase) + h->index * 64 +
            p;
        v.first_found = h->last_vuln_scan;
        // Found again after a fix: the detection is re-opened.
        auto was_fixed =
            std::find_if(h->fixed_vulns.begin(), h->fixed_vulns.end(),
                         [&](const HostVulnRec& f) { return f.qid == v.qid; });
        if (was_fixed != h->fixed_vulns.end()) {
          v.first_found = was_fixed->first_found;
          v.reopened = true;
          v.reopened_at = h->last_vuln_scan;
          h->fixed_vulns.erase(was_fixed);
        }
        h->vulns.push_back(v);
        vulns_changed = true;
      }
      break;
    }
    default:
      break;
  }
  for (HostVulnRec& v : h->vulns) v.last_found = h->last_vuln_scan;
  if (vulns_changed) h->vulns_updated = h->last_vuln_scan;
  if (h->cloud != Cloud::kNone && rng.Percent(30)) {
    const std::size_t states = h->cloud == Cloud::kAzure
                                   ? std::size(kAzureStates)
                                   : std::size(kEc2States);
    h->state =
        static_cast<unsigned>((h->state + 1 + rng.Below(states - 1)) % states);
  }
}

HostAssetRec HostAssetGenerator::Generate(
    std::uint64_t index, std::span<const Seconds> epoch_times) const {
  HostAssetRec h;
  GenerateBase(index, &h);
  const auto epochs = static_cast<int>(epoch_times.size());
  for (int e = 1; e < epochs; ++e) {
    // mix_.change_percent of the assets change in an epoch.
    if (static_cast<double>(
            Hash({seed_, index, static_cast<std::uint64_t>(e), kSaltChange}) %
            1000000) < mix_.change_percent * 10000) {
      ApplyChange(e, epoch_times[static_cast<std::size_t>(e)], &h);
    }
  }
  return h;
}

}  // namespace qx::sim
