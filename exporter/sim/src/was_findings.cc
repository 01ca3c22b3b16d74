#include "qx/sim/was_findings.h"

#include <algorithm>
#include <cstdio>

#include "qx/sim/host_assets.h"
#include "qx/sim/knowledge_base.h"
#include "qx/sim/rng.h"

namespace qx::sim {
namespace {

using FT = FindingType;

constexpr WasQidInfo kWasQids[] = {
    {150001, FT::kVulnerability, "XSS", 4, false, true},
    {150004, FT::kVulnerability, "PATH", 3, false, false},
    {150009, FT::kInformationGathered, "IG_DIAG", 1, false, false},
    {150012, FT::kVulnerability, "SQL", 5, false, true},
    {150021, FT::kInformationGathered, "IG_DIAG", 1, false, false},
    {150022, FT::kVulnerability, "INFO", 2, false, false},
    {150026, FT::kInformationGathered, "IG_DIAG", 1, false, false},
    {150046, FT::kVulnerability, "XSS", 4, false, true},
    {150055, FT::kVulnerability, "SQL", 5, false, true},
    {150062, FT::kVulnerability, "PATH", 5, false, true},
    {150071, FT::kVulnerability, "INFO", 3, true, false},
    {150084, FT::kVulnerability, "XSS", 1, true, true},
    {150112, FT::kVulnerability, "INFO", 2, false, false},
    {150122, FT::kVulnerability, "INFO", 2, false, false},
    {150123, FT::kVulnerability, "INFO", 2, false, false},
    {150124, FT::kVulnerability, "INFO", 3, false, false},
    {150141, FT::kInformationGathered, "INFO", 1, false, false},
    {150150, FT::kSensitiveContent, "CC", 3, false, false},
    {150151, FT::kSensitiveContent, "SSN", 3, false, false},
    {150152, FT::kSensitiveContent, "CUSTOM", 2, false, false},
    {150176, FT::kInformationGathered, "IG_WEAK", 1, false, false},
    {150202, FT::kVulnerability, "INFO", 1, false, false},
    {150210, FT::kInformationGathered, "IG_WEAK", 1, false, false},
    {150246, FT::kVulnerability, "PATH", 3, true, false},
    {150263, FT::kVulnerability, "INFO", 3, false, false},
    {150528, FT::kInformationGathered, "IG_DIAG", 1, false, false},
};

struct AppSpec {
  std::string_view name;
  std::string_view url;
};
constexpr AppSpec kApps[] = {
    {"Customer Portal (prod)", "https://portal.example.com/"},
    {"Shop & Checkout", "https://shop.example.com/?lang=de&ref=qualys"},
    {"Intranet <legacy> CMS", "http://intranet.corp.example.com/cms/"},
    {"Zürich Partner API", "https://api.zuerich.example.ch/v1/"},
    {"東京 Storefront", "https://tokyo.example.jp/"},
    {"Legacy ]]> Billing", "https://billing.example.com/legacy/"},
    {"\"Quoted\" Admin Console", "https://admin.example.com/"},
    {"Backslash \\ Reports", "https://reports.example.com/"},
};

struct KeywordRule {
  std::string_view regex;
  const char* link_fmt;  // one %u
};
constexpr KeywordRule kKeywordRules[] = {
    {"regression", "/cassium/regression/links/page%u.html"},
    {R"(.*/([^\?]+)data([^\?]*?\.html$))", "/assets/userdata%u.html"},
    {"admin", "/admin/users?id=%u&view=full"},
    {R"(\.bak$)", "/config/app%u.config.bak"},
    {"backup|old", "/old/index%u.php"},
    {R"(/api/v[0-9]+/internal)", "/api/v2/internal/item%u"},
};

constexpr std::string_view kPaths[] = {"/",
                                       "/login",
                                       "/search?q=test",
                                       "/account/profile",
                                       "/api/v1/orders",
                                       "/cart/add",
                                       "/static/js/app.js",
                                       "/help/faq.html"};
constexpr std::string_view kParams[] = {"q", "id", "redirect", "sort",
                                        "show_deleted"};
constexpr std::string_view kTagNames[] = {"asset_criticality:3",
                                          "data_classification:internal",
                                          "Business Unit: R&D", "PCI"};

enum Salt : std::uint64_t {
  kSaltApp = 101,
  kSaltFinding,
  kSaltScanned,
  kSaltEvolve,
  kSaltNewFindings,
  kSaltKeywords,
  kSaltLag,
};

std::string BaseOf(std::string_view url) {
  // scheme://host[:port]
  const std::size_t scheme = url.find("://");
  const std::size_t slash =
      url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  std::string base(url.substr(0, slash));
  const std::size_t query = base.find('?');
  if (query != std::string::npos) base.resize(query);
  return base;
}

std::string Format(const char* fmt, unsigned v) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// Per web app flavour: severity and status weights differ.
struct Profile {
  int severity[5];
  int status[5];  // NEW, ACTIVE, REOPENED, FIXED, PROTECTED
};
constexpr Profile kProfiles[] = {
    {{10, 25, 35, 20, 10}, {20, 40, 10, 25, 5}},
    {{5, 15, 30, 30, 20}, {25, 45, 15, 10, 5}},
    {{20, 35, 30, 10, 5}, {10, 25, 5, 55, 5}},
};
constexpr std::string_view kStatuses[] = {"NEW", "ACTIVE", "REOPENED", "FIXED",
                                          "PROTECTED"};

}  // namespace

std::string_view FindingTypeName(FindingType t) {
  switch (t) {
    case FT::kVulnerability:
      return "VULNERABILITY";
    case FT::kSensitiveContent:
      return "SENSITIVE_CONTENT";
    case FT::kInformationGathered:
      break;
  }
  return "INFORMATION_GATHERED";
}

std::span<const WasQidInfo> WasQids() { return kWasQids; }

const WasQidInfo* FindWasQid(std::uint64_t qid) {
  for (const WasQidInfo& q : kWasQids) {
    if (q.qid == qid) return &q;
  }
  return nullptr;
}

std::size_t WasDataset::DistinctScans(const WasFindingRec& f) const {
  std::vector<std::uint64_t> ids;
  ids.reserve(f.history.size());
  for (std::size_t i = 0; i < f.history.size(); ++i) {
    ids.push_back(ScanAt(f, i).id);
  }
  std::sort(ids.begin(), ids.end());
  return static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) -
                                  ids.begin());
}

