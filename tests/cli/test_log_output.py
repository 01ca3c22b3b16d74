"""The exporter's real log output (stderr of qualys-exporter polling
qualys-sim), parsed line by line: as logfmt with a strict parser and as JSON
with Python's. Every line must be one whole record with ts (RFC 3339, UTC,
milliseconds), level, caller and msg first; messages with quotes, newlines,
tabs, backslashes and non-ASCII survive the round trip; poll records carry
structured fields; the version and configuration are logged once, without
credentials; --log.level filters."""
import datetime
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from qxtest import BIN, run_once, simulator  # noqa: E402

EXPORTER = os.path.join(BIN, "qualys-exporter")
LEVELS = ("debug", "info", "warn", "error")
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CALLER = re.compile(r"^[A-Za-z0-9_.-]+\.(cc|h):\d+$")
# A state directory name that needs every kind of escaping.
AWKWARD = 'state "quoted"\nnew\tline\\back café'
PASSWORD = "pw-" + secrets.token_urlsafe(12)

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


def parse_logfmt(line):
    """[(key, value)] of one logfmt line; raises ValueError unless the whole
    line is key=value pairs separated by single spaces (values bare, or
    double-quoted with \\" \\\\ \\n \\r \\t \\uXXXX escapes)."""
    pairs, i, n = [], 0, len(line)
    while i < n:
        m = re.compile(r"[A-Za-z0-9_.-]+=").match(line, i)
        if not m:
            raise ValueError(f"no key at {i}: {line[i:i + 40]!r}")
        key, i = m.group(0)[:-1], m.end()
        if i < n and line[i] == '"':
            i += 1
            out = []
            while True:
                if i >= n:
                    raise ValueError(f"unterminated quoted value of {key}")
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\":
                    e = line[i + 1:i + 2]
                    if e in _ESCAPES:
                        out.append(_ESCAPES[e])
                        i += 2
                    elif e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", line[i + 2:i + 6]):
                        out.append(chr(int(line[i + 2:i + 6], 16)))
                        i += 6
                    else:
                        raise ValueError(f"bad escape in {key}: {line[i:i + 6]!r}")
                    continue
                if ord(c) < 0x20:
                    raise ValueError(f"raw control character in {key}")
                out.append(c)
                i += 1
            value = "".join(out)
        else:
            m = re.compile(r'[^\s="\\]*').match(line, i)
            value, i = m.group(0), m.end()
        pairs.append((key, value))
        if i < n:
            if line[i] != " ":
                raise ValueError(f"expected a space at {i}: {line[i:i + 40]!r}")
            i += 1
            if i == n:
                raise ValueError("trailing space")
    return pairs


def parse_json(line):
    pairs = json.loads(line, object_pairs_hook=lambda p: p)
    if not isinstance(pairs, list):
        raise ValueError("not an object")
    return pairs


