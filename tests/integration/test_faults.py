"""Fault injection: the real exporter in server mode against qualys-sim's
/sim/fail (see exporter/sim/include/qx/sim/simulator.h).

For each fault kind -- latency (within and beyond --qualys.timeout), 5xx
bursts within and beyond the retry budget, connection resets, truncated
bodies, credentials rejected after a success (password rotation), 409 storms
with a short X-RateLimit-ToWait-Sec, a non-SUCCESS responseCode -- the
exporter must stay up, keep the last good Qualys numbers published byte for
byte while a source is down, report the source in qualys_exporter_source_up,
retry at most --api.max-attempts times per page (never on 401), and recover
once the fault clears. Finally it is killed with SIGKILL in the middle of a
fault and must restart from its --state.dir without any corruption.

The retry backoff starts at 1 s and doubles (RetryPolicy), so a page that
fails every attempt costs about 1.5-3 s with --api.max-attempts=3."""
import contextlib
import os
import re
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from qxtest import (exporter_server, free_port, parse_exposition, scrape, series,  # noqa: E402
                    sim_advance, sim_expected, sim_fail, sim_faults, sim_stats, simulator,
                    value, wait_for)

USER = "faultuser"
PASSWORD = "R0tate-Me-Pa55-q7x"  # must never show up in a log
MAX_ATTEMPTS = 3
SIM_ARGS = ("--seed=11", "--host_assets=150", "--webapps=3", "--findings_per_webapp=15",
            "--empty_page_every=3")
EXPORTER_ARGS = ("--poll.interval=1s", "--poll.full-resync-interval=2s",
                 f"--api.max-attempts={MAX_ATTEMPTS}", "--hostasset.page-size=50",
                 "--was.page-size=20", "--qualys.timeout=3s",
                 # Pages at the floor: these scenarios are about the retry
                 # budget; halving a page a gateway cannot serve is
                 # test_real_api's.
                 "--api.min-page-size=50")
READ_TIMEOUT = 3

HOST_SEARCH = "/qps/rest/2.0/search/am/hostasset"
HOST_COUNT = "/qps/rest/2.0/count/am/hostasset"
WAS_SEARCH = "/qps/rest/3.0/search/was/finding"
DETECTION = "/api/2.0/fo/asset/host/vm/detection/"
SOURCES = ("hostasset", "detection", "knowledge_base", "was_finding", "was_scan_schedule")
# What a failing host-asset poll freezes. The vulnerability counts come from
# the detection API, which keeps being polled (joined to the last good host
# assets), so they may move meanwhile.
HOST_FAMILIES = {"qualys_host_assets", "qualys_azure_host_assets"}
CRASH_MARKERS = ("Check failed", "terminate called", "Segmentation fault", "AddressSanitizer",
                 "core dumped", "*** Aborted")


def family_of(line):
    if line.startswith("#"):
        parts = line.split(" ")
        return parts[2] if len(parts) > 2 else ""
    m = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
    return m.group(0) if m else ""


def qualys_text(text, families=None):
    """The exposition lines (HELP/TYPE included) of the Qualys-data families,
    in the order served: what must not move while a source is down."""
    out = []
    for line in text.splitlines():
        name = family_of(line)
        # The last-scan ages grow with the clock between polls by design.
        if (not name.startswith("qualys_") or name.startswith("qualys_exporter_")
                or name == "qualys_up" or name.startswith("qualys_host_last_vuln_scan_age")):
            continue
        if families is not None and name not in families:
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def nonzero(metrics, name, keys):
    out = {}
    for labels, v in metrics.get(name, {}).items():
        if v:
            d = dict(labels)
            out[tuple(d.get(k, "") for k in keys)] = v
    return out


def expected_rows(rows, keys):
    return {tuple(str(r[k]) for k in keys): float(r["value"]) for r in rows if r["value"]}


def per_path(counts, path):
    """Count for one path, or the sum over a tuple of paths."""
    paths = path if isinstance(path, tuple) else (path,)
    return sum(counts.get(p, 0) for p in paths)


