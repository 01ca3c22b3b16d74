#!/usr/bin/env python3
"""Rules suite: the shipped alert rules are valid (promtool check rules), the
example Prometheus configuration is valid and really loads them (promtool
check config), the promtool unit tests (tests/rules/*.test.yml) pass and
cover every alert firing and not firing, every alert has severity, summary,
description and a runbook that exists, and the unit tests are strong enough
to catch deliberately broken copies of the rules (mutation self-test)."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("QX_SRC", os.path.abspath(os.path.join(HERE, "..", "..")))
RULES_DIR = os.path.join(SRC, "deploy", "prometheus", "rules")
RULES = os.path.join(RULES_DIR, "qualys-exporter.rules.yml")
CONFIG = os.path.join(SRC, "deploy", "prometheus", "prometheus.yml")
RUNBOOKS = os.path.join(SRC, "docs", "runbooks")
RUNBOOK_URL = "https://github.com/qualys-exporter/qualys-exporter/blob/main/docs/runbooks/{}.md"
TESTS = sorted(glob.glob(os.path.join(HERE, "*.test.yml")))
ALERTS = {"QualysNewRecurringFinding", "QualysExporterDown", "QualysSourcePollFailing", "QualysDataStale",
          "QualysApiRateLimitLow", "QualysWebAppNotScheduled", "QualysSubnetUnscanned"}
RUNBOOK_SECTIONS = ("Meaning", "Impact", "Diagnosis", "Mitigation")


def promtool(*args, cwd=None):
    r = subprocess.run(["promtool", *args], capture_output=True, text=True, cwd=cwd, timeout=300)
    return r.returncode, r.stdout + r.stderr


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def shipped_rules():
    out = []
    for f in sorted(glob.glob(os.path.join(RULES_DIR, "*.y*ml"))):
        doc = load_yaml(f)
        if isinstance(doc, dict) and "groups" in doc:
            for g in doc["groups"]:
                out.extend(g["rules"])
    return out


class Rules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("promtool"):
            raise AssertionError("promtool not found (Debian package prometheus; scripts/bootstrap installs it)")

    def test_check_rules(self):
        files = sorted(glob.glob(os.path.join(RULES_DIR, "*.y*ml")))
        self.assertIn(RULES, files)
        rc, out = promtool("check", "rules", *files)
        self.assertEqual(rc, 0, out)
        self.assertIn(f"SUCCESS: {len(shipped_rules())} rules found", out)

    def test_check_config_loads_the_rule_files(self):
        # The example config names its rule files relative to its own
        # directory: check from elsewhere to be sure they still resolve.
        with tempfile.TemporaryDirectory() as elsewhere:
            rc, out = promtool("check", "config", CONFIG, cwd=elsewhere)
        self.assertEqual(rc, 0, out)
        m = re.search(r"SUCCESS: (\d+) rule files found", out)
        self.assertTrue(m and int(m.group(1)) >= 1, f"the config loads no rule files:\n{out}")
        self.assertIn(os.path.basename(RULES), out)
        cfg = load_yaml(CONFIG)
        jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
        self.assertIn("qualys-exporter", jobs)
        job = jobs["qualys-exporter"]
        self.assertEqual(job.get("scrape_interval", cfg["global"].get("scrape_interval")), "60s")
        targets = [t for sc in job["static_configs"] for t in sc["targets"]]
        self.assertTrue(any(t.endswith(":9786") for t in targets), targets)

    def test_unit_tests_pass(self):
        self.assertTrue(TESTS, f"no *.test.yml in {HERE}")
        rc, out = promtool("test", "rules", *TESTS)
        self.assertEqual(rc, 0, out)

    def test_alerts_are_complete(self):
        rules = shipped_rules()
        names = [r["alert"] for r in rules if "alert" in r]
        self.assertEqual(len(names), len(set(names)), f"duplicate alert names: {names}")
        self.assertTrue(ALERTS <= set(names), f"missing alerts: {ALERTS - set(names)}")
        for r in rules:
            if "alert" not in r:
                continue
            name = r["alert"]
            sev = r.get("labels", {}).get("severity", "")
            self.assertTrue(sev in ("critical", "warning", "info") or "{{" in sev, f"{name}: severity {sev!r}")
            ann = r.get("annotations", {})
            for key in ("summary", "description", "runbook_url"):
                self.assertTrue(ann.get(key), f"{name}: annotation {key} missing")
            self.assertIn("{{", ann["description"], f"{name}: the description should name what is affected")
            self.assertEqual(ann["runbook_url"], RUNBOOK_URL.format(name))
            runbook = os.path.join(RUNBOOKS, f"{name}.md")
            self.assertTrue(os.path.isfile(runbook), f"{name}: no runbook {runbook}")
            with open(runbook) as f:
                text = f.read()
            self.assertTrue(text.startswith(f"# {name}"), f"{runbook}: start with '# {name}'")
            for section in RUNBOOK_SECTIONS:
                self.assertRegex(text, rf"(?m)^## {section}\s*$", f"{runbook}: section '## {section}' missing")

    def test_every_alert_tested_firing_and_not_firing(self):
        firing, quiet = set(), set()
        for f in TESTS:
            for t in load_yaml(f)["tests"]:
                for case in t.get("alert_rule_test", []):
                    (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
        names = {r["alert"] for r in shipped_rules() if "alert" in r}
        self.assertEqual(names - firing, set(), "alerts never tested firing")
        self.assertEqual(names - quiet, set(), "alerts never tested not firing")

    def test_new_recurring_finding_alert_names_the_finding(self):
        # The firing case must check the labels that identify the finding.
        for f in TESTS:
            for t in load_yaml(f)["tests"]:
                for case in t.get("alert_rule_test", []):
                    if case["alertname"] == "QualysNewRecurringFinding":
                        for a in case.get("exp_alerts") or []:
                            labels = a["exp_labels"]
                            for key in ("finding_id", "qid", "webapp_id", "qualys_severity", "severity"):
                                self.assertIn(key, labels, f"{f}: {t['name']}")
                            return
        self.fail("no firing test case for QualysNewRecurringFinding")

    def test_no_rule_hard_codes_the_poll_period(self):
        """The rules that depend on the poll period compare with the
        exporter's qualys_exporter_poll_interval_seconds, carry no literal
        period, and have a short for: (a fixed for: would be a period)."""
        rules = {r["alert"]: r for r in shipped_rules() if "alert" in r}
        for name in ("QualysDataStale", "QualysSourcePollFailing"):
            expr = rules[name]["expr"]
            self.assertIn("qualys_exporter_poll_interval_seconds", expr, name)
            numbers = [float(n) for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", expr)]
            self.assertTrue(all(n < 10 for n in numbers), f"{name}: literal {numbers} in {expr}")
            self.assertNotRegex(expr, r"\[\d+[smhdwy]\]|offset", name)
            m = re.fullmatch(r"(\d+)m", rules[name].get("for", "0m"))
            self.assertTrue(m and int(m.group(1)) <= 15, f"{name}: for: {rules[name].get('for')}")
        self.assertTrue(rules["QualysApiRateLimitLow"].get("for"), "QualysApiRateLimitLow needs a for:")

    def test_interval_rules_tested_at_two_intervals(self):
        """QualysDataStale and QualysSourcePollFailing fire in tests at two
        different --poll.interval values at least."""
        fired = {"QualysDataStale": set(), "QualysSourcePollFailing": set()}
        for f in TESTS:
            for t in load_yaml(f)["tests"]:
                intervals = set()
                for series in t.get("input_series", []):
                    if series["series"].startswith("qualys_exporter_poll_interval_seconds{"):
                        intervals.add(series["values"].split("x")[0])
                for case in t.get("alert_rule_test", []):
                    if case["alertname"] in fired and case.get("exp_alerts"):
                        fired[case["alertname"]] |= intervals
        for name, intervals in fired.items():
            self.assertGreaterEqual(len(intervals), 2, f"{name} tested firing at intervals {intervals}")

    # Deliberately broken copies of the rules that the unit tests must reject.
    MUTATIONS = {
        "recurring alert without the counter guard (baseline would alert)": (
            "\n            and on (job, instance, severity)\n"
            "              (increase(qualys_was_findings_became_recurring_total[1h]) > 0),",
            ","),
        "recurring alert without the 'new within the hour' condition": (
            "\n              unless\n                qualys_was_recurring_finding_info offset 1h", ""),
        "recurring alert without the sample-count condition (a new Prometheus would report every finding)": (
            "\n            and\n              (\n                  count_over_time(qualys_was_recurring_finding_info[1h])\n"
            "                < on (job, instance) group_left\n                  count_over_time(qualys_up[1h])\n"
            "              )", ""),
        "recurring alert losing the finding's severity": (
            '"qualys_severity", "$1", "severity", "(.*)"', '"qualys_severity", "", "severity", "(.*)"'),
        "stale threshold hard-coded to the default poll interval": (
            "group_left\n            3 * qualys_exporter_poll_interval_seconds\n",
            "group_left\n            5400 + 0 * qualys_exporter_poll_interval_seconds\n"),
        "stale threshold of 30 poll intervals": (
            "group_left\n            3 * qualys_exporter_poll_interval_seconds\n",
            "group_left\n            30 * qualys_exporter_poll_interval_seconds\n"),
        "poll-failing threshold hard-coded to two default poll intervals": (
            "group_left\n              2 * qualys_exporter_poll_interval_seconds\n",
            "group_left\n              3600 + 0 * qualys_exporter_poll_interval_seconds\n"),
        "poll-failing alert on a single failed poll": (
            "group_left\n              2 * qualys_exporter_poll_interval_seconds\n",
            "group_left\n              0 * qualys_exporter_poll_interval_seconds\n"),
        "poll-failing alert silent for a source that never succeeded": (
            "\n                  or\n                    (\n                        0 * qualys_exporter_source_up\n"
            "                      + on (job, instance) group_left\n"
            "                        qualys_exporter_start_time_seconds\n                    )", ""),
        "rate-limit alert without the freshness guard": (
            "qualys_exporter_api_rate_limit_remaining < 20\n            and\n",
            "qualys_exporter_api_rate_limit_remaining < 20\n            or\n"),
        "rate-limit freshness taken from another API family": (
            "qualys_exporter_api_rate_limit_remaining < 20\n            and\n",
            "qualys_exporter_api_rate_limit_remaining < 20\n            and on (job, instance)\n"),
        "rate-limit alert without for": (
            "        for: 5m\n        labels:\n          severity: warning\n        annotations:\n"
            "          summary: >-\n            qualys-exporter {{ $labels.instance }}: only",
            "        labels:\n          severity: warning\n        annotations:\n"
            "          summary: >-\n            qualys-exporter {{ $labels.instance }}: only"),
        "exporter-down alert without absent()": (' or absent(up{job="qualys-exporter"})', ""),
        "unscheduled web-app alert after an hour instead of a day": ("        for: 1d\n", "        for: 1h\n"),
        "unscheduled web-app alert on scheduled web apps too": (
            "expr: qualys_was_webapp_scheduled == 0", "expr: qualys_was_webapp_scheduled >= 0"),
        "subnet alert on subnets with no hosts": (
            "              qualys_azure_host_assets_unscanned > 0\n", "              qualys_azure_host_assets_unscanned\n"),
        "subnet alert on any unscanned host": (
            "group_left\n            sum by (job, instance, subscription_id, vnet, subnet) (qualys_azure_host_assets)",
            "group_left\n            0 * sum by (job, instance, subscription_id, vnet, subnet) (qualys_azure_host_assets)"),
        "subnet assets summed across exporters": (
            "on (job, instance, subscription_id, vnet, subnet) group_left\n"
            "            sum by (job, instance, subscription_id, vnet, subnet)",
            "on (subscription_id, vnet, subnet) group_left\n            sum by (subscription_id, vnet, subnet)"),
    }

    def test_unit_tests_catch_broken_rules(self):
        with open(RULES) as f:
            original = f.read()
        with tempfile.TemporaryDirectory() as d:
            for what, (old, new) in self.MUTATIONS.items():
                with self.subTest(mutation=what):
                    self.assertEqual(original.count(old), 1,
                                     f"mutation '{what}' no longer applies to the rules file; update the test")
                    rules = os.path.join(d, "rules.yml")
                    with open(rules, "w") as f:
                        f.write(original.replace(old, new))
                    rc, out = promtool("check", "rules", rules)
                    self.assertEqual(rc, 0, f"mutated rules should still be valid ({what}):\n{out}")
                    for t in TESTS:
                        doc = load_yaml(t)
                        doc["rule_files"] = [rules]
                        copy = os.path.join(d, os.path.basename(t))
                        with open(copy, "w") as f:
                            yaml.safe_dump(doc, f, sort_keys=False)
                    rc, out = promtool("test", "rules", *[os.path.join(d, os.path.basename(t)) for t in TESTS])
                    self.assertNotEqual(rc, 0, f"the unit tests pass with a broken rule: {what}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