class LogOutput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(EXPORTER, os.X_OK):
            raise AssertionError(f"{EXPORTER} is not built")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.runs = {}
        with simulator(password=PASSWORD) as (base, _):
            cls.base = base
            for fmt in ("logfmt", "json"):
                state = os.path.join(cls.tmp.name, fmt, AWKWARD)
                r = run_once(base, state, password=PASSWORD, extra=[f"--log.format={fmt}"])
                cls.runs[fmt] = (r, state)
            r = run_once(base, os.path.join(cls.tmp.name, "debug"), password=PASSWORD,
                         extra=["--log.level=debug"])
            cls.runs["debug"] = (r, None)
            # A failing poll (wrong password): error records with the API's answer.
            cls.runs["error"] = (run_once(base, os.path.join(cls.tmp.name, "error"), password="wrong-" + PASSWORD,
                                          extra=["--log.level=error", "--api.max-attempts=1"]), None)
        # A successful poll with warnings: WAS pages the gateway cannot serve.
        with simulator("--was_gateway_max_records=50", password=PASSWORD) as (base, _):
            cls.runs["warn"] = (run_once(base, os.path.join(cls.tmp.name, "warn"), password=PASSWORD,
                                         extra=["--log.level=warn", "--was.page-size=100"]), None)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def records(self, run, parse=None):
        r, _ = self.runs[run]
        parse = parse or (parse_json if run == "json" else parse_logfmt)
        out = []
        for number, line in enumerate(r.stderr.split("\n")[:-1], 1):
            try:
                pairs = parse(line)
            except ValueError as e:
                self.fail(f"{run} line {number} is not one record ({e}): {line!r}")
            keys = [k for k, _ in pairs]
            self.assertEqual(keys[:4], ["ts", "level", "caller", "msg"], line)
            self.assertEqual(len(keys), len(set(keys)), f"duplicate keys: {line}")
            rec = dict(pairs)
            self.assertRegex(rec["ts"], TS)
            ts = datetime.datetime.strptime(rec["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc)
            age = datetime.datetime.now(datetime.timezone.utc) - ts
            self.assertLess(abs(age.total_seconds()), 600, f"ts is not now in UTC: {line}")
            self.assertIn(rec["level"], LEVELS, line)
            self.assertRegex(rec["caller"], CALLER)
            out.append(rec)
        self.assertTrue(r.stderr.endswith("\n") or not r.stderr)
        return out

    def test_every_line_is_one_record(self):
        for run in self.runs:
            with self.subTest(run=run):
                recs = self.records(run)
                self.assertTrue(recs, f"{run}: no log output")

    def test_logfmt_and_json_carry_the_same_records(self):
        logfmt = self.records("logfmt")
        js = self.records("json")
        # Progress records are time-driven; the rest is the same sequence.
        def msgs(recs):
            return [r["msg"] for r in recs if not r["msg"].endswith(": sync progress")]
        self.assertEqual(msgs(logfmt), msgs(js))

    def test_start_records_once_without_credentials(self):
        for run in ("logfmt", "json"):
            with self.subTest(run=run):
                r, state = self.runs[run]
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                recs = self.records(run)
                starts = [x for x in recs if x["msg"] == "starting qualys-exporter"]
                configs = [x for x in recs if x["msg"] == "configuration"]
                self.assertEqual((len(starts), len(configs)), (1, 1))
                self.assertEqual(recs[0], starts[0])
                self.assertRegex(str(starts[0]["version"]), r"^\d+\.\d+\.\d+")
                self.assertIn("revision", starts[0])
                cfg = configs[0]
                self.assertEqual(cfg["log.format"], run)
                self.assertEqual(cfg["poll.interval"], "30m")
                self.assertEqual(cfg["qualys.url"], self.base)
                # The awkward path survives escaping and parsing unchanged.
                self.assertEqual(cfg["state.dir"], state)
                self.assertNotIn(PASSWORD, r.stderr)
                self.assertNotIn("simuser", r.stderr)
                for key in cfg:
                    self.assertFalse(key.startswith("qualys.password") and key != "qualys.password-file", key)
        # JSON keeps numbers and bools bare.
        cfg = next(x for x in self.records("json") if x["msg"] == "configuration")
        self.assertIs(cfg["once"], True)
        self.assertEqual(cfg["recurrence.min-scans"], 2)

    def test_poll_records_have_fields(self):
        for run in ("logfmt", "json"):
            with self.subTest(run=run):
                recs = self.records(run)
                done = {x["source"]: x for x in recs if re.fullmatch(r"poll of \w+ succeeded", x["msg"])}
                self.assertEqual(set(done), {"hostasset", "detection", "knowledge_base", "was_finding",
                                     "was_scan_schedule"})
                for source, x in done.items():
                    self.assertEqual(x["msg"], f"poll of {source} succeeded")
                    self.assertEqual(x["level"], "info")
                    duration = float(x["duration_seconds"])
                    self.assertTrue(0 <= duration < 300, duration)
                    if run == "json":
                        self.assertIsInstance(x["duration_seconds"], float)
                syncs = [x for x in recs if re.fullmatch(r"\w+: (full|incremental) sync done", x["msg"])]
                self.assertEqual({x["source"] for x in syncs}, {"hostasset", "detection", "was_finding"})
                for x in syncs:
                    self.assertEqual(x["sync"], "full")
                    self.assertGreater(int(x["records_fetched"]), 0)
                    self.assertGreaterEqual(int(x["pages"]), 1)
                    if run == "json":
                        self.assertIsInstance(x["records_held"], int)

    def test_quotes_in_real_messages_are_escaped(self):
        # A gateway's HTML error page is named by its quoted title.
        for run in ("warn",):
            recs = self.records(run)
            quoted = [x for x in recs if '"' in x["msg"]]
            self.assertTrue(quoted, f"{run}: no message with quotes to check")

    def test_writes_no_log_files(self):
        """Logs go to stderr only: glog writes no files (its default is
        TMPDIR or GLOG_log_dir), so the image runs with a read-only root
        filesystem and only --state.dir written."""
        with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as state:
            env = dict(os.environ, QUALYS_USERNAME="simuser", QUALYS_PASSWORD="wrong", TMPDIR=scratch,
                       GLOG_log_dir=scratch, HOME=scratch)
            r = subprocess.run([EXPORTER, "--once", f"--qualys.url={self.base}", f"--state.dir={state}",
                                "--api.max-attempts=1"], capture_output=True, text=True, env=env, cwd=scratch,
                               timeout=120)
            self.assertEqual(r.returncode, 1, r.stderr[-2000:])  # the simulator is gone: the poll fails
            self.assertTrue(r.stderr)
            self.assertEqual(os.listdir(scratch), [], "files written outside --state.dir")

    def test_levels(self):
        debug = self.records("debug")
        pages = [x for x in debug if x["level"] == "debug" and "page" in x]
        self.assertTrue(pages, "no debug record with a page field at --log.level=debug")
        self.assertTrue(any(x["level"] == "info" for x in debug))
        self.assertFalse([x for x in self.records("logfmt") if x["level"] == "debug"])
        warn = self.records("warn")
        self.assertTrue(warn, "no warnings to see at --log.level=warn")
        self.assertEqual({x["level"] for x in warn} - {"warn", "error"}, set())
        errors = self.records("error")
        self.assertEqual(self.runs["error"][0].returncode, 1)
        self.assertEqual({x["level"] for x in errors}, {"error"})
        failed = [x for x in errors if x["msg"].startswith("poll of hostasset failed")]
        self.assertEqual(len(failed), 1, errors)
        self.assertIn("401", failed[0]["error"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