class Scenario:
    """One simulator and one exporter, with the probes the checks need."""

    def __init__(self, test, stack, sim_base, state_dir):
        self.t = test
        self.stack = stack
        self.base = sim_base
        self.state = state_dir
        self.exp = None
        self.port = None
        self.logs = []  # every exporter log, also the killed ones
        self.max_duration = {}

    def start_exporter(self):
        self.port = free_port()
        self.exp = self.stack.enter_context(exporter_server(
            self.base, self.state, self.port, EXPORTER_ARGS, username=USER, password=PASSWORD))
        self.logs.append(self.exp)
        wait_for(lambda: self.exp.p.poll() is None and scrape(self.port), 15,
                 "the exporter to serve /metrics")
        return self.exp

    def log(self):
        return self.exp.output()

    def all_logs(self):
        return "\n".join(p.output() for p in self.logs)

    def tail(self, n=40):
        return "\n".join(self.log().splitlines()[-n:])

    def alive(self):
        self.t.assertIsNone(self.exp.p.poll(),
                            f"exporter died (rc {self.exp.p.returncode}):\n{self.tail()}")

    def sample(self):
        self.alive()
        text = scrape(self.port)
        m = parse_exposition(text)
        for d, v in series(m, "qualys_exporter_poll_duration_seconds"):
            s = d["source"]
            self.max_duration[s] = max(self.max_duration.get(s, 0.0), v)
        return text, m

    def watch(self, until, timeout, what, same=None, host_same=None, stay_up=()):
        """Scrapes every 0.1 s until until(metrics, text) holds; on every
        sample the exporter is alive, the Qualys families equal `same` (and
        the host families `host_same`) byte for byte, and the sources in
        stay_up are up."""
        deadline = time.time() + timeout
        while True:
            text, m = self.sample()
            if same is not None:
                self.t.assertEqual(qualys_text(text), same, f"Qualys numbers moved ({what})")
            if host_same is not None:
                self.t.assertEqual(qualys_text(text, HOST_FAMILIES), host_same,
                                   f"host numbers moved ({what})")
            for s in stay_up:
                self.t.assertEqual(value(m, "qualys_exporter_source_up", source=s), 1.0,
                                   f"{s} went down ({what}):\n{self.tail()}")
            if until(m, text):
                return text, m
            if time.time() > deadline:
                self.t.fail(f"timed out after {timeout} s waiting for {what}:\n{self.tail()}")
            time.sleep(0.1)

    def failures(self, source):
        return self.log().count(f"poll of {source} failed")

    def applied(self, path):
        return per_path(sim_faults(self.base)["applied"], path)

    @staticmethod
    def up(m, source=None):
        if source is None:
            return value(m, "qualys_up")
        return value(m, "qualys_exporter_source_up", source=source)

    @staticmethod
    def requests(m, endpoint, code):
        return value(m, "qualys_exporter_api_requests_total", 0.0, endpoint=endpoint, code=code)

    def all_up(self, m, _text=None):
        return self.up(m) == 1.0 and all(self.up(m, s) == 1.0 for s in SOURCES)

    def succeeded_since(self, source, t):
        return lambda m, _: (value(m, "qualys_exporter_last_poll_success_timestamp_seconds", 0.0,
                                   source=source) > t)

    def polled_since(self, source, t):
        """A poll of source that began after t has succeeded (its data is
        newer than t; one that merely ended after t may predate t)."""
        def began_after(m, _):
            end = value(m, "qualys_exporter_last_poll_success_timestamp_seconds", 0.0,
                        source=source)
            return end - value(m, "qualys_exporter_poll_duration_seconds", 0.0, source=source) > t
        return began_after

    def wait_failures(self, source, n, timeout, same=None, host_same=None):
        """Waits for the n-th failed poll of source (counted in the log)."""
        return self.watch(lambda m, _: self.failures(source) >= n, timeout,
                          f"failed poll #{n} of {source}", same=same, host_same=host_same)

    def inject(self, source, path, fault_path=None, **fault):
        """Installs a fault that answers every request to fault_path (default:
        path) until cleared, after noting how often source failed and path was
        faulted so far."""
        before = (self.failures(source), self.applied(path))
        sim_fail(self.base, path=fault_path or path, times=0, **fault)
        return before

    def check_bounded(self, before, source, path, per_poll, same=None, host_same=None,
                      polls=1, exact=True):
        """Retries are bounded: the first poll of source that fails after
        inject() got exactly (exact=False: at most) per_poll faulted answers on
        path, as did each later one (polls > 1), per /sim/faults and per the
        raw /sim/stats request counts. Every answer after inject() is faulted,
        so a page whose attempts all failed was asked for only after it. When
        the failure is logged the exporter is between two polls of source."""
        f0, a0 = before
        check = self.t.assertEqual if exact else self.t.assertLessEqual
        self.wait_failures(source, f0 + 1, 15, same, host_same)
        a, s = self.applied(path), per_path(sim_stats(self.base), path)
        check(a - a0, per_poll, f"faulted answers in the first failed {source} poll")
        self.t.assertGreaterEqual(a - a0, 1)
        for k in range(2, polls + 1):
            self.wait_failures(source, f0 + k, 15, same, host_same)
            a2, s2 = self.applied(path), per_path(sim_stats(self.base), path)
            check(a2 - a, per_poll, f"faulted answers per failed {source} poll")
            check(s2 - s, per_poll, f"requests per failed {source} poll")
            self.t.assertGreaterEqual(a2 - a, 1)
            a, s = a2, s2


