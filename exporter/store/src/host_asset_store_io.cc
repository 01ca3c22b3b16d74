// HostAssetStore: durability (Save/Load) and the qwebHostId join index.
#include <glog/logging.h>

#include <algorithm>
#include <limits>

#include "qx/store/binary_state.h"
#include "qx/store/host_asset_store.h"
#include "qx/store/state_file.h"

namespace qx {
namespace {

constexpr char kKind[] = "host-asset-store-v3";
constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();
// v3 with each host's QIDs after its fields (a count, then the QIDs): loads,
// the QIDs skipped.
constexpr char kWithQidsKind[] = "host-asset-store-v2";
// The layout before the coverage fields: loading it yields a full sync.
constexpr char kWithoutCoverageKind[] = "host-asset-store-v1";
// Most QIDs a v2 host may list (a sanity bound on a verified file).
constexpr std::uint64_t kMaxQidsPerHost = 1'000'000;

std::uint32_t Clamp32(std::uint64_t v) {
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(v, std::numeric_limits<std::uint32_t>::max()));
}

}  // namespace

HostAssetStore::QwebIndex HostAssetStore::BuildQwebIndex() const {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> order;  // qweb, id
  for (std::uint32_t s = 0; s < slots(); ++s) {
    if (Live(s) && qweb_[s] != 0) order.emplace_back(qweb_[s], s);
  }
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first
                              : ids_[a.second] < ids_[b.second];
  });
  QwebIndex index;
  index.entries_.reserve(order.size());
  for (const auto& [qweb, slot] : order) {
    if (!index.entries_.empty() && index.entries_.back().qweb_host_id == qweb) {
      continue;  // lowest host asset id wins
    }
    index.entries_.push_back(
        {qweb, azure_[slot], static_cast<CloudProvider>(provider_[slot])});
  }
  return index;
}

const HostAssetStore::QwebIndex::Entry* HostAssetStore::QwebIndex::Find(
    std::uint64_t qweb_host_id) const {
  auto it = std::lower_bound(
      entries_.begin(), entries_.end(), qweb_host_id,
      [](const Entry& e, std::uint64_t q) { return e.qweb_host_id < q; });
  return it != entries_.end() && it->qweb_host_id == qweb_host_id ? &*it
                                                                  : nullptr;
}

// ----------------------------------------------------------- durability

void HostAssetStore::Save(const std::filesystem::path& path) const {
  BinaryStateWriter w(path, kKind);
  w.U64(azure_sources_.size());
  for (const auto& s : azure_sources_) {
    for (const auto* f : {&s.subscription_id, &s.resource_group, &s.vnet,
                          &s.subnet, &s.location, &s.state}) {
      w.Str(*f);
    }
  }
  w.U64(live_);
  for (std::uint32_t s = 0; s < slots(); ++s) {
    if (!Live(s)) continue;
    w.U64(ids_[s]);
    w.U64(provider_[s]);
    w.U64(azure_[s] == kNoAzure ? 0 : std::uint64_t{azure_[s]} + 1);
    w.U64(qweb_[s]);
    w.U64(last_scan_[s]);
    w.U64(checked_in_[s]);
  }
  w.Commit();
}

bool HostAssetStore::Load(const std::filesystem::path& path) {
  std::string kind;
  auto r = BinaryStateReader::OpenAnyKind(path, &kind);
  if (!r) return false;
  if (kind == kWithoutCoverageKind) {
    LOG(WARNING) << "state file " << path.string() << " holds '" << kind
                 << "' (without scan coverage); a full sync replaces it";
    return false;
  }
  const bool with_qids = kind == kWithQidsKind;
  if (kind != kKind && !with_qids) {
    throw StateError("state file " + path.string() + " holds '" + kind +
                     "', expected '" + kKind + "'");
  }
  HostAssetStore next;
  auto n_azure = r->U64();
  for (std::uint64_t i = 0; i < n_azure; ++i) {
    AzureSource s;
    for (auto* f : {&s.subscription_id, &s.resource_group, &s.vnet, &s.subnet,
                    &s.location, &s.state}) {
      *f = r->Str();
    }
    next.InternAzure(std::move(s));
  }
  auto n_hosts = r->U64();
  // The file is verified, but do not trust a count to size memory blindly.
  const std::size_t reserve =
      static_cast<std::size_t>(std::min<std::uint64_t>(n_hosts, 1u << 24));
  next.ReserveHosts(reserve);
  next.ids_.reserve(reserve);
  next.provider_.reserve(reserve);
  next.azure_.reserve(reserve);
  next.qweb_.reserve(reserve);
  next.last_scan_.reserve(reserve);
  next.checked_in_.reserve(reserve);
  for (std::uint64_t i = 0; i < n_hosts; ++i) {
    auto id = r->U64();
    auto provider = r->U64();
    auto azure = r->U64();
    auto qweb = r->U64();
    auto last_scan = Clamp32(r->U64());
    auto checked_in = Clamp32(r->U64());
    if (provider > static_cast<std::uint64_t>(CloudProvider::kGcp) ||
        azure > n_azure) {
      throw StateError("state file " + path.string() + " has an invalid host");
    }
    if (with_qids) {
      const auto n_qids = r->U64();
      if (n_qids > kMaxQidsPerHost) {
        throw StateError("state file " + path.string() +
                         " has an invalid host");
      }
      for (std::uint64_t q = 0; q < n_qids; ++q) r->U64();
    }
    if (next.Find(id) != kNoSlot) continue;  // first one wins, as before
    const std::uint32_t slot = next.Insert(
        id, static_cast<CloudProvider>(provider),
        azure == 0 ? kNoAzure : static_cast<std::uint32_t>(azure - 1));
    next.SetCoverage(slot, qweb, last_scan, checked_in);
  }
  if (!r->AtEnd()) {
    throw StateError("state file " + path.string() + " has trailing data");
  }
  if (with_qids) {
    LOG(INFO) << "state file " << path.string() << " holds '" << kind
              << "': loaded without its QID lists; the next save writes '"
              << kKind << "'";
  }
  *this = std::move(next);
  return true;
}

}  // namespace qx
