"""qualys-exporter --check against qualys-sim: every check passes on a
healthy platform, and each simulated fault is named by the check it breaks,
with the exit code telling whether the exporter can run."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from qxtest import BIN, sim_fail, simulator  # noqa: E402

SIM_ARGS = ("--seed=3", "--host_assets=120", "--webapps=3", "--findings_per_webapp=20")
PASSWORD = "Ch3ck-Secret-pw"


def check(base, *extra, password=PASSWORD):
    with tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, QUALYS_USERNAME="simuser", QUALYS_PASSWORD=password)
        r = subprocess.run([os.path.join(BIN, "qualys-exporter"), "--check", f"--qualys.url={base}",
                            f"--state.dir={state}", "--api.max-attempts=2", *extra],
                           capture_output=True, text=True, env=env, timeout=120)
    lines = {}
    for line in r.stdout.splitlines()[1:-1]:  # columns: verdict, check, seen
        lines[line[6:52].strip()] = (line[:5].strip(), line[53:].strip())
    return r, lines


class Check(unittest.TestCase):
    def assert_no_secret(self, r, secret=PASSWORD):
        self.assertNotIn(secret, r.stdout + r.stderr)

    def test_healthy_platform_passes_every_check(self):
        with simulator(*SIM_ARGS, password=PASSWORD) as (base, _):
            r, lines = check(base, "--hostasset.page-size=50", "--was.page-size=20")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertTrue(r.stdout.rstrip().endswith("ok: the exporter can run"))
            for name in ("authentication", "hostasset: one page", "was_finding: one page",
                         "hostasset: criterion updated GREATER",
                         "hostasset: criterion vulnsUpdated GREATER",
                         "was_finding: criterion updatedDate GREATER",
                         "was_finding: criterion lastTestedDate GREATER",
                         "was_finding: criterion id GREATER", "knowledge_base: lookup",
                         "detection: one page", "detection: filter vm_processed_after",
                         "webapp: search", "was_scan_schedule: search",
                         "rate limits: qps", "rate limits: api_v2"):
                self.assertEqual(lines[name][0], "ok", (name, lines.get(name)))
            self.assertIn("120 host assets in scope", lines["authentication"][1])
            self.assertIn("50 records of 50 asked", lines["hostasset: one page"][1])
            self.assertIn("20 records of 20 asked", lines["was_finding: one page"][1])
            self.assertIn("no rate-limit headers", lines["rate limits: qps"][1])
            self.assertIn("calls left per 3600 s", lines["rate limits: api_v2"][1])
            self.assert_no_secret(r)

    def test_wrong_password_fails_authentication_and_stops(self):
        with simulator(*SIM_ARGS, password=PASSWORD) as (base, _):
            r, lines = check(base, password="not-the-Pa55word")
            self.assertEqual(r.returncode, 1)
            self.assertEqual(list(lines), ["authentication"])
            self.assertEqual(lines["authentication"][0], "FAIL")
            self.assertIn("QUALYS_USERNAME", lines["authentication"][1])
            self.assert_no_secret(r, "not-the-Pa55word")

    def test_refused_criterion_is_a_warning_with_the_fallback(self):
        with simulator(*SIM_ARGS, "--refuse_criteria=updatedDate", password=PASSWORD) as (base, _):
            r, lines = check(base)
            self.assertEqual(r.returncode, 0, r.stdout)
            verdict, seen = lines["was_finding: criterion updatedDate GREATER"]
            self.assertEqual(verdict, "warn")
            self.assertIn("refused", seen)
            self.assertIn("--sync.processing-lag", seen)
            self.assertEqual(lines["was_finding: criterion lastTestedDate GREATER"][0], "ok")

    def test_refused_pagination_criterion_fails(self):
        with simulator(*SIM_ARGS, "--refuse_criteria=id", "--refuse_status=400",
                       password=PASSWORD) as (base, _):
            r, lines = check(base)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(lines["hostasset: criterion id GREATER"][0], "FAIL")
            self.assertEqual(lines["was_finding: criterion id GREATER"][0], "FAIL")

    def test_gateway_timeout_on_large_pages_is_named(self):
        with simulator(*SIM_ARGS, "--was_gateway_max_records=10", password=PASSWORD) as (base, _):
            r, lines = check(base, "--was.page-size=50")
            self.assertEqual(r.returncode, 0, r.stdout)
            verdict, seen = lines["was_finding: one page"]
            self.assertEqual(verdict, "warn")
            self.assertIn("504", seen)
            self.assertIn("halves", seen)

    def test_missing_vm_permission_fails_the_detection_check(self):
        with simulator(*SIM_ARGS, password=PASSWORD) as (base, _):
            sim_fail(base, path="host/vm/detection", status=403, times=0)
            r, lines = check(base)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(lines["detection: one page"][0], "FAIL")
            self.assertIn("VM", lines["detection: one page"][1])
            self.assertEqual(lines["was_finding: one page"][0], "ok")

    def test_missing_knowledge_base_permission_fails_that_check(self):
        with simulator(*SIM_ARGS, password=PASSWORD) as (base, _):
            sim_fail(base, path="knowledge_base", status=403, times=0)
            r, lines = check(base)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(lines["knowledge_base: lookup"][0], "FAIL")
            self.assertEqual(lines["hostasset: one page"][0], "ok")

    def test_unreachable_platform_fails_authentication(self):
        r, lines = check("http://127.0.0.1:9", "--qualys.connect-timeout=2s")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(lines["authentication"][0], "FAIL")
        self.assertIn("--qualys.url", lines["authentication"][1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
