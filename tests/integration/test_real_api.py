"""The exporter against the behaviours of the real Qualys API that our first
simulator did not show (issue: works on a real subscription), each switched
on in qualys-sim, with exact expected counts from the simulator's ground
truth:
- rate-limit headers only on API v2 (KnowledgeBase), none on QPS;
- verbose WAS pages and host-asset pages above a size answered 504 by the
  gateway;
- scan results processed hours after the scan (lastTestedDate << updatedDate);
- search criteria the API refuses (INVALID_REQUEST naming the field, or
  HTTP 400)."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from qxtest import (parse_exposition, run_once, series, sim_advance,  # noqa: E402
                    sim_expected, sim_stats, simulator, value)
from test_exporter_vs_sim import HOST_FAMILIES, WAS_FAMILIES, expected_rows, nonzero  # noqa: E402

SIM_ARGS = ("--seed=5", "--host_assets=300", "--webapps=5", "--findings_per_webapp=30",
            "--empty_page_every=0")
PAGE = ("--hostasset.page-size=50", "--was.page-size=40")
WAS_SEARCH = "/qps/rest/3.0/search/was/finding"
HOST_SEARCH = "/qps/rest/2.0/search/am/hostasset"


class RealApiBehaviour(unittest.TestCase):
    def assert_match(self, m, exp, families):
        for name, key, keys in families:
            self.assertEqual(nonzero(m, name, keys), expected_rows(exp[key], keys), name)

    def assert_all_match(self, stdout, base):
        m = parse_exposition(stdout)
        exp = sim_expected(base)
        got = {d["cloud_provider"]: v for d, v in series(m, "qualys_host_assets")}
        self.assertEqual(got, {k: float(v) for k, v in exp["host_assets"].items()})
        self.assert_match(m, exp, HOST_FAMILIES)
        self.assert_match(m, exp, WAS_FAMILIES)
        return m

    def test_api_v2_budget_does_not_stop_qps_walks(self):
        # 18 KnowledgeBase calls per window: after the first one API v2 is
        # below the 20-call reserve. QPS sends no rate-limit headers, so the
        # host-asset and WAS walks must still run to the end.
        with simulator(*SIM_ARGS, "--rate_limit=18") as (base, _), \
                tempfile.TemporaryDirectory() as state:
            r = run_once(base, state, extra=(*PAGE, "--kb.batch-size=40"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("stopped early", r.stderr)
            m = self.assert_all_match(r.stdout, base)
            self.assertGreater(sim_stats(base).get(WAS_SEARCH, 0), 1)
            remaining = {d["api"]: v for d, v in series(m, "qualys_exporter_api_rate_limit_remaining")}
            self.assertIn("api_v2", remaining)
            self.assertLess(remaining["api_v2"], 18)
            self.assertNotIn("qps", remaining, "QPS sent no headers: unknown, not limited")

    def test_pages_a_gateway_cannot_serve_are_halved(self):
        sim = (*SIM_ARGS, "--was_gateway_max_records=25", "--hostasset_gateway_max_records=60")
        with simulator(*sim) as (base, _), tempfile.TemporaryDirectory() as state:
            r = run_once(base, state, extra=("--hostasset.page-size=200", "--was.page-size=100"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assert_all_match(r.stdout, base)
            self.assertIn("was_finding: page of 100 records not served", r.stderr)
            self.assertIn("asking 25 per page for the rest of the walk", r.stderr)
            self.assertIn("asking 50 per page for the rest of the walk", r.stderr)
            # The size that worked is kept: each oversize page is tried once
            # per walk, not once per page.
            self.assertEqual(r.stderr.count("was_finding: page of 100 records not served"), 1)
            self.assertEqual(r.stderr.count("hostasset: page of 200 records not served"), 1)
            m = parse_exposition(r.stdout)
            codes = {(d["endpoint"], d["code"]): v for d, v in series(m, "qualys_exporter_api_requests_total")}
            self.assertEqual(codes.get(("was_finding", "504")), 2.0)  # 100, then 50
            self.assertEqual(codes.get(("hostasset", "504")), 2.0)  # 200, then 100

    def test_floor_of_the_page_size_fails_the_source_clearly(self):
        sim = (*SIM_ARGS, "--was_gateway_max_records=5")
        with simulator(*sim) as (base, _), tempfile.TemporaryDirectory() as state:
            r = run_once(base, state, extra=(*PAGE, "--api.min-page-size=10", "--api.max-attempts=2"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("reduced from 40 to 10 records after gateway timeouts", r.stderr)
            m = parse_exposition(r.stdout)
            self.assertEqual(value(m, "qualys_exporter_source_up", source="was_finding"), 0.0)
            self.assertEqual(value(m, "qualys_exporter_source_up", source="hostasset"), 1.0)

    def processing_lag_run(self, overlap):
        # updatedDate refused as a criterion, scans processed 3 h after they
        # ran: only lastTestedDate is left, and it must look back the lag.
        sim = (*SIM_ARGS, "--processing_lag_sec=10800", "--refuse_criteria=updatedDate",
               "--was_rescan_percent=100")
        with simulator(*sim) as (base, _), tempfile.TemporaryDirectory() as state:
            extra = (*PAGE, f"--sync.processing-lag={overlap}")
            r = run_once(base, state, extra=extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            results = []
            for _ in range(2):
                sim_advance(base)
                r = run_once(base, state, extra=extra)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("was_finding: incremental sync", r.stderr)
                self.assertIn("refused the search field updatedDate", r.stderr)
                m = parse_exposition(r.stdout)
                self.assertEqual(
                    value(m, "qualys_exporter_sync_criterion_refused", source="was_finding",
                          field="updatedDate"), 1.0)
                exp = sim_expected(base)
                results.append({name: (nonzero(m, name, keys), expected_rows(exp[key], keys))
                                for name, key, keys in WAS_FAMILIES})
            return results

    def test_refused_updated_date_and_processing_lag_stay_exact(self):
        for polled in self.processing_lag_run("12h"):
            for name, (got, want) in polled.items():
                self.assertEqual(got, want, name)

    def test_a_five_minute_overlap_would_miss_lagged_findings(self):
        # The negative control of the test above: the same run with the old
        # 5-minute overlap misses the re-detections the lag hides.
        polled = self.processing_lag_run("5m")
        self.assertTrue(any(got != want for p in polled for got, want in p.values()),
                        "a 5 min overlap should miss findings processed 3 h after their scan")

    def test_refused_host_field_over_http_400_falls_back_to_the_other(self):
        sim = (*SIM_ARGS, "--refuse_criteria=vulnsUpdated", "--refuse_status=400",
               "--host_change_percent=10")
        with simulator(*sim) as (base, _), tempfile.TemporaryDirectory() as state:
            r = run_once(base, state, extra=PAGE)
            self.assertEqual(r.returncode, 0, r.stderr)
            for _ in range(2):
                sim_advance(base)
                r = run_once(base, state, extra=PAGE)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("hostasset: incremental sync", r.stderr)
                self.assertEqual(r.stderr.count("refused the search field vulnsUpdated"), 1)
                self.assert_all_match(r.stdout, base)

    def test_every_field_refused_walks_everything_and_stays_up(self):
        sim = (*SIM_ARGS, "--refuse_criteria=updated,vulnsUpdated,updatedDate,lastTestedDate")
        with simulator(*sim) as (base, _), tempfile.TemporaryDirectory() as state:
            r = run_once(base, state, extra=PAGE)
            self.assertEqual(r.returncode, 0, r.stderr)
            sim_advance(base)
            before = sim_stats(base).get(HOST_SEARCH, 0)
            r = run_once(base, state, extra=PAGE)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("every poll now walks every record", r.stderr)
            self.assertIn("hostasset: full sync", r.stderr)
            self.assertEqual(sim_stats(base).get(HOST_SEARCH, 0) - before, 2 + 6)  # 2 refused + ceil(300/50)
            self.assert_all_match(r.stdout, base)


if __name__ == "__main__":
    unittest.main(verbosity=2)
