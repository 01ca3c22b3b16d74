"""The qualys-exporter command line, by running the binary: --help and
--version print and exit 0, usage errors exit 2 with one line naming the flag
and what it accepts, the spellings (dots, underscores, dashes) all work, and
the documented exit codes hold (0 ok, 1 failed poll in --once, 2 bad usage or
configuration)."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from qxtest import BIN, SRC, run_once, simulator  # noqa: E402

EXPORTER = os.path.join(BIN, "qualys-exporter")

# The contract's flags: --help must list each in its dotted spelling.
CONTRACT_FLAGS = ["qualys.url", "qualys.username", "qualys.password-file", "web.listen-address",
                  "web.telemetry-path", "web.config.file", "poll.interval", "once", "demo", "state.dir",
                  "recurrence.min-scans", "log.level", "log.format"]
# glog's and gflags' own flags: neither listed nor accepted.
FOREIGN_FLAGS = ["logtostderr", "alsologtostderr", "minloglevel", "stderrthreshold", "log_dir", "v",
                 "vmodule", "flagfile", "fromenv", "helpfull", "helpxml", "helpshort"]


def run(*args, env=None, timeout=60):
    full_env = dict(os.environ)
    full_env.pop("QUALYS_USERNAME", None)
    full_env.pop("QUALYS_PASSWORD", None)
    full_env.update(env or {})
    return subprocess.run([EXPORTER, *args], capture_output=True, text=True, env=full_env, timeout=timeout)


class Help(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(EXPORTER, os.X_OK):
            raise AssertionError(f"{EXPORTER} is not built")
        cls.r = run("--help")

    def test_exit_0_on_stdout_only(self):
        self.assertEqual(self.r.returncode, 0, self.r.stderr)
        self.assertEqual(self.r.stderr, "")
        self.assertTrue(self.r.stdout.startswith("Usage: qualys-exporter [flags]\n"), self.r.stdout[:200])
        for spelling in ("-h", "-help", "--help"):
            r = run(spelling)
            self.assertEqual((r.returncode, r.stdout), (0, self.r.stdout), spelling)

    def flag_lines(self):
        """{dotted name: (group, the flag's line)}."""
        out, group = {}, None
        for line in self.r.stdout.splitlines():
            if re.match(r"^[A-Z][A-Za-z ]+:$", line):
                group = line[:-1]
            m = re.match(r"^  --([a-z0-9.-]+)", line)
            if m:
                out[m.group(1)] = (group, line)
        return out

    def test_lists_the_contract_flags_dotted_and_grouped(self):
        flags = self.flag_lines()
        for name in CONTRACT_FLAGS + ["help", "version"]:
            self.assertIn(name, flags, f"--{name} missing from --help")
        self.assertEqual(flags["web.listen-address"][0], "Web server")
        self.assertEqual(flags["qualys.url"][0], "Qualys API")
        self.assertEqual(flags["log.level"][0], "Logging")
        self.assertEqual(flags["poll.interval"][0], "Polling and data")
        self.assertEqual(flags["once"][0], "Run modes")
        for name in flags:
            self.assertNotIn("_", name, "underscore spelling in --help")

    def test_defaults_shown(self):
        flags = self.flag_lines()
        self.assertEqual(flags["poll.interval"][1], '  --poll.interval=DURATION  (default "30m")')
        self.assertEqual(flags["web.listen-address"][1], '  --web.listen-address=VALUE  (default ":9786")')
        self.assertEqual(flags["log.level"][1], '  --log.level=VALUE  (default "info")')
        self.assertEqual(flags["log.format"][1], '  --log.format=VALUE  (default "logfmt")')
        self.assertEqual(flags["recurrence.min-scans"][1], "  --recurrence.min-scans=N  (default 2)")
        self.assertEqual(flags["once"][1], "  --once  (default false)")

    def test_no_foreign_flags(self):
        flags = self.flag_lines()
        for name in FOREIGN_FLAGS:
            self.assertNotIn(name, flags)
            self.assertNotIn(f"--{name}=", self.r.stdout)

    def test_documents_environment_and_exit_codes(self):
        self.assertIn("QUALYS_USERNAME, QUALYS_PASSWORD", self.r.stdout)
        self.assertRegex(self.r.stdout, r"Exit codes:\n  0  success\n  1  a failed poll in --once.*\n  2  bad usage")


class Version(unittest.TestCase):
    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        lines = r.stdout.splitlines()
        with open(os.path.join(SRC, "CMakeLists.txt")) as f:
            version = re.search(r"project\(qualys_exporter VERSION ([0-9.]+)", f.read()).group(1)
        self.assertEqual(lines[0], f"qualys-exporter {version}")
        fields = dict(re.match(r"^  ([a-z -]+):\s+(.*)$", l, re.I).groups() for l in lines[1:])
        self.assertRegex(fields["revision"], r"^([0-9a-f]{12}|unknown)$")
        self.assertRegex(fields["build date"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(fields["compiler"], r"^(GCC|clang) \d+")
        self.assertRegex(fields["Poco"], r"^1\.\d+\.\d+ \(runtime 1\.\d+\.\d+\)$")
        self.assertRegex(fields["prometheus-cpp"], r"^\d+\.\d+\.\d+$")
        self.assertRegex(fields["gflags"], r"^\d+\.\d+\.\d+$")
        self.assertRegex(fields["glog"], r"^\d+\.\d+\.\d+$")
        # The Debian packages' versions, where dpkg knows them.
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "prometheus-cpp-dev"], capture_output=True,
                           text=True)
        if r.returncode == 0:
            self.assertTrue(r.stdout.startswith(fields["prometheus-cpp"]), (r.stdout, fields["prometheus-cpp"]))


class UsageErrors(unittest.TestCase):
    CASES = [
        (["--log.levl=debug"], "unknown flag --log.levl (did you mean --log.level? "
                               "qualys-exporter --help lists the flags)"),
        (["--nope"], "unknown flag --nope (qualys-exporter --help lists the flags)"),
        (["--log.level=verbose"], "--log.level: invalid value 'verbose' (accepted: debug, info, warn, error)"),
        (["--log_level=trace"], "--log.level: invalid value 'trace' (accepted: debug, info, warn, error)"),
        (["--log.format=text"], "--log.format: invalid value 'text' (accepted: logfmt, json)"),
        (["--poll.interval=soon"], "--poll.interval: invalid value 'soon' (a duration such as 30s, 30m, 24h, "
                                   "7d or 1h30m)"),
        (["--recurrence.min-scans=two"], "--recurrence.min-scans: invalid value 'two' (an integer)"),
        (["--once=maybe"], "--once: invalid value 'maybe' (accepted: true, false)"),
        (["--web.listen-address"], "--web.listen-address needs a value"),
        (["extra"], "unexpected argument 'extra' (qualys-exporter takes flags only)"),
    ] + [([f"--{name}=1"], f"unknown flag --{name} (qualys-exporter --help lists the flags)")
         for name in ("v", "logtostderr", "minloglevel", "flagfile")]

    def test_exit_2_with_one_line(self):
        for args, message in self.CASES:
            with self.subTest(args=args):
                r = run(*args, "--demo")
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertEqual(r.stderr, f"qualys-exporter: {message}\n")

    def test_missing_credentials_exit_2(self):
        with tempfile.TemporaryDirectory() as d:
            r = run("--once", "--qualys.url=http://127.0.0.1:9", f"--state.dir={d}")
        self.assertEqual(r.returncode, 2, r.stderr)
        errors = [l for l in r.stderr.splitlines() if " level=error " in l]
        self.assertEqual(len(errors), 1, r.stderr)
        self.assertIn("Qualys credentials missing", errors[0])


class SpellingsAndExitCodes(unittest.TestCase):
    def test_once_exit_codes_and_spellings(self):
        with simulator() as (base, _), tempfile.TemporaryDirectory() as d:
            # Underscore and dash spellings of the log flags are taken.
            r = run_once(base, os.path.join(d, "a"), extra=["--log_level=warn", "--log-format=json"])
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            self.assertIn("qualys_up 1", r.stdout)
            for line in r.stderr.splitlines():
                rec = json.loads(line)
                self.assertIn(rec["level"], ("warn", "error"), line)
            # A poll that fails (wrong password): 1.
            r = run_once(base, os.path.join(d, "b"), password="wrong", extra=["--api.max-attempts=1"])
            self.assertEqual(r.returncode, 1, r.stderr[-3000:])
            self.assertIn("qualys_up 0", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
