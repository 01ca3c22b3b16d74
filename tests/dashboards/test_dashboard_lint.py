#!/usr/bin/env python3
"""Dashboards suite: every dashboards/*.json passes the linter (dashlint.py,
Grafana dashboard-linter rules plus project rules), every PromQL expression
parses with the real Prometheus parser (promtool), every metric referenced is
in the metric contract (known_metrics.txt, itself checked against
docs/metrics.md and, when present, CONTRACT.md), each dashboard shows what it
is meant to show, the provisioning examples are valid, and the linter still
catches the violations planted in bad/bad-dashboard.json."""
import collections
import glob
import json
import os
import re
import shutil
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dashlint  # noqa: E402
import promql  # noqa: E402

SRC = os.environ.get("QX_SRC", os.path.abspath(os.path.join(HERE, "..", "..")))
DASHBOARDS = os.path.join(SRC, "dashboards")
BAD = os.path.join(HERE, "bad", "bad-dashboard.json")
BAD_EXPECTED = os.path.join(HERE, "bad", "bad-dashboard.expected")

# What each dashboard must show: metrics it must query, and expression patterns.
REQUIRED = {
    "qualys-posture-overview.json": {
        "uid": "qualys-posture-overview",
        "metrics": {"qualys_up", "qualys_host_assets", "qualys_host_vulnerabilities", "qualys_was_findings",
                    "qualys_was_recurring_findings", "qualys_was_findings_became_recurring_total",
                    "qualys_exporter_last_poll_success_timestamp_seconds"},
        "patterns": [r"sum by \(type\) \(qualys_host_vulnerabilities"],  # confirmed vs potential
    },
    "qualys-scan-coverage.json": {
        "uid": "qualys-scan-coverage",
        "metrics": {"qualys_host_assets_unscanned", "qualys_azure_host_assets_unscanned", "qualys_azure_host_assets",
                    "qualys_host_last_vuln_scan_age_seconds_bucket", "qualys_was_webapp_scheduled",
                    "qualys_was_scan_schedules", "qualys_was_scan_schedule_info"},
        "patterns": [r"sum by \(subscription_id, vnet, subnet\) \(qualys_azure_host_assets_unscanned",  # by subnet
                     r"qualys_was_webapp_scheduled\{[^}]*\} == 0",                                   # unscheduled
                     r"sum by \(le\) \(qualys_host_last_vuln_scan_age_seconds_bucket"],               # age histogram
        "variables": {"subscription", "vnet"},
    },
    "qualys-azure-network.json": {
        "uid": "qualys-azure-network",
        "metrics": {"qualys_azure_host_assets", "qualys_azure_host_vulnerabilities"},
        "patterns": [r"sum by \(subscription_id, vnet, subnet[,)]",           # by VNet and subnet
                     r"sum by \(severity\) \(qualys_azure_host_vulnerabilities",  # severity breakdown
                     r'topk\(10, .*severity="5"'],                              # top VNets by sev-5
        "variables": {"subscription", "vnet"},
    },
    "qualys-was-findings.json": {
        "uid": "qualys-was-findings",
        "metrics": {"qualys_was_findings", "qualys_was_webapp_info", "qualys_was_recurring_findings",
                    "qualys_was_findings_became_recurring_total", "qualys_was_recurring_finding_info",
                    "qualys_was_keyword_links", "qualys_was_webapp_last_scan_timestamp_seconds",
                    "qualys_was_finding_scans_detected_bucket"},
        "patterns": [r"sum by \(severity\) \(qualys_was_findings", r"sum by \(status\) \(qualys_was_findings",
                     r"qualys_was_recurring_finding_info\{[^}]*\} unless qualys_was_recurring_finding_info\{"
                     r"[^}]*\} offset \$__range",
                     r"time\(\) - qualys_was_webapp_last_scan_timestamp_seconds"],
        "variables": {"webapp"},
    },
    "qualys-exporter-health.json": {
        "uid": "qualys-exporter-health",
        "metrics": {"qualys_up", "qualys_exporter_source_up", "qualys_exporter_last_poll_success_timestamp_seconds",
                    "qualys_exporter_poll_duration_seconds", "qualys_exporter_api_requests_total",
                    "qualys_exporter_api_rate_limit_remaining", "qualys_exporter_records_fetched_total"},
        "patterns": [r"sum by \(code\) \(rate\(qualys_exporter_api_requests_total\{[^}]*\}\[\$__rate_interval\]\)\)",
                     r"time\(\) - qualys_exporter_last_poll_success_timestamp_seconds"],
    },
}


def dashboard_files():
    return sorted(glob.glob(os.path.join(DASHBOARDS, "*.json")))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def metrics_in(d):
    names = set()
    for _, expr in dashlint.all_exprs(d):
        for sel, _ in promql.selectors(promql.parse(expr)):
            names.add(sel.name)
    return names


