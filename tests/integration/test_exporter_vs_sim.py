"""The real exporter binary against the real simulator: --once output is
valid exposition (promtool), and its numbers equal the simulator's own
ground truth. Also: wrong credentials, recurrence across restarts, KB cache
reuse across restarts."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from qxtest import (parse_exposition, promtool_check_metrics, run_once, series,  # noqa: E402
                    sim_advance, sim_expected, sim_stats, simulator)

SIM_ARGS = ("--seed=7", "--host_assets=420", "--webapps=5", "--findings_per_webapp=30",
            "--empty_page_every=3")
PAGE = ("--hostasset.page-size=50", "--was.page-size=40")


def nonzero(metrics, name, keys):
    out = {}
    for labels, v in metrics.get(name, {}).items():
        if v == 0:
            continue
        d = dict(labels)
        out[tuple(d.get(k, "") for k in keys)] = v
    return out


def expected_rows(rows, keys):
    return {tuple(str(r[k]) for k in keys): float(r["value"]) for r in rows if r["value"]}


# (metric, key in /sim/expected, labels compared): the non-zero series of
# each must equal the simulator's ground truth rows.
HOST_FAMILIES = (
    ("qualys_azure_host_assets", "azure_host_assets",
     ("subscription_id", "resource_group", "vnet", "subnet", "location", "state")),
    # Open Confirmed and Potential detections of the Host List Detection
    # API, joined to host assets by qwebHostId.
    ("qualys_azure_host_vulnerabilities", "azure_host_detections",
     ("subscription_id", "vnet", "subnet", "severity", "type")),
    ("qualys_host_vulnerabilities", "host_detections", ("cloud_provider", "severity", "type")),
    ("qualys_azure_host_assets_unscanned", "azure_host_assets_unscanned",
     ("subscription_id", "vnet", "subnet")),
)
AGE_BUCKETS = ("86400", "604800", "2592000", "7776000", "+Inf")
WAS_FAMILIES = (
    ("qualys_was_findings", "was_findings", ("webapp_id", "severity", "status", "category")),
    ("qualys_was_recurring_findings", "was_recurring_findings", ("webapp_id", "severity")),
    ("qualys_was_keyword_links", "was_keyword_links", ("webapp_id", "regex")),
    ("qualys_was_webapp_last_scan_timestamp_seconds", "was_webapp_last_scan_timestamp_seconds",
     ("webapp_id",)),
    ("qualys_was_scan_schedules", "was_scan_schedules", ("type", "active", "occurrence_type")),
    ("qualys_was_webapp_scheduled", "was_webapp_scheduled", ("webapp_id",)),
    # Every web app, with findings or not, by its name and URL.
    ("qualys_was_webapp_info", "was_webapp_info", ("webapp_id", "name", "url")),
    ("qualys_was_scan_schedule_next_launch_timestamp_seconds", "was_scan_schedule_next_launch",
     ("schedule_id",)),
)
SCHEDULE_INFO = ("schedule_id", "name", "webapp_id", "type", "active", "occurrence_type",
                 "send_mail_from")


class ExporterVsSimulator(unittest.TestCase):
    def assert_families_match(self, m, exp, families):
        for name, key, keys in families:
            self.assertEqual(nonzero(m, name, keys), expected_rows(exp[key], keys), name)

    def assert_host_families_match(self, m, exp):
        got = {d["cloud_provider"]: v for d, v in series(m, "qualys_host_assets")}
        self.assertEqual(got, {k: float(v) for k, v in exp["host_assets"].items()})
        self.assert_families_match(m, exp, HOST_FAMILIES)
        got = {d["cloud_provider"]: v for d, v in series(m, "qualys_host_assets_unscanned")}
        self.assertEqual(got, {k: float(v) for k, v in exp["host_assets_unscanned"].items()})
        want = {b["le"]: float(b["value"]) for b in exp["host_last_vuln_scan_age"]["buckets"]}
        for le in AGE_BUCKETS:
            got = sum(v for _, v in series(m, "qualys_host_last_vuln_scan_age_seconds_bucket", le=le))
            self.assertEqual(got, want[le], f"scan age le={le}")

    def assert_was_families_match(self, m, exp):
        self.assert_families_match(m, exp, WAS_FAMILIES)
        got = {tuple(d.get(k, "") for k in SCHEDULE_INFO)
               for d, _ in series(m, "qualys_was_scan_schedule_info")}
        want = {tuple(str(r[k]) for k in SCHEDULE_INFO) for r in exp["was_scan_schedule_info"]}
        self.assertEqual(got, want, "qualys_was_scan_schedule_info")
        # Every web app is exported, scheduled or not.
        self.assertEqual({d["webapp_id"] for d, _ in series(m, "qualys_was_webapp_scheduled")},
                         {r["webapp_id"] for r in exp["was_webapp_scheduled"]})

    def test_once_matches_simulator_ground_truth(self):
        with simulator(*SIM_ARGS) as (base, _), tempfile.TemporaryDirectory() as state:
            r = run_once(base, state, extra=PAGE)
            self.assertEqual(r.returncode, 0, r.stderr)
            rc, out = promtool_check_metrics(r.stdout)
            self.assertEqual(rc, 0, f"promtool check metrics failed:\n{out}")
            m = parse_exposition(r.stdout)
            exp = sim_expected(base)

            self.assert_host_families_match(m, exp)
            self.assertEqual(sum(v for _, v in series(m, "qualys_host_assets")), 420)
            # Severities 1-5 of both types exist for every known subnet,
            # zeros included.
            subnets = {(d["subscription_id"], d["vnet"], d["subnet"])
                       for d, _ in series(m, "qualys_azure_host_assets")}
            self.assertTrue(subnets)
            for s in subnets:
                pairs = {(d["severity"], d["type"]) for d, _ in series(
                    m, "qualys_azure_host_vulnerabilities", subscription_id=s[0], vnet=s[1], subnet=s[2])}
                self.assertTrue({(sv, t) for sv in "12345" for t in ("confirmed", "potential")} <= pairs,
                                (s, pairs))

            self.assert_was_families_match(m, exp)
            info_ids = {d["finding_id"] for d, _ in series(m, "qualys_was_recurring_finding_info")}
            self.assertTrue(info_ids)
            self.assertTrue(info_ids <= {str(i) for i in exp["was_recurring_finding_ids"]})

            for src in ("hostasset", "detection", "was_finding", "was_scan_schedule",
                        "knowledge_base"):
                self.assertEqual(series(m, "qualys_exporter_source_up", source=src)[0][1], 1.0, src)
            self.assertEqual(series(m, "qualys_up")[0][1], 1.0)
            # First poll with empty state is the baseline: nothing counted.
            self.assertEqual(sum(v for _, v in series(m, "qualys_was_findings_became_recurring_total")), 0)

    def test_incremental_polls_with_dense_pages_ask_little_and_stay_exact(self):
        # Filter-then-page, as an API that indexes `updated` would answer:
        # a steady-state poll costs one page per changed-since field.
        args = ("--seed=11", "--host_assets=420", "--webapps=4", "--findings_per_webapp=20",
                "--empty_page_every=0", "--filtered_pages=dense", "--host_change_percent=3")
        search = "/qps/rest/2.0/search/am/hostasset"
        with simulator(*args) as (base, _), tempfile.TemporaryDirectory() as state:
            r = run_once(base, state, extra=PAGE)
            self.assertEqual(r.returncode, 0, r.stderr)
            full_calls = sim_stats(base).get(search, 0)
            self.assertEqual(full_calls, 9)  # ceil(420 / 50)
            for _ in range(2):
                sim_advance(base)
                before = sim_stats(base).get(search, 0)
                r = run_once(base, state, extra=PAGE)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("hostasset: incremental sync", r.stderr)
                # ~13 of 420 hosts change: one page for `updated`, one for
                # `vulnsUpdated`.
                self.assertEqual(sim_stats(base).get(search, 0) - before, 2)
                self.assert_host_families_match(parse_exposition(r.stdout), sim_expected(base))

    def test_incremental_polls_see_changes_stamped_by_a_lagging_api_clock(self):
        # The API's clock is two years behind ours: its changes carry 2024
        # stamps. Cursors taken from our clock alone would ask for changes
        # "since 2026" and see none until the daily full resync.
        with simulator(*SIM_ARGS, "--time_base=2024-06-03T06:00:00Z") as (base, _), \
                tempfile.TemporaryDirectory() as state:
            r = run_once(base, state, extra=PAGE)
            self.assertEqual(r.returncode, 0, r.stderr)
            for _ in range(2):
                sim_advance(base)
                r = run_once(base, state, extra=PAGE)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("hostasset: incremental sync", r.stderr)
                self.assertIn("was_finding: incremental sync", r.stderr)
                m = parse_exposition(r.stdout)
                exp = sim_expected(base)
                self.assert_host_families_match(m, exp)
                self.assert_was_families_match(m, exp)

    def test_wrong_password_fails_clearly_and_never_leaks_it(self):
        secret = "Wr0ng-Pa55word-xyzzy"
        with simulator(*SIM_ARGS) as (base, _), tempfile.TemporaryDirectory() as state:
            r = run_once(base, state, password=secret)
            self.assertEqual(r.returncode, 1)
            self.assertIn("401", r.stderr)
            self.assertIn("authentication failed", r.stderr)
            for stream in (r.stdout, r.stderr):
                self.assertNotIn(secret, stream)
            for name in os.listdir(state):
                with open(os.path.join(state, name), errors="replace") as f:
                    self.assertNotIn(secret, f.read())
            m = parse_exposition(r.stdout)
            self.assertEqual(series(m, "qualys_up")[0][1], 0.0)
            self.assertEqual(series(m, "qualys_exporter_source_up", source="hostasset")[0][1], 0.0)
            self.assertFalse(m.get("qualys_host_assets"), "no numbers from a failed poll")
            codes = {d["code"] for d, _ in series(m, "qualys_exporter_api_requests_total")}
            self.assertEqual(codes, {"401"})

    def test_recurrence_counter_counts_exact_transitions_across_restarts(self):
        with simulator(*SIM_ARGS) as (base, _), tempfile.TemporaryDirectory() as state:
            def poll():
                r = run_once(base, state, extra=PAGE)  # a fresh process each time: a restart
                self.assertEqual(r.returncode, 0, r.stderr)
                return parse_exposition(r.stdout)

            exp0 = sim_expected(base)
            m = poll()
            total = {d["severity"]: v for d, v in series(m, "qualys_was_findings_became_recurring_total")}
            self.assertEqual(total, {s: 0.0 for s in "12345"})
            known = set(exp0["was_recurring_finding_ids"])
            counted = {s: 0 for s in "12345"}
            for _ in range(3):
                sim_advance(base)
                exp = sim_expected(base)
                now = set(exp["was_recurring_finding_ids"])
                sev = {str(i): str(s) for i, s in exp["was_recurring_finding_severity"].items()}
                for fid in now - known:
                    counted[sev[str(fid)]] += 1
                known = now
                m = poll()
                total = {d["severity"]: v for d, v in series(m, "qualys_was_findings_became_recurring_total")}
                self.assertEqual(total, {s: float(c) for s, c in counted.items()})
            self.assertGreater(sum(counted.values()), 0, "the simulator must evolve findings into recurrence")

    def test_knowledge_base_is_not_asked_when_detections_carry_severities(self):
        # Severities come with the detections; the KnowledgeBase only fills
        # in for a counted detection without one (the simulator omits
        # SEVERITY on Info detections only, which never count).
        with simulator(*SIM_ARGS) as (base, _), tempfile.TemporaryDirectory() as state:
            for _ in range(2):
                r = run_once(base, state, extra=PAGE)
                self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sim_stats(base).get("/api/2.0/fo/knowledge_base/vuln/", 0), 0)
            self.assertGreater(sim_stats(base).get("/api/2.0/fo/asset/host/vm/detection/", 0), 0)
            m = parse_exposition(r.stdout)
            for src in ("knowledge_base", "detection"):
                self.assertEqual(series(m, "qualys_exporter_source_up", source=src)[0][1], 1.0, src)

    def test_corrupt_state_gives_clear_error_and_fresh_baseline(self):
        with simulator(*SIM_ARGS) as (base, _), tempfile.TemporaryDirectory() as state:
            for name in ("was_recurrence.state", "knowledge_base.state"):
                with open(os.path.join(state, name), "w") as f:
                    f.write("not a state file\n")
            r = run_once(base, state, extra=PAGE)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("is not a 'was-recurrence' state file", r.stderr)
            self.assertIn("fresh baseline", r.stderr)
            self.assertTrue(os.path.exists(os.path.join(state, "was_recurrence.state.corrupt")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