std::size_t WasDataset::LowerBound(std::uint64_t id) const {
  return static_cast<std::size_t>(
      std::lower_bound(
          findings_.begin(), findings_.end(), id,
          [](const WasFindingRec& f, std::uint64_t v) { return f.id < v; }) -
      findings_.begin());
}

void WasDataset::AddScan(std::size_t webapp, Seconds launched) {
  Rng rng({seed_, next_scan_id_, 77});
  WasScan scan;
  scan.id = next_scan_id_;
  next_scan_id_ += 3 + rng.Below(900);
  scan.launched = launched;
  scan.reference =
      "was/" +
      std::to_string(launched * 1000 + static_cast<Seconds>(rng.Below(1000))) +
      "." + std::to_string(1'000'000 + scan.id / 4 + webapp) + ".4";
  webapps_[webapp].scans.push_back(std::move(scan));
}

WasDataset::WasDataset(std::uint64_t seed, std::size_t webapps,
                       std::size_t findings_per_webapp, Seconds time_base,
                       unsigned rescan_percent, Seconds processing_lag)
    : seed_(seed),
      rescan_percent_(rescan_percent),
      processing_lag_(processing_lag),
      next_finding_id_(701'259 + Hash({seed, 5}) % 1000),
      next_scan_id_(3'972'937 + Hash({seed, 6}) % 1000) {
  // Web apps and their past (weekly) scans.
  for (std::size_t w = 0; w < webapps; ++w) {
    Rng rng({seed, w, kSaltApp});
    WasWebApp app;
    app.id = 987'000'000 + w * 1'731 + rng.Below(1'000);
    const AppSpec& spec = kApps[w % std::size(kApps)];
    app.name = std::string(spec.name);
    app.url = std::string(spec.url);
    if (w >= std::size(kApps)) {
      app.name += " #" + std::to_string(w / std::size(kApps) + 1);
      const std::size_t host = app.url.find("://") + 3;
      app.url.insert(host, "app" + std::to_string(w) + ".");
    }
    for (std::size_t t = 0; t < 1 + rng.Index(2); ++t) {
      const std::size_t tag = (w + t) % std::size(kTagNames);
      app.tags.emplace_back(68'447'639 + tag * 911,
                            std::string(kTagNames[tag]));
    }
    webapps_.push_back(std::move(app));
    const int past = 6 + static_cast<int>(rng.Below(3));  // 6-8 scans
    const Seconds latest = time_base - kDay +
                           static_cast<Seconds>(1 + w % 12) * kHour +
                           rng.Range(0, 45 * kMinute);
    for (int s = past - 1; s >= 0; --s) {
      AddScan(w, latest - s * 7 * kDay -
                     rng.Range(0, 2 * kHour) * (s == 0 ? 0 : 1));
    }
  }
  // Findings, interleaved across web apps so ids mix.
  for (std::size_t k = 0; k < findings_per_webapp; ++k) {
    for (std::size_t w = 0; w < webapps; ++w) {
      findings_.push_back(NewFinding(w, Hash({seed, w, k, kSaltFinding})));
      WasFindingRec& f = findings_.back();
      if (k == 0) {
        // One "Keywords URL Search" result per web app.
        const WasQidInfo* info = FindWasQid(kKeywordQid);
        f.qid = info->qid;
        f.type = info->type;
        f.group = info->group;
        f.severity = info->severity;
        f.potential = false;
        f.param.clear();
        f.has_cvss = false;
        f.url = webapps_[w].url;
        f.name = std::string(FindKbEntry(f.qid)->title);
        f.status.clear();
        f.severity_comment.clear();
        f.ignored = false;
        FillKeywordBlocks(&f);
      } else if (k == 1) {
        // An ACTIVE finding whose history lists the same scan twice.
        f.type = FT::kVulnerability;
        const WasQidInfo* info = FindWasQid(150124);
        f.qid = info->qid;
        f.group = info->group;
        f.severity = info->severity;
        f.name = std::string(FindKbEntry(f.qid)->title);
        f.param.clear();
        f.potential = false;
        f.has_cvss = false;
        f.severity_comment.clear();
        f.status = "ACTIVE";
      }
      InitialHistory(&f, Hash({seed, w, k, kSaltFinding, 1}));
      if (k == 1) {
        const auto latest =
            static_cast<std::uint32_t>(webapps_[w].scans.size() - 1);
        f.history = {latest, latest};
        f.times_detected = 2;
        f.first_detected = f.last_detected = webapps_[w].scans[latest].launched;
      }
    }
  }
}

