#!/usr/bin/env python3
"""End to end with real processes: qualys-sim -> qualys-exporter -> Prometheus
(loading the shipped rules file unchanged).

1. Every query of every dashboard (dashboards/*.json, variables set to All)
   runs without error on the real data, and returns data unless the panel is
   in MAY_BE_EMPTY; every dashboard variable query returns values.
2. Every shipped rule evaluates without error; with the exporter healthy no
   exporter alert is pending or firing, and the baseline of recurring findings
   raises no QualysNewRecurringFinding.
3. The simulator evolves (POST /sim/advance) until findings of severity >= 3
   turn recurring; QualysNewRecurringFinding then becomes pending or firing
   for each of them and for no other finding (not for those recurring before
   Prometheus started), labelled finding_id, qid, webapp_id, qualys_severity
   and severity. The rule is used as shipped (for: 1m): pending is enough.

Prometheus scrapes the exporter the way a hardened deployment would: over
TLS (certificates made for the run with openssl, tests/fixtures/web/make_pki.sh)
with Basic auth (a bcrypt hash from libxcrypt), asking for gzip as it always
does.

Loopback only, free ports, temporary directories; every process is stopped
in the end, pass or fail, and its log printed on failure. Needs the built
qualys-exporter and qualys-sim in $QX_BIN, and prometheus (Debian package).
"""
import base64
import contextlib
import ctypes
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "dashboards"))
from qxtest import Proc, free_port  # noqa: E402
import dashlint  # noqa: E402
import promql  # noqa: E402

SRC = os.environ.get("QX_SRC", os.path.abspath(os.path.join(HERE, "..", "..")))
BIN = os.environ.get("QX_BIN", os.path.join(SRC, "build", "bin"))
RULES = os.path.join(SRC, "deploy", "prometheus", "rules", "qualys-exporter.rules.yml")
DASHBOARDS = os.path.join(SRC, "dashboards")
JOB = "qualys-exporter"
ALERT = "QualysNewRecurringFinding"

# Panels whose queries may legitimately return nothing: (dashboard uid, panel title) -> why.
MAY_BE_EMPTY = {
    ("qualys-exporter-health", "API calls left"): "absent until the API sends X-RateLimit-Remaining",
    ("qualys-exporter-health", "Rate-limit headroom"): "absent until the API sends X-RateLimit-* headers",
    ("qualys-exporter-health", "API non-2xx ratio"): "empty while every API request answers 2xx",
}
# Grafana's variables for the queries run here (the job/instance/... template
# variables become '.*', i.e. All).
SUBSTITUTIONS = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h", "__range_s": "3600",
                 "__range_ms": "3600000", "__interval_ms": "15000"}
TOTAL_BUDGET = 110  # seconds; the suite must stay under 2 minutes
SCRAPE_USER, SCRAPE_PASSWORD = "prometheus", "e2e-scrape-password"


def bcrypt(password, cost=5):
    """A $2b$ hash of password, made with libxcrypt like htpasswd -B."""
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return lib.crypt(password.encode(), lib.crypt_gensalt(b"$2b$", cost, None, 0)).decode()


class Prom:
    def __init__(self, base):
        self.base = base

    def get(self, path, **params):
        url = f"{self.base}{path}?{urllib.parse.urlencode(params, doseq=True)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            body = json.loads(e.read().decode() or "{}")
        if body.get("status") != "success":
            raise QueryError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body

    def query(self, expr):
        return self.get("/api/v1/query", query=expr)["data"]["result"]

    def value(self, expr):
        r = self.query(expr)
        return float(r[0]["value"][1]) if r else None


class QueryError(Exception):
    pass


