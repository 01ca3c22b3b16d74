#include "qx/sim/knowledge_base.h"

#include <algorithm>
#include <array>
#include <vector>

namespace qx::sim {
namespace {

constexpr std::string_view kVuln = "Vulnerability";
constexpr std::string_view kPotential = "Potential Vulnerability";
constexpr std::string_view kIg = "Information Gathered";

constexpr Seconds D(int y, unsigned m, unsigned d) {
  return UtcSeconds(y, m, d, 12, 0, 0);
}

// Host QIDs (VM) and the WAS QIDs the simulated findings use.
constexpr KbEntry kEntries[] = {
    {6, 1, kIg, "Information gathering", "DNS Host Name", D(1999, 1, 1),
     D(2019, 4, 9), false, "", 0},
    {11827, 2, kVuln, "CGI", "HTTP Security Header Not Detected", D(2017, 6, 5),
     D(2023, 6, 29), false, "", 0},
    {34011, 1, kIg, "Firewall", "Firewall Detected", D(2003, 5, 22),
     D(2020, 1, 14), false, "", 0},
    {38140, 3, kVuln, "General remote services",
     "SSL Server Supports Weak Encryption Vulnerability", D(2004, 2, 18),
     D(2021, 10, 12), false, "", 5.9},
    {38169, 2, kVuln, "General remote services",
     "SSL Certificate - Self-Signed Certificate", D(2008, 3, 14), D(2023, 2, 1),
     false, "", 6.5},
    {38170, 2, kVuln, "General remote services",
     "SSL Certificate - Subject Common Name Does Not Match Server FQDN",
     D(2008, 3, 14), D(2022, 11, 2), false, "", 5.3},
    {38173, 2, kVuln, "General remote services",
     "SSL Certificate - Signature Verification Failed Vulnerability",
     D(2008, 3, 14), D(2023, 2, 1), false, "", 5.3},
    {38601, 3, kVuln, "General remote services",
     "SSL/TLS use of weak RC4 cipher", D(2013, 3, 26), D(2021, 8, 30), false,
     "CVE-2013-2566", 5.9},
    {38628, 3, kVuln, "General remote services",
     "SSL/TLS Server supports TLSv1.0", D(2015, 3, 10), D(2023, 5, 17), false,
     "", 6.5},
    {38657, 3, kVuln, "General remote services",
     "Birthday attacks against TLS ciphers with 64bit block size "
     "vulnerability (Sweet32)",
     D(2016, 8, 29), D(2023, 3, 2), false, "CVE-2016-2183", 7.5},
    {38739, 3, kVuln, "General remote services",
     "Deprecated SSH Cryptographic Settings", D(2018, 11, 27), D(2024, 1, 11),
     false, "", 5.3},
    {38794, 3, kVuln, "General remote services",
     "Secure Sockets Layer/Transport Layer Security (SSL/TLS) Server "
     "supports TLSv1.1",
     D(2020, 3, 31), D(2023, 5, 17), false, "", 6.5},
    {38863, 3, kVuln, "General remote services", "Weak SSL/TLS Key Exchange",
     D(2021, 6, 15), D(2023, 9, 26), false, "", 5.9},
    {38909, 2, kVuln, "General remote services",
     "SHA1 deprecated setting for SSH", D(2022, 9, 14), D(2023, 8, 3), false,
     "", 0},
    {42046, 5, kVuln, "General remote services",
     "OpenSSH Signal Handler Race Condition (regreSSHion) Remote Code "
     "Execution",
     D(2024, 5, 1), D(2024, 5, 20), true, "CVE-2024-6387", 8.1},
    {45006, 1, kIg, "Information gathering", "Traceroute", D(1999, 1, 1),
     D(2020, 9, 22), false, "", 0},
    {45017, 2, kIg, "Information gathering", "Operating System Detected",
     D(2004, 6, 9), D(2023, 10, 10), false, "", 0},
    {45038, 1, kIg, "Information gathering", "Host Scan Time - Scanner",
     D(2005, 4, 7), D(2021, 7, 14), false, "", 0},
    {45039, 1, kIg, "Information gathering", "Host Names Found", D(2005, 4, 7),
     D(2020, 10, 6), false, "", 0},
    {45097, 1, kIg, "Information gathering", "IP ID Values Randomness",
     D(2008, 10, 1), D(2019, 7, 2), false, "", 0},
    {45531, 1, kIg, "Information gathering",
     "Host Identification via Qualys Cloud Agent", D(2021, 2, 18),
     D(2022, 4, 27), false, "", 0},
    {50107, 5, kVuln, "Mail services",
     "Microsoft Exchange Server Remote Code Execution Vulnerability "
     "(ProxyShell)",
     D(2021, 8, 10), D(2023, 9, 7), true, "CVE-2021-34473", 9.8},
    {70000, 2, kVuln, "SMB / NETBIOS", "NetBIOS Name Accessible", D(1999, 1, 1),
     D(2019, 8, 20), false, "", 0},
    {82003, 1, kVuln, "TCP/IP", "ICMP Timestamp Request", D(1999, 1, 1),
     D(2023, 4, 18), false, "CVE-1999-0524", 0},
    {82023, 1, kIg, "TCP/IP", "Open TCP Services List", D(1999, 1, 1),
     D(2019, 3, 5), false, "", 0},
    {82044, 1, kIg, "TCP/IP", "NetBIOS Host Name", D(1999, 1, 1), D(2019, 3, 5),
     false, "", 0},
    {86728, 3, kVuln, "Web server",
     "Web Server Uses Plain-Text Form Based Authentication", D(2008, 10, 15),
     D(2022, 12, 8), false, "", 5.3},
    {90007, 2, kVuln, "Windows", "Enabled Cached Logon Credential",
     D(2003, 1, 10), D(2021, 11, 23), false, "", 0},
    {90043, 2, kVuln, "Windows",
     "SMB Signing Disabled or SMB Signing Not Required", D(2004, 5, 27),
     D(2023, 1, 25), false, "", 5.3},
    {90235, 1, kIg, "Windows",
     "Installed Applications Enumerated From Windows Installer", D(2005, 9, 14),
     D(2020, 8, 4), false, "", 0},
    {91534, 5, kVuln, "Windows",
     "Microsoft Windows Remote Desktop Services Remote Code Execution "
     "Vulnerability (BlueKeep)",
     D(2019, 5, 14), D(2023, 6, 6), true, "CVE-2019-0708", 9.8},
    {91785, 5, kVuln, "Windows",
     "Microsoft Windows Print Spooler Remote Code Execution Vulnerability "
     "(PrintNightmare)",
     D(2021, 7, 2), D(2023, 2, 14), true, "CVE-2021-34527", 8.8},
    {92011, 4, kVuln, "Windows",
     "Microsoft Windows Security Update for January 2023", D(2023, 1, 10),
     D(2023, 4, 11), true, "CVE-2023-21674", 8.8},
    {92064, 4, kVuln, "Windows",
     "Microsoft Windows Security Update for September 2023", D(2023, 9, 12),
     D(2023, 11, 14), true, "CVE-2023-36802", 7.8},
    {92121, 5, kVuln, "Windows",
     "Microsoft Windows Security Update for April 2024", D(2024, 4, 9),
     D(2024, 5, 14), true, "CVE-2024-26234", 9.8},
    {100413, 5, kVuln, "Internet Explorer",
     "Microsoft Internet Explorer Cumulative Security Update (MS17-006)",
     D(2017, 3, 14), D(2020, 8, 11), true, "CVE-2017-0008", 7.5},
    {105170, 3, kVuln, "Security Policy",
     "Microsoft Windows Explorer AutoPlay Not Disabled", D(2009, 1, 28),
     D(2021, 5, 3), false, "", 0},
    {105484, 4, kVuln, "Security Policy",
     "EOL/Obsolete Software: Microsoft .NET Framework 4.5.2 Detected",
     D(2022, 4, 26), D(2023, 8, 15), false, "", 0},
    {105632, 4, kVuln, "Security Policy",
     "Microsoft Windows SMBv1 Protocol Enabled", D(2017, 5, 16), D(2022, 3, 8),
     false, "", 0},
    {105943, 4, kVuln, "Security Policy",
     "EOL/Obsolete Operating System: CentOS 7 Detected", D(2024, 6, 3),
     D(2024, 7, 1), false, "", 0},
    {106172, 3, kVuln, "Security Policy",
     "Windows Defender Antivirus Definitions Out of Date", D(2016, 3, 2),
     D(2022, 1, 18), false, "", 0},
    {150001, 4, kVuln, "Web Application",
     "Reflected Cross-Site Scripting (XSS) Vulnerabilities", D(2009, 1, 16),
     D(2023, 11, 2), false, "", 6.1},
    {150004, 3, kVuln, "Web Application", "Path-Based Vulnerability",
     D(2009, 1, 16), D(2022, 5, 9), false, "", 5.3},
    {150009, 1, kIg, "Web Application", "Links Crawled", D(2009, 1, 16),
     D(2020, 6, 2), false, "", 0},
    {150012, 5, kVuln, "Web Application", "Blind SQL Injection", D(2009, 1, 16),
     D(2023, 8, 21), false, "", 9.8},
    {150021, 1, kIg, "Web Application", "Scan Diagnostics", D(2009, 1, 16),
     D(2021, 3, 3), false, "", 0},
    {150022, 2, kVuln, "Web Application", "Verbose Error Message",
     D(2009, 1, 16), D(2022, 2, 10), false, "", 5.3},
    {150026, 1, kIg, "Web Application",
     "Maximum Number of Links Reached During Crawl", D(2008, 11, 25),
     D(2009, 1, 16), false, "", 0},
    {150046, 4, kVuln, "Web Application",
     "Reflected Cross-Site Scripting (XSS) in HTTP Headers", D(2011, 4, 19),
     D(2023, 11, 2), false, "", 6.1},
    {150055, 5, kVuln, "Web Application", "OS Command Injection", D(2012, 2, 7),
     D(2023, 7, 12), false, "", 9.8},
    {150062, 5, kVuln, "Web Application", "Remote File Inclusion",
     D(2012, 5, 15), D(2022, 10, 4), false, "", 9.8},
    {150071, 3, kPotential, "Web Application",
     "Form Can Be Manipulated with Cross-Site Request Forgery (CSRF)",
     D(2012, 8, 28), D(2023, 1, 31), false, "", 4.3},
    {150084, 1, kPotential, "Web Application", "Unencoded characters",
     D(2011, 3, 8), D(2024, 2, 12), false, "", 3.1},
    {150112, 2, kVuln, "Web Application",
     "Sensitive form field has not disabled autocomplete", D(2013, 3, 7),
     D(2017, 10, 6), false, "", 3.7},
    {150122, 2, kVuln, "Web Application",
     "Cookie Does Not Contain The \"secure\" Attribute", D(2013, 9, 24),
     D(2022, 6, 15), false, "", 4.3},
    {150123, 2, kVuln, "Web Application",
     "Cookie Does Not Contain The \"HTTPOnly\" Attribute", D(2013, 9, 24),
     D(2022, 6, 15), false, "", 4.3},
    {150124, 3, kVuln, "Web Application", "Clickjacking - Framable Page",
     D(2013, 11, 5), D(2023, 4, 20), false, "", 4.7},
    {150141, 1, kIg, "Web Application",
     "List of links/files identified by regex(s) provided by customer.",
     D(2020, 9, 11), D(2020, 9, 11), false, "", 0},
    {150150, 3, kVuln, "Web Application", "Credit Card Number Disclosure",
     D(2014, 1, 21), D(2021, 9, 2), false, "", 0},
    {150151, 3, kVuln, "Web Application",
     "Social Security Number Disclosure (US)", D(2014, 1, 21), D(2021, 9, 2),
     false, "", 0},
    {150152, 2, kVuln, "Web Application", "Custom Sensitive Content Found",
     D(2014, 1, 21), D(2021, 9, 2), false, "", 0},
    {150176, 1, kIg, "Web Application",
     "In-scope JavaScript Libraries Detected", D(2017, 7, 21), D(2022, 10, 19),
     false, "", 0},
    {150202, 1, kVuln, "Web Application",
     "Missing header: X-Content-Type-Options", D(2018, 5, 8), D(2023, 3, 9),
     false, "", 0},
    {150210, 1, kIg, "Web Application",
     "Information Disclosure via Response Header", D(2018, 9, 4),
     D(2021, 3, 18), false, "", 0},
    {150246, 3, kPotential, "Web Application",
     "Path-Relative Stylesheet Import (PRSSI) Vulnerability", D(2019, 4, 23),
     D(2022, 7, 28), false, "", 4.3},
    {150263, 3, kVuln, "Web Application", "Insecure Transport", D(2019, 9, 10),
     D(2023, 5, 4), false, "", 5.9},
    {150528, 1, kIg, "Web Application",
     "Server Returns HTTP 4XX Error Code During Scanning", D(2022, 10, 5),
     D(2024, 3, 14), false, "", 0},
    {178963, 4, kVuln, "Debian", "Debian Security Update for curl (DSA 5587-1)",
     D(2023, 12, 14), D(2024, 1, 9), true, "CVE-2023-46218", 6.5},
    {198914, 4, kVuln, "Ubuntu",
     "Ubuntu Security Notification for OpenSSL Vulnerabilities (USN-6450-1)",
     D(2023, 10, 24), D(2023, 11, 2), true, "CVE-2023-5363", 7.5},
    {199012, 3, kVuln, "Ubuntu",
     "Ubuntu Security Notification for Vim Vulnerabilities (USN-6557-1)",
     D(2023, 12, 18), D(2024, 1, 3), true, "CVE-2023-48706", 4.7},
    {199317, 4, kVuln, "Ubuntu",
     "Ubuntu Security Notification for Linux kernel Vulnerabilities "
     "(USN-6699-1)",
     D(2024, 3, 19), D(2024, 4, 2), true, "CVE-2023-46838", 7.5},
    {240987, 4, kVuln, "RedHat", "Red Hat Update for kernel (RHSA-2024:0346)",
     D(2024, 1, 23), D(2024, 2, 6), true, "CVE-2023-4622", 7.8},
    {241115, 3, kVuln, "RedHat", "Red Hat Update for openssh (RHSA-2024:1130)",
     D(2024, 3, 5), D(2024, 3, 19), true, "CVE-2023-48795", 5.9},
    {257260, 3, kVuln, "CentOS",
     "CentOS Security Update for openssh (CESA-2023:7242)", D(2023, 11, 16),
     D(2023, 12, 1), true, "CVE-2023-38408", 9.8},
    {354794, 3, kVuln, "Amazon Linux",
     "Amazon Linux Security Advisory for glibc: ALAS2-2023-2034",
     D(2023, 4, 27), D(2023, 5, 4), true, "CVE-2023-25139", 9.8},
    {354827, 4, kVuln, "Amazon Linux",
     "Amazon Linux Security Advisory for kernel: ALAS2-2023-2050",
     D(2023, 5, 11), D(2023, 5, 25), true, "CVE-2023-1989", 7.0},
    {376028, 4, kVuln, "Local",
     "Oracle Java SE Critical Patch Update - January 2024", D(2024, 1, 16),
     D(2024, 2, 1), true, "CVE-2024-20918", 7.4},
    {376187, 3, kVuln, "Local", "Python Multiple Vulnerabilities",
     D(2023, 8, 29), D(2023, 10, 3), true, "CVE-2023-40217", 5.3},
    {378332, 4, kVuln, "Local",
     "Google Chrome Prior to 120.0.6099.224 Multiple Vulnerabilities",
     D(2024, 1, 16), D(2024, 1, 22), true, "CVE-2024-0517", 8.8},
    {378941, 2, kVuln, "Local",
     "7-Zip Use of Weak Cryptography Vulnerability \"CVE-2023-31102\"",
     D(2023, 11, 28), D(2024, 1, 5), true, "CVE-2023-31102", 0},
    {379210, 5, kVuln, "Local",
     "XZ Utils Backdoor <liblzma> Supply Chain Compromise & RCE",
     D(2024, 3, 29), D(2024, 4, 2), true, "CVE-2024-3094", 10.0},
    {730297, 5, kVuln, "Local",
     "Apache Log4j Remote Code Execution (RCE) Vulnerability (Log4Shell)",
     D(2021, 12, 10), D(2023, 1, 20), true, "CVE-2021-44228", 10.0},
    {730421, 4, kVuln, "Local",
     "Spring Framework Remote Code Execution (Spring4Shell)", D(2022, 3, 31),
     D(2022, 12, 2), true, "CVE-2022-22965", 9.8},
};

// Host detections draw from these; 3 are unknown to the KnowledgeBase.
constexpr std::uint64_t kUnknownHostQids[] = {386542, 731204, 92099};

std::vector<std::uint64_t> BuildHostPool() {
  std::vector<std::uint64_t> pool;
  for (const KbEntry& e : kEntries) {
    if (e.category != "Web Application") pool.push_back(e.qid);
  }
  for (std::uint64_t q : kUnknownHostQids) pool.push_back(q);
  return pool;
}

}  // namespace

std::span<const KbEntry> KnowledgeBaseEntries() { return kEntries; }

const KbEntry* FindKbEntry(std::uint64_t qid) {
  static_assert(std::size(kEntries) > 0);
  const auto* it = std::lower_bound(
      std::begin(kEntries), std::end(kEntries), qid,
      [](const KbEntry& e, std::uint64_t q) { return e.qid < q; });
  return it != std::end(kEntries) && it->qid == qid ? it : nullptr;
}

std::span<const std::uint64_t> HostQidPool() {
  static const std::vector<std::uint64_t> pool = BuildHostPool();
  return pool;
}

bool IsUnknownHostQid(std::uint64_t qid) {
  return std::find(std::begin(kUnknownHostQids), std::end(kUnknownHostQids),
                   qid) != std::end(kUnknownHostQids);
}

}  // namespace qx::sim