class FaultInjection(unittest.TestCase):
    def setUp(self):
        self.t0 = time.time()
        self.marks = []

    def mark(self, phase):
        self.marks.append((phase, time.time()))

    def tearDown(self):
        prev = self.t0
        for phase, t in self.marks:
            sys.stderr.write(f"  {phase:<34} {t - prev:5.1f} s\n")
            prev = t
        sys.stderr.write(f"  {self.id().rsplit('.', 1)[-1]}: {time.time() - self.t0:.1f} s\n")

    def test_faults_keep_last_good_data_and_recover(self):
        with contextlib.ExitStack() as stack:
            base, sim = stack.enter_context(simulator(*SIM_ARGS, username=USER, password=PASSWORD))
            state = stack.enter_context(tempfile.TemporaryDirectory())
            sc = Scenario(self, stack, base, state)

            # --- a 409 storm (code 1960, ToWait 1 s) on the very first
            # call of the rate-limited API v2 (Host List Detection), within
            # the retry budget: it waits and passes.
            sim_fail(base, path="host/vm/detection", status=409, code=1960, wait=1, times=2)
            sc.start_exporter()
            _, m = sc.watch(sc.all_up, 30, "a first good poll")
            self.assertEqual(sc.requests(m, "host_detection", "409"), 2)
            self.assertEqual(sc.applied(DETECTION), 2)
            self.assertGreaterEqual(sc.max_duration["detection"], 1.9,
                                    "X-RateLimit-ToWait-Sec honoured")
            text, m = sc.sample()
            good = qualys_text(text)
            self.assertEqual(sum(v for _, v in series(m, "qualys_host_assets")), 150)
            self.assertTrue(series(m, "qualys_was_findings"))
            self.mark("startup + API v2 409 storm")

            # --- latency: two answers 1.5 s late; every poll still succeeds.
            f0 = {s: sc.failures(s) for s in SOURCES}
            sc.max_duration.clear()
            sim_fail(base, path="search/am/hostasset", delay_ms=1500, times=2)
            t = time.time()
            sc.watch(lambda m, _: not sim_faults(base)["active"]
                     and sc.succeeded_since("hostasset", t + 1.5)(m, _),
                     20, "the delayed answers and a hostasset poll after them", same=good,
                     stay_up=SOURCES)
            self.assertGreaterEqual(sc.max_duration["hostasset"], 1.4)
            self.assertEqual({s: sc.failures(s) for s in SOURCES}, f0)
            self.mark("latency")

            # --- one answer later than --qualys.timeout: a timeout, retried.
            _, m = sc.sample()
            errors = sc.requests(m, "was_finding", "error")
            mark = len(sc.log())
            sim_fail(base, path="search/was/finding", delay_ms=(READ_TIMEOUT + 1) * 1000, times=1)
            t = time.time()
            _, m = sc.watch(lambda m, _: not sim_faults(base)["active"]
                            and sc.succeeded_since("was_finding", t)(m, _)
                            and sc.requests(m, "was_finding", "error") > errors,
                            20, "the timed-out answer to be retried", same=good, stay_up=SOURCES)
            self.assertEqual(sc.requests(m, "was_finding", "error"), errors + 1)
            self.assertRegex(sc.log()[mark:], r"was_finding: timeout talking to .*; retry 1/2 in")
            self.assertEqual({s: sc.failures(s) for s in SOURCES}, f0)
            self.mark("read timeout within budget")
            # Let the call that timed out finish its retries (its poll began
            # before now) so the next burst meets fresh calls; under TSan a
            # retry can still be pending here.
            t = time.time()
            sc.watch(sc.polled_since("was_finding", t), 30, "a WAS poll that began after the timeout",
                     same=good, stay_up=SOURCES)

            # --- a 503 burst within the retry budget: retried, never down.
            _, m = sc.sample()
            before = sc.requests(m, "was_finding", "503")
            mark = len(sc.log())
            sim_fail(base, path="search/was/finding", status=503, times=MAX_ATTEMPTS - 1)
            t = time.time()
            _, m = sc.watch(lambda m, _: not sim_faults(base)["active"]
                            and sc.succeeded_since("was_finding", t)(m, _)
                            and sc.requests(m, "was_finding", "503") >= before + 2,
                            20, "the 503 burst to pass", same=good, stay_up=SOURCES)
            self.assertEqual(sc.requests(m, "was_finding", "503"), before + MAX_ATTEMPTS - 1)
            self.assertEqual({s: sc.failures(s) for s in SOURCES}, f0)
            new = sc.log()[mark:]
            self.assertRegex(new, r"was_finding: HTTP 503 .*HTML error page.*; retry 1/2 in")
            self.assertRegex(new, r"was_finding: HTTP 503 .*; retry 2/2 in")
            self.mark("5xx burst within budget")

            # --- 503 on every host asset page: beyond the budget. hostasset
            # goes down, the numbers stay; the detections are still joined
            # to the last good host assets.
            _, m = sc.sample()
            b503 = sc.requests(m, "hostasset", "503")
            before = sc.inject("hostasset", HOST_SEARCH, status=503)
            sc.check_bounded(before, "hostasset", HOST_SEARCH, MAX_ATTEMPTS, same=good, polls=2)
            _, m = sc.sample()
            self.assertEqual(sc.up(m, "hostasset"), 0.0)
            self.assertEqual(sc.up(m, "detection"), 1.0)
            self.assertEqual(sc.up(m), 0.0)
            self.assertEqual(sc.up(m, "was_finding"), 1.0)
            self.assertEqual(sc.requests(m, "hostasset", "503") - b503, 2 * MAX_ATTEMPTS)
            self.assertIn("(gave up after 3 attempts)", sc.log())
            self.assertIn("last good data stays published", sc.log())
            sim_fail(base, clear=1)
            sc.watch(sc.all_up, 15, "recovery from the 503s", same=good)
            self.mark("5xx beyond budget")

            # --- connection reset on every WAS page.
            _, m = sc.sample()
            errors = sc.requests(m, "was_finding", "error")
            before = sc.inject("was_finding", WAS_SEARCH, status="reset")
            sc.check_bounded(before, "was_finding", WAS_SEARCH, MAX_ATTEMPTS, same=good)
            _, m = sc.sample()
            self.assertEqual(sc.up(m, "was_finding"), 0.0)
            self.assertEqual(sc.up(m, "hostasset"), 1.0)
            self.assertEqual(sc.requests(m, "was_finding", "error") - errors, MAX_ATTEMPTS)
            self.assertRegex(sc.log(), r"was_finding: network error .*[Rr]eset")
            sim_fail(base, clear=1)
            sc.watch(sc.all_up, 15, "recovery from the resets", same=good)
            self.mark("connection reset")

            # --- truncated bodies (Content-Length larger than what is sent)
            # on every host asset page, and the data moves meanwhile: the host
            # numbers stay, then catch up with the simulator once it clears.
            good_host = qualys_text(scrape(sc.port), HOST_FAMILIES)
            before = sc.inject("hostasset", HOST_SEARCH, status="truncate")
            sc.check_bounded(before, "hostasset", HOST_SEARCH, MAX_ATTEMPTS, host_same=good_host)
            self.assertRegex(sc.log(), r"hostasset: response body cut short after \d+ of \d+ bytes")
            sim_advance(base)
            t = time.time()
            _, m = sc.watch(sc.polled_since("was_finding", t), 10,
                            "a WAS poll of the advanced data", host_same=good_host)
            self.assertEqual(sc.up(m, "hostasset"), 0.0)
            sim_fail(base, clear=1)
            exp = sim_expected(base)

            def host_matches(m, _):
                got = {d["cloud_provider"]: v for d, v in series(m, "qualys_host_assets")}
                keys = ("cloud_provider", "severity", "type")
                return (sc.all_up(m)
                        and got == {k: float(v) for k, v in exp["host_assets"].items()}
                        and nonzero(m, "qualys_host_vulnerabilities", keys)
                        == expected_rows(exp["host_detections"], keys))
            sc.watch(host_matches, 15, "host numbers of the advanced simulator")
            keys = ("webapp_id", "severity", "status", "category")
            _, m = sc.sample()
            self.assertEqual(nonzero(m, "qualys_was_findings", keys),
                             expected_rows(exp["was_findings"], keys))
            text, _ = sc.sample()
            good = qualys_text(text)
            self.mark("truncated body + advance")

            # --- 401 after success: the password was rotated. Both QPS
            # sources go down with a clear message, no retries, no leak: one
            # rejected login per poll (the count before a full sync, or the
            # search; a 401 on the count stops the poll).
            mark = len(sc.log())
            host_calls = (HOST_SEARCH, HOST_COUNT)
            before = sc.inject("hostasset", host_calls, fault_path="qps", status=401)
            sc.check_bounded(before, "hostasset", host_calls, 1, same=good, polls=2)
            _, m = sc.sample()
            self.assertEqual(sc.up(m, "hostasset"), 0.0)
            self.assertEqual(sc.up(m, "was_finding"), 0.0)
            new = sc.log()[mark:]
            self.assertIn("HTTP 401: authentication failed; check QUALYS_USERNAME/QUALYS_PASSWORD",
                          new)
            self.assertNotIn("retry", new, "401 is never retried")
            sim_fail(base, clear=1)
            sc.watch(sc.all_up, 15, "recovery from the 401s", same=good)
            self.mark("401 after success")

            # --- a 409 storm (1965, ToWait 1 s) longer than the retry budget:
            # one poll gives up, the next waits it out; no clear needed.
            _, m = sc.sample()
            before = sc.requests(m, "was_finding", "409")
            f_was = sc.failures("was_finding")
            mark = len(sc.log())
            storm = MAX_ATTEMPTS + 2
            sim_fail(base, path="search/was/finding", status=409, wait=1, times=storm)
            t = time.time()
            sc.watch(lambda m, _: sc.up(m, "was_finding") == 0.0, 15, "was_finding down", same=good)
            _, m = sc.watch(lambda m, _: sc.up(m, "was_finding") == 1.0
                            and sc.succeeded_since("was_finding", t)(m, _),
                            20, "was_finding back after the storm", same=good)
            self.assertEqual(sc.requests(m, "was_finding", "409"), before + storm)
            self.assertEqual(sc.failures("was_finding"), f_was + 1)
            waits = [int(w) for w in re.findall(
                r"was_finding: HTTP 409 .*code 1965.*; retry \d/2 in (\d+) ms", sc.log()[mark:])]
            self.assertEqual(len(waits), storm - 1, sc.log()[mark:])
            for w in waits:
                self.assertTrue(1000 <= w <= 2000, f"waited {w} ms for ToWait 1 s")
            self.mark("409 storm beyond budget")

            # --- a non-SUCCESS responseCode with HTTP 200: an error, the poll
            # of that source fails and is not retried within the poll.
            before = sc.inject("was_finding", WAS_SEARCH, status=200, code="OTHER_ERROR")
            sc.check_bounded(before, "was_finding", WAS_SEARCH, MAX_ATTEMPTS, same=good, polls=2,
                             exact=False)
            _, m = sc.sample()
            self.assertEqual(sc.up(m, "was_finding"), 0.0)
            self.assertRegex(sc.log(), r"poll of was_finding failed .*OTHER_ERROR")
            sim_fail(base, clear=1)
            sc.watch(sc.all_up, 15, "recovery from OTHER_ERROR", same=good)
            self.mark("non-SUCCESS responseCode")

            # --- SIGKILL in the middle of a fault, then a restart on the same
            # --state.dir: no corruption, the same numbers again. The fault
            # cuts every page after the first of a walk, so a full sync stops
            # after its first page and saves its progress (hostasset.partial);
            # the kill lands while the next poll retries the resumed walk.
            sim_fail(base, path="search/am/hostasset", status="truncate", times=0,
                     match='field="id" operator="GREATER"')
            partial = os.path.join(state, "hostasset.partial")
            sc.watch(lambda m, _: os.path.exists(partial), 15,
                     "an interrupted full sync to keep its progress", same=good)
            retries = sc.log().count("retry 1/2")
            sc.watch(lambda m, _: sc.log().count("retry 1/2") > retries, 10,
                     "a retry of the next poll", same=good)
            killed = sc.exp
            os.killpg(killed.p.pid, signal.SIGKILL)
            killed.p.wait(timeout=10)
            self.assertEqual(killed.p.returncode, -signal.SIGKILL)
            sim_fail(base, clear=1)
            sc.start_exporter()
            sc.watch(sc.all_up, 20, "qualys_up 1 after the restart")
            restarted = sc.log()
            self.assertNotRegex(restarted.lower(), r"corrupt")
            self.assertNotIn("starts over with a full sync", restarted)
            self.assertNotIn("starting from a fresh baseline", restarted)
            self.assertIn("hostasset: resuming full sync after id", restarted)
            self.assertFalse(os.path.exists(partial), "the resumed full sync completed")
            text, _ = sc.sample()
            self.assertEqual(sorted(qualys_text(text).splitlines()), sorted(good.splitlines()),
                             "the restarted exporter serves the same numbers")
            self.mark("SIGKILL + restart")

            # --- nothing crashed, the password never reached a log.
            self.assertIsNone(sim.p.poll(), "the simulator died")
            logs = sc.all_logs() + sim.output()
            self.assertNotIn(PASSWORD, logs)
            for marker in CRASH_MARKERS:
                self.assertNotIn(marker, logs)
            for name in os.listdir(state):
                with open(os.path.join(state, name), "rb") as f:
                    self.assertNotIn(PASSWORD.encode(), f.read(), name)

    def test_truncated_chunked_body_is_retried(self):
        with contextlib.ExitStack() as stack:
            base, _ = stack.enter_context(simulator(*SIM_ARGS, username=USER, password=PASSWORD))
            state = stack.enter_context(tempfile.TemporaryDirectory())
            sc = Scenario(self, stack, base, state)
            sc.start_exporter()
            text, _ = sc.watch(sc.all_up, 30, "a first good poll")
            good = qualys_text(text)
            f0 = sc.failures("hostasset")
            sim_fail(base, path="search/am/hostasset", status="truncate", chunked=1, bytes=100,
                     times=1)
            t = time.time()
            sc.watch(lambda m, _: not sim_faults(base)["active"]
                     and sc.succeeded_since("hostasset", t)(m, _), 15,
                     "the truncated page and a hostasset success", same=good)
            failed = sc.failures("hostasset") - f0
            self.mark("chunked truncation")
            self.assertEqual(failed, 0, "a page cut short mid-chunk must be retried like a "
                             f"Content-Length shortfall:\n{sc.tail()}")
            self.assertRegex(sc.log(), r"hostasset: .*; retry 1/2 in")


if __name__ == "__main__":
    unittest.main(verbosity=2)