def wait(pred, timeout, what, procs=()):
    """Polls pred() until truthy; fails early if a process died."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        for p in procs:
            if p.p.poll() is not None:
                raise AssertionError(f"{p.name} exited with status {p.p.returncode} while waiting for {what}")
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last})")


def read(path):
    with open(path) as f:
        return f.read()


def http_get(url, data=None, context=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, timeout=10, context=context) as r:
        return r.read().decode()


class PrometheusEndToEnd(unittest.TestCase):
    def setUp(self):
        self.t0 = time.time()

    def preflight(self):
        for name in ("qualys-exporter", "qualys-sim"):
            path = os.path.join(BIN, name)
            self.assertTrue(os.access(path, os.X_OK), f"{path} not built (QX_BIN={BIN})")
        r = subprocess.run([os.path.join(BIN, "qualys-exporter"), "--help"], capture_output=True, text=True,
                           timeout=30)
        helptext = r.stdout + r.stderr
        for flag in ("qualys.url", "web.listen-address", "poll.interval", "state.dir"):
            self.assertIn(flag, helptext,
                          f"qualys-exporter --help lacks --{flag}: the binary is still a placeholder?\n{helptext[:2000]}")
        self.assertNotIn("placeholder", helptext.lower(), "qualys-exporter is still a placeholder")
        self.assertTrue(shutil.which("prometheus"), "prometheus not found (Debian package prometheus)")
        self.assertTrue(os.path.isfile(RULES), RULES)

    def test_dashboards_and_alerts_against_live_prometheus(self):
        self.preflight()
        with contextlib.ExitStack() as stack:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="qx-e2e-"))
            sim, sim_base = self.start_sim(stack, tmp)
            exporter, exp_addr = self.start_exporter(stack, tmp, sim_base, [sim])
            prom_proc, prom = self.start_prometheus(stack, tmp, exp_addr)
            procs = [sim, exporter, prom_proc]

            wait(lambda: prom.value(f'qualys_up{{job="{JOB}"}}') == 1, 30, "Prometheus to scrape qualys_up 1", procs)
            # a few samples, so that rate() and increase() have something to work on
            wait(lambda: (prom.value(f'count_over_time(qualys_up{{job="{JOB}"}}[1m])') or 0) >= 4, 20,
                 "four scrapes", procs)

            self.check_rules_healthy(prom, procs)
            self.check_no_alerts_on_healthy_baseline(prom)
            self.check_timestamps_are_seconds(prom)
            self.check_dashboards(prom)
            self.check_new_recurring_finding_alert(prom, sim_base, procs)
            self.assertLess(time.time() - self.t0, TOTAL_BUDGET, "the e2e test took too long")

    # ------------------------------------------------------------ processes
    def start_sim(self, stack, tmp):
        port_file = os.path.join(tmp, "sim.port")
        sim = stack.enter_context(Proc([os.path.join(BIN, "qualys-sim"), "--port", "0", "--port_file", port_file],
                                       env={"QUALYS_SIM_PASSWORD": "demo"}, name="qualys-sim"))
        port = wait(lambda: read(port_file).strip(), 15, "qualys-sim port file", [sim])
        wait(lambda: "listening on" in sim.output(), 5, "qualys-sim to print its address", [sim])
        return sim, f"http://127.0.0.1:{port}"

    def start_exporter(self, stack, tmp, sim_base, procs):
        addr = f"127.0.0.1:{free_port()}"
        state = os.path.join(tmp, "state")
        os.makedirs(state)
        self.pki = os.path.join(tmp, "pki")
        os.makedirs(self.pki)
        subprocess.run(["bash", os.path.join(SRC, "tests", "fixtures", "web", "make_pki.sh"), self.pki], check=True)
        web_config = os.path.join(self.pki, "web.yml")
        with open(web_config, "w") as f:
            f.write(f"tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
                    f"basic_auth_users:\n  {SCRAPE_USER}: '{bcrypt(SCRAPE_PASSWORD)}'\n")
        exporter = stack.enter_context(Proc(
            [os.path.join(BIN, "qualys-exporter"), "--qualys.url", sim_base, "--web.listen-address", addr,
             "--web.config.file", web_config, "--poll.interval", "2s", "--state.dir", state],
            env={"QUALYS_USERNAME": "demo", "QUALYS_PASSWORD": "demo"}, name="qualys-exporter"))
        ctx = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.pem"))
        auth = {"Authorization": "Basic " + base64.b64encode(
            f"{SCRAPE_USER}:{SCRAPE_PASSWORD}".encode()).decode()}
        wait(lambda: "\nqualys_up 1" in "\n" + http_get(f"https://{addr}/metrics", context=ctx, headers=auth), 45,
             "the exporter's first successful poll (qualys_up 1 on /metrics)", procs + [exporter])
        # Without the password: 401, so Prometheus really authenticates.
        with self.assertRaises(urllib.error.HTTPError) as cm:
            http_get(f"https://{addr}/metrics", context=ctx)
        self.assertEqual(cm.exception.code, 401)
        return exporter, addr

    def start_prometheus(self, stack, tmp, exp_addr):
        port = free_port()
        config = os.path.join(tmp, "prometheus.yml")
        password_file = os.path.join(tmp, "scrape-password")
        with open(password_file, "w") as f:
            f.write(SCRAPE_PASSWORD)
        with open(config, "w") as f:
            json.dump({  # JSON is YAML
                "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
                "rule_files": [RULES],  # the shipped rules, unchanged
                "scrape_configs": [{
                    "job_name": JOB, "scheme": "https",
                    "tls_config": {"ca_file": os.path.join(self.pki, "ca.pem")},
                    "basic_auth": {"username": SCRAPE_USER, "password_file": password_file},
                    "static_configs": [{"targets": [exp_addr]}]}],
            }, f)
        r = subprocess.run(["promtool", "check", "config", config], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        proc = stack.enter_context(Proc(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={os.path.join(tmp, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=info"], name="prometheus"))
        base = f"http://127.0.0.1:{port}"
        wait(lambda: http_get(f"{base}/-/ready"), 30, "Prometheus ready", [proc])
        return proc, Prom(base)

    # ------------------------------------------------------------ checks
    def check_rules_healthy(self, prom, procs):
        def evaluated():
            groups = prom.get("/api/v1/rules")["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            return rules if rules and all(r.get("lastEvaluation", "").startswith("2") and
                                          not r["lastEvaluation"].startswith("0001") for r in rules) else None
        rules = wait(evaluated, 15, "every rule evaluated once", procs)
        names = {r["name"] for r in rules}
        for alert in ("QualysNewRecurringFinding", "QualysExporterDown", "QualysSourcePollFailing",
                      "QualysDataStale", "QualysApiRateLimitLow"):
            self.assertIn(alert, names, "the shipped rules file was not loaded as expected")
        bad = {r["name"]: r.get("lastError") for r in rules if r.get("health") != "ok"}
        self.assertEqual(bad, {}, "rules failing to evaluate on real data")

    def check_no_alerts_on_healthy_baseline(self, prom):
        # The simulator's estate has unscheduled web apps and unscanned
        # subnets on purpose (coverage gaps are data, not exporter faults);
        # those two alerts are proven by their promtool tests. Every other
        # alert must stay quiet.
        coverage = {"QualysWebAppNotScheduled", "QualysSubnetUnscanned"}
        alerts = [a["metric"] for a in prom.query("ALERTS")
                  if a["metric"].get("alertname") not in coverage]
        self.assertEqual(alerts, [],
                         "alerts pending/firing with a healthy exporter and only baseline findings")
        self.assertEqual(prom.value(f'sum(qualys_was_findings_became_recurring_total{{job="{JOB}"}})'), 0.0,
                         "the first poll with empty state must only set the baseline")

    def check_timestamps_are_seconds(self, prom):
        for r in prom.query(f'time() - qualys_exporter_last_poll_success_timestamp_seconds{{job="{JOB}"}}'):
            age = float(r["value"][1])
            self.assertTrue(-5 < age < 60, f"last poll success is {age}s old: not unix seconds? {r['metric']}")
        scans = prom.query(f'qualys_was_webapp_last_scan_timestamp_seconds{{job="{JOB}"}}')
        self.assertTrue(scans, "no qualys_was_webapp_last_scan_timestamp_seconds")
        for r in scans:
            ts = float(r["value"][1])
            self.assertTrue(946684800 < ts < time.time() + 86400 * 365 * 5,
                            f"last scan timestamp {ts} is not unix seconds: {r['metric']}")

    def check_dashboards(self, prom):
        problems, ran = [], 0
        files = sorted(f for f in os.listdir(DASHBOARDS) if f.endswith(".json"))
        self.assertGreaterEqual(len(files), 4)
        for name in files:
            with open(os.path.join(DASHBOARDS, name), encoding="utf-8") as f:
                d = json.load(f)
            values = dashlint.substitutions(d, SUBSTITUTIONS)
            for p, t in dashlint.panel_exprs(d):
                where = f"{name}: panel '{p.get('title')}' target {t.get('refId')}"
                expr = promql.substitute(t["expr"], values)
                ran += 1
                try:
                    result = prom.query(expr)
                except QueryError as e:
                    problems.append(f"{where}: query failed: {e}\n    {expr}")
                    continue
                if not result and (d["uid"], p.get("title")) not in MAY_BE_EMPTY:
                    problems.append(f"{where}: no data\n    {expr}")
            for v in d.get("templating", {}).get("list", []):
                if v.get("type") != "query":
                    continue
                q = dashlint.variable_query(v)
                inner = dashlint.variable_promql(q)
                where = f"{name}: variable '{v['name']}'"
                try:
                    if q.strip().startswith("label_values("):
                        label = q.rstrip().rstrip(")").rsplit(",", 1)[1].strip()
                        vals = prom.get(f"/api/v1/label/{label}/values",
                                        **{"match[]": promql.substitute(inner, values)})["data"]
                    else:
                        vals = prom.query(promql.substitute(inner, values))
                except QueryError as e:
                    problems.append(f"{where}: query failed: {e}")
                    continue
                if not vals:
                    problems.append(f"{where}: no values for {q!r}")
                if v["name"] == "job" and JOB not in vals:
                    problems.append(f"{where}: {JOB!r} not among {vals}")
        self.assertGreater(ran, 40)
        self.assertFalse(problems, "dashboard queries against live data:\n  " + "\n  ".join(problems))

    def check_new_recurring_finding_alert(self, prom, sim_base, procs):
        def info_ids():
            return {r["metric"]["finding_id"]: r["metric"]
                    for r in prom.query(f'qualys_was_recurring_finding_info{{job="{JOB}"}}')}

        def counter():
            return {r["metric"]["severity"]: float(r["value"][1])
                    for r in prom.query(f'qualys_was_findings_became_recurring_total{{job="{JOB}"}}')}

        before = info_ids()
        self.assertTrue(before, "no qualys_was_recurring_finding_info series at all")
        sim_before = self.sim_recurring(sim_base)
        new, sim_new = {}, set()
        for attempt in range(1, 6):
            start = counter()
            epoch = json.loads(http_get(f"{sim_base}/sim/advance", data=b""))["epoch"]
            sim_now = self.sim_recurring(sim_base)
            if sim_before is not None and sim_now is not None:
                sim_new |= sim_now - sim_before
            try:
                wait(lambda: any(counter().get(s, 0) > start.get(s, 0) for s in "12345"), 20,
                     f"qualys_was_findings_became_recurring_total to grow after /sim/advance (epoch {epoch})", procs)
            except AssertionError as e:
                hint = ""
                if sim_new:
                    hint = (f"\nThe simulator reports {len(sim_new)} findings newly recurring "
                            f"(e.g. {sorted(sim_new)[:5]}), but the exporter counted none: its polls after "
                            f"/sim/advance did not see the changed findings (incremental sync criteria?).\n"
                            f"Exporter log tail:\n{exporter_tail(procs)}")
                raise AssertionError(f"{e}{hint}") from None
            new = {fid: m for fid, m in info_ids().items() if fid not in before}
            if new:
                break
        self.assertTrue(new, "five /sim/advance calls turned no finding of severity >= 3 recurring")
        if sim_new:
            self.assertTrue(set(new) <= {str(i) for i in sim_new},
                            f"exporter reports findings as newly recurring the simulator does not: "
                            f"{sorted(set(new) - {str(i) for i in sim_new})}")

        def alerts():
            got = prom.query(f'ALERTS{{alertname="{ALERT}"}}')
            ids = {a["metric"].get("finding_id") for a in got}
            return got if set(new) <= ids else None
        got = wait(alerts, 30, f"{ALERT} pending or firing for findings {sorted(new)}", procs)
        # Findings recurring before Prometheus started are not reported, although
        # Prometheus has no data from an hour ago.
        extra = {a["metric"]["finding_id"] for a in got} - set(new)
        self.assertFalse(extra, f"{ALERT} also reports findings that were recurring all along: {sorted(extra)}")
        for a in got:
            m = a["metric"]
            for key in ("finding_id", "qid", "webapp_id", "qualys_severity", "severity", "instance", "job"):
                self.assertTrue(m.get(key), f"{ALERT} lacks label {key}: {m}")
            self.assertIn(m["alertstate"], ("pending", "firing"))
            self.assertIn(m["qualys_severity"], ("3", "4", "5"), m)
            self.assertEqual(m["severity"], "critical" if m["qualys_severity"] == "5" else "warning", m)
        for fid, labels in new.items():
            a = next(a["metric"] for a in got if a["metric"]["finding_id"] == fid)
            for key in ("qid", "webapp_id"):
                self.assertEqual(a[key], labels[key], f"finding {fid}: {key}")
            self.assertEqual(a["qualys_severity"], labels["severity"], f"finding {fid}: severity")

    def sim_recurring(self, sim_base):
        """The simulator's own set of recurring finding ids, when it reports one."""
        try:
            exp = json.loads(http_get(f"{sim_base}/sim/expected?min_scans=2"))
            return {int(i) for i in exp["was_recurring_finding_ids"]}
        except Exception:  # noqa: BLE001 - ground truth is optional here
            return None


def exporter_tail(procs, lines=30):
    for p in procs:
        if p.name == "qualys-exporter":
            return "\n".join(p.output().splitlines()[-lines:])
    return ""


if __name__ == "__main__":
    unittest.main(verbosity=2)