WasFindingRec WasDataset::NewFinding(std::size_t webapp, std::uint64_t salt) {
  Rng rng(salt);
  const WasWebApp& app = webapps_[webapp];
  const Profile& profile = kProfiles[webapp % std::size(kProfiles)];
  WasFindingRec f;
  f.id = next_finding_id_;
  next_finding_id_ += 2 + rng.Below(39);
  f.unique_id = GuidFromHash(seed_, f.id);
  f.webapp = webapp;
  f.salt = rng.Next();

  const std::size_t kind = rng.Weighted({65, 10, 25});
  std::vector<const WasQidInfo*> candidates;
  if (kind == 0) {
    const int severity =
        1 +
        static_cast<int>(rng.Weighted(std::span<const int>(profile.severity)));
    for (const WasQidInfo& q : kWasQids) {
      if (q.type == FT::kVulnerability && q.severity == severity) {
        candidates.push_back(&q);
      }
    }
  } else {
    const FT type =
        kind == 1 ? FT::kSensitiveContent : FT::kInformationGathered;
    for (const WasQidInfo& q : kWasQids) {
      if (q.type == type && q.qid != kKeywordQid) candidates.push_back(&q);
    }
  }
  const WasQidInfo& info = *candidates[rng.Index(candidates.size())];
  f.qid = info.qid;
  f.type = info.type;
  f.group = info.group;
  f.severity = info.severity;
  f.potential = info.potential;
  f.name = std::string(FindKbEntry(f.qid)->title);
  const std::string base = BaseOf(app.url);
  f.url = base + std::string(kPaths[rng.Index(std::size(kPaths))]);
  if (info.has_param)
    f.param = std::string(kParams[rng.Index(std::size(kParams))]);
  if (f.type == FT::kVulnerability && rng.Percent(8) && f.severity > 1) {
    // Severity edited by the customer, as the API reports it.
    f.severity_comment = "Edit severity from " + std::to_string(f.severity) +
                         " to " + std::to_string(f.severity - 1) +
                         " from WAS KB";
    f.severity -= 1;
  }
  const KbEntry* kb = FindKbEntry(f.qid);
  if (kb != nullptr && kb->cvss3_base > 0 && rng.Percent(70)) {
    f.has_cvss = true;
    f.cvss_base = kb->cvss3_base;
    f.cvss_temporal = kb->cvss3_base * 0.9;
    f.attack_vector = "Network";
  }
  if (f.type != FT::kInformationGathered) {
    f.status = std::string(
        kStatuses[rng.Weighted(std::span<const int>(profile.status))]);
    f.ignored = rng.Percent(5);
  }
  return f;
}