def metric_table_names(markdown):
    """Backticked names in the first column of markdown table rows (metric tables)."""
    names = {}
    for line in markdown.splitlines():
        m = re.match(r"^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`(.*)$", line)
        if m:
            cells = [c.strip() for c in m.group(2).split("|")]
            # "`name` (histogram) | labels" (contract) or "`name` | histogram | labels" (docs/metrics.md)
            names[m.group(1)] = "(histogram)" in cells[0] or (len(cells) > 1 and cells[1] == "histogram")
    return names


def expand(names):
    out = set()
    for n, is_hist in names.items():
        if is_hist:
            out |= {n + "_bucket", n + "_sum", n + "_count"}
        else:
            out.add(n)
    return out


def contract_path():
    for p in (os.environ.get("QX_CONTRACT"), os.path.join(SRC, "..", "shared", "CONTRACT.md")):
        if p and os.path.isfile(p):
            return p
    return None


class DashboardLint(unittest.TestCase):
    def test_shipped_dashboards_are_lint_clean(self):
        files = dashboard_files()
        self.assertGreaterEqual(len(files), 5, f"want at least five dashboards in {DASHBOARDS}")
        linter = dashlint.Linter()
        for f in files:
            linter.lint_file(f)
        self.assertEqual([], [str(v) for v in linter.violations], "dashboard lint violations")

    def test_every_expression_parses_with_promtool(self):
        self.assertTrue(shutil.which("promtool"), "promtool not found (Debian package prometheus)")
        linter = dashlint.Linter()
        count = 0
        for f in dashboard_files():
            count += len(dashlint.all_exprs(load(f)))
            linter.promtool_file(f)
        self.assertGreater(count, 40, "suspiciously few expressions found")
        self.assertEqual([], [str(v) for v in linter.violations])

    def test_required_dashboards_show_what_they_should(self):
        for name, req in REQUIRED.items():
            path = os.path.join(DASHBOARDS, name)
            self.assertTrue(os.path.isfile(path), f"missing dashboard {name}")
            d = load(path)
            self.assertEqual(d.get("uid"), req["uid"], name)
            self.assertTrue(30 <= d.get("schemaVersion", 0) <= 41, f"{name}: schemaVersion {d.get('schemaVersion')}")
            missing = req["metrics"] - metrics_in(d)
            self.assertFalse(missing, f"{name} does not query {sorted(missing)}")
            exprs = [e for _, e in dashlint.all_exprs(d)]
            for pat in req["patterns"]:
                self.assertTrue(any(re.search(pat, e) for e in exprs), f"{name}: no expression matches /{pat}/")
            names = {v.get("name") for v in d["templating"]["list"]}
            self.assertFalse(req.get("variables", set()) - names, f"{name}: variables {names}")

    def test_every_contract_metric_is_charted(self):
        known = dashlint.load_known()
        contract = {n for n, src in self._sources().items() if src == "contract"}
        used = set()
        for f in dashboard_files():
            used |= metrics_in(load(f))
        self.assertFalse(contract - used, f"contract metrics on no dashboard: {sorted(contract - used)}")
        self.assertTrue(used <= set(known), sorted(used - set(known)))

    def _sources(self):
        out = {}
        with open(dashlint.KNOWN_METRICS) as f:
            for line in f:
                parts = line.split("#", 1)[0].split()
                if parts:
                    out[parts[0]] = parts[2]
        return out

    def test_known_metrics_agree_with_docs_and_contract(self):
        known = dashlint.load_known()
        sources = self._sources()
        for n, kind in known.items():
            if kind == "counter":
                self.assertTrue(n.endswith("_total"), f"counter {n} should end in _total")
        with open(os.path.join(SRC, "docs", "metrics.md")) as f:
            documented = expand(metric_table_names(f.read()))
        ours = {n for n, s in sources.items() if s in ("contract", "docs")}
        self.assertFalse(ours - documented,
                         f"known_metrics.txt names metrics docs/metrics.md does not document (renamed?): "
                         f"{sorted(ours - documented)}")
        path = contract_path()
        if path is None:
            print("note: CONTRACT.md not found beside the repository; checked against docs/metrics.md only")
            return
        with open(path) as f:
            text = f.read()
        section = text.split("## Metrics", 1)[1] if "## Metrics" in text else text
        contract = expand(metric_table_names(section))
        self.assertGreater(len(contract), 15, f"could not read the metric table of {path}")
        listed = {n for n, s in sources.items() if s == "contract"}
        self.assertEqual(sorted(contract - listed), [], f"contract metrics missing from known_metrics.txt ({path})")
        self.assertEqual(sorted(listed - contract), [], f"known_metrics.txt marks non-contract metrics 'contract'")

    def test_dashboards_are_distinct_and_linked(self):
        uids, titles = set(), set()
        for f in dashboard_files():
            d = load(f)
            self.assertNotIn(d["uid"], uids)
            self.assertNotIn(d["title"], titles)
            uids.add(d["uid"])
            titles.add(d["title"])
            self.assertIn("qualys-exporter", d.get("tags", []), f"{f}: the dashboard links select tag qualys-exporter")
            self.assertIsNone(d.get("id"), f"{f}: id must be null so that provisioning assigns one")
            with open(f, encoding="utf-8") as fh:
                self.assertTrue(fh.read().endswith("}\n"), f"{f}: end the file with a newline")

    def test_provisioning_examples(self):
        import yaml
        prov = os.path.join(DASHBOARDS, "provisioning")
        ds_files = glob.glob(os.path.join(prov, "datasources", "*.y*ml"))
        db_files = glob.glob(os.path.join(prov, "dashboards", "*.y*ml"))
        self.assertTrue(ds_files and db_files, f"want datasources/ and dashboards/ YAML under {prov}")
        for f in ds_files:
            with open(f) as fh:
                doc = yaml.safe_load(fh)
            self.assertEqual(doc.get("apiVersion"), 1, f)
            self.assertTrue(any(d.get("type") == "prometheus" and d.get("url") for d in doc["datasources"]), f)
        for f in db_files:
            with open(f) as fh:
                doc = yaml.safe_load(fh)
            self.assertEqual(doc.get("apiVersion"), 1, f)
            for p in doc["providers"]:
                self.assertEqual(p.get("type"), "file", f)
                self.assertTrue(p.get("options", {}).get("path", "").startswith("/"), f)