void WasDataset::InitialHistory(WasFindingRec* f, std::uint64_t salt) {
  Rng rng(salt);
  const WasWebApp& app = webapps_[f->webapp];
  const auto last = static_cast<std::int64_t>(app.scans.size()) - 1;
  std::vector<std::int64_t> scans;
  auto run = [&](std::int64_t from, std::int64_t count) {
    for (std::int64_t i = 0; i < count && from - i >= 0; ++i) {
      scans.push_back(from - i);
    }
  };
  bool capped = false;
  if (f->type == FT::kInformationGathered) {
    run(last, rng.Range(1, std::min<std::int64_t>(6, last + 1)));
  } else if (f->status == "NEW") {
    run(last, 1);
  } else if (f->status == "ACTIVE") {
    const std::int64_t m = rng.Range(2, std::min<std::int64_t>(6, last + 1));
    capped = m == 6;
    run(last, m);
  } else if (f->status == "REOPENED") {
    scans.push_back(last);  // detected again after being fixed at last-1
    run(last - 2, rng.Range(1, std::min<std::int64_t>(4, last - 1)));
  } else if (f->status == "FIXED") {
    run(last - 1, rng.Range(1, std::min<std::int64_t>(5, last)));
  } else {  // PROTECTED
    run(last, rng.Range(1, 4));
  }
  f->history.clear();
  for (std::int64_t s : scans)
    f->history.push_back(static_cast<std::uint32_t>(s));
  f->first_detected = app.scans[f->history.back()].launched;
  f->last_detected = app.scans[f->history.front()].launched;
  if (capped) f->first_detected -= rng.Range(1, 30) * 7 * kDay;
  f->last_tested = app.scans.back().launched;
  const Seconds changed =
      f->status == "FIXED" ? f->last_tested : f->last_detected;
  f->updated = changed + rng.Range(20 * kMinute, 3 * kHour);
  if (f->type != FT::kInformationGathered) {
    f->times_detected = static_cast<int>(f->history.size()) +
                        (capped ? static_cast<int>(rng.Range(3, 40)) : 0);
  }
  if (f->ignored) f->ignored_date = f->first_detected + 2 * kDay;
}

KeywordLink WasDataset::MakeKeywordLink(const WasWebApp& app, std::size_t regex,
                                        std::uint64_t salt) const {
  Rng rng(salt);
  const std::string base = BaseOf(app.url);
  KeywordLink link;
  link.url = base + Format(kKeywordRules[regex].link_fmt,
                           static_cast<unsigned>(rng.Below(500)));
  link.parents.push_back(base + "/");
  if (rng.Percent(40)) link.parents.push_back(base + "/sitemap/index.html");
  link.same_line = rng.Percent(60);
  return link;
}

void WasDataset::FillKeywordBlocks(WasFindingRec* f) {
  const WasWebApp& app = webapps_[f->webapp];
  Rng rng({seed_, f->webapp, kSaltKeywords});
  std::vector<std::size_t> rules;
  const std::size_t n = 2 + rng.Index(2);
  while (rules.size() < n) {
    const std::size_t r = rng.Index(std::size(kKeywordRules));
    if (std::find(rules.begin(), rules.end(), r) == rules.end()) {
      rules.push_back(r);
    }
  }
  for (std::size_t b = 0; b < rules.size(); ++b) {
    KeywordBlock block;
    block.regex = std::string(kKeywordRules[rules[b]].regex);
    const bool empty = b > 0 && rng.Percent(50);
    if (!empty) {
      const std::size_t links =
          static_cast<std::size_t>(b == 0 ? rng.Range(2, 6) : rng.Range(1, 4));
      for (std::size_t l = 0; l < links; ++l) {
        block.links.push_back(MakeKeywordLink(app, rules[b], rng.Next()));
      }
      if (rng.Percent(70)) {
        // The same link again under another parent: unique links matter.
        KeywordLink again = block.links[rng.Index(block.links.size())];
        again.parents = {BaseOf(app.url) + "/help/faq.html"};
        again.same_line = !again.same_line;
        block.links.push_back(std::move(again));
      }
    }
    f->keywords.push_back(std::move(block));
  }
}

void WasDataset::GrowKeywordBlocks(WasFindingRec* f, std::uint64_t salt) {
  Rng rng(salt);
  if (f->keywords.empty() || !rng.Percent(40)) return;
  KeywordBlock& block = f->keywords[rng.Index(f->keywords.size())];
  std::size_t rule = 0;
  for (std::size_t r = 0; r < std::size(kKeywordRules); ++r) {
    if (kKeywordRules[r].regex == block.regex) rule = r;
  }
  block.links.push_back(MakeKeywordLink(webapps_[f->webapp], rule, rng.Next()));
}

void WasDataset::Advance(int new_epoch, Seconds at) {
  epoch_ = new_epoch;
  const auto e = static_cast<std::uint64_t>(new_epoch);
  const std::size_t apps = webapps_.size();
  if (apps == 0) return;
  std::vector<bool> scanned(apps, false);
  for (std::size_t w = 0; w < apps; ++w) {
    scanned[w] = Hash({seed_, w, e, kSaltScanned}) % 100 < rescan_percent_ ||
                 w == e % apps;
    if (!scanned[w]) continue;
    // Each web app's scans take their own time to process (25-100 % of the
    // lag), so results do not become visible in the order the scans ran.
    const Seconds lag =
        processing_lag_ *
        static_cast<Seconds>(25 + Hash({seed_, w, kSaltLag}) % 76) / 100;
    AddScan(w, at + 1 - lag);
  }
  for (WasFindingRec& f : findings_) {
    if (!scanned[f.webapp]) continue;
    const WasWebApp& app = webapps_[f.webapp];
    const auto latest = static_cast<std::uint32_t>(app.scans.size() - 1);
    const Seconds t = app.scans[latest].launched;
    Rng rng({seed_, f.id, e, kSaltEvolve});
    const Seconds processed = at + 1 + rng.Range(1, kStampSpread - 1);
    f.last_tested = t;
    auto detect = [&] {
      f.history.insert(f.history.begin(), latest);
      f.last_detected = t;
      f.updated = processed;
      if (f.type != FT::kInformationGathered) ++f.times_detected;
    };
    if (f.type == FT::kInformationGathered) {
      detect();
      if (f.qid == kKeywordQid) GrowKeywordBlocks(&f, rng.Next());
      continue;
    }
    if (f.status == "FIXED") {
      if (rng.Percent(20)) {
        f.status = "REOPENED";
        detect();
      }
    } else if (f.status == "PROTECTED") {
      if (rng.Percent(80)) detect();
    } else if (rng.Percent(15)) {
      f.status = "FIXED";
      f.updated = processed;
    } else {
      f.status = "ACTIVE";
      detect();
    }
  }
  // A few new findings on the rescanned web apps.
  for (std::size_t w = 0; w < apps; ++w) {
    if (!scanned[w]) continue;
    Rng rng({seed_, w, e, kSaltNewFindings});
    const std::size_t fresh = rng.Index(3);
    for (std::size_t k = 0; k < fresh; ++k) {
      WasFindingRec f = NewFinding(w, rng.Next());
      if (f.type == FT::kInformationGathered) {
        f.type = FT::kVulnerability;
        f.qid = 150202;
        f.group = "INFO";
        f.severity = 1;
        f.name = std::string(FindKbEntry(f.qid)->title);
        f.has_cvss = false;
      }
      f.status = "NEW";
      const auto latest =
          static_cast<std::uint32_t>(webapps_[w].scans.size() - 1);
      f.history = {latest};
      f.first_detected = f.last_detected = f.last_tested =
          webapps_[w].scans[latest].launched;
      f.updated = at + 1 + rng.Range(1, kStampSpread - 1);
      f.times_detected = 1;
      if (f.ignored) f.ignored_date = f.updated;
      findings_.push_back(std::move(f));
    }
  }
}

}  // namespace qx::sim