class LinterSelfTest(unittest.TestCase):
    """The linter must still catch what bad/bad-dashboard.json breaks on purpose."""

    def expected(self):
        out = collections.Counter()
        with open(BAD_EXPECTED) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    rule, where = line.rstrip("\n").split("\t")
                    out[("bad-dashboard.json", rule, where)] += 1
        return out

    def test_bad_dashboard_reports_exactly_the_planted_violations(self):
        linter = dashlint.Linter()
        linter.lint_file(BAD)
        linter.promtool_file(BAD)
        got = collections.Counter(v.key() for v in linter.violations)
        want = self.expected()
        self.assertGreater(len(want), 20)
        missing = want - got
        extra = got - want
        self.assertFalse(missing or extra,
                         "linter output differs from bad-dashboard.expected\n  not reported: "
                         + "\n    ".join(map(str, sorted(missing))) + "\n  unexpected: "
                         + "\n    ".join(str(v) for v in linter.violations if v.key() in extra))
        rules = {k[1] for k in want}
        for rule in ("uid-rule", "no-inputs-rule", "template-datasource-rule", "template-job-rule",
                     "template-instance-rule", "panel-datasource-rule", "target-job-rule", "target-instance-rule",
                     "panel-units-rule", "panel-title-description-rule", "target-rate-interval-rule",
                     "target-counter-agg-rule", "target-promql-rule", "target-metric-known-rule"):
            self.assertIn(rule, rules, f"the self-test no longer exercises {rule}")

    def test_promtool_stage_alone_rejects_invalid_promql(self):
        # Independently of the built-in parser: promtool must reject both broken
        # expressions, including the one only Prometheus' parser knows is wrong.
        linter = dashlint.Linter()
        linter.promtool_file(BAD)
        got = sorted(v.where for v in linter.violations)
        self.assertEqual(got, ["panel 'Broken PromQL' target A", "panel 'Wrong arity only promtool sees' target A"],
                         [str(v) for v in linter.violations])

    def test_cli_exit_status(self):
        import subprocess
        r = subprocess.run([sys.executable, os.path.join(HERE, "dashlint.py"), BAD], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        r = subprocess.run([sys.executable, os.path.join(HERE, "dashlint.py"), *dashboard_files()],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_parser_handles_promql_forms(self):
        ok = ['sum by (a) (rate(x_total{a="b"}[$__rate_interval] offset 1h))',
              "a * on (job) group_left (name) b",
              "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))",
              "-a ^ 2 > bool 1", "topk(10, x) or vector(0)", 'label_replace(x, "a", "$1", "b", "(.*)")',
              "x unless x offset $__range", "sum(x) without (a)", "count(count by (a, b) (x))"]
        for e in ok:
            promql.parse(e)
        for e in ["sum(x", "x{a=}", "rate(x[5m]", "sum by (a (x)", "x +", "topk(x)"]:
            with self.assertRaises(promql.ParseError, msg=e):
                promql.parse(e)
        node = promql.parse('sum(rate(x_total{job=~"$job"}[$__rate_interval]))')
        (sel, parents), = promql.selectors(node)
        self.assertEqual([p.kind for p in parents], ["agg", "call", "matrix"])
        self.assertEqual(parents[-1].range, "$__rate_interval")
        self.assertIn(("job", "=~", "$job"), sel.matchers)


if __name__ == "__main__":
    unittest.main(verbosity=2)
