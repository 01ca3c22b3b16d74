"""Shared helpers for the script-driven suites: processes that always stop,
free loopback ports, and a parser for the Prometheus text exposition."""
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SRC = os.environ.get("QX_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("QX_BIN", os.path.join(SRC, "build", "bin"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process whose output goes to a temp file, killed on exit."""

    def __init__(self, args, env=None, name=None):
        self.name = name or os.path.basename(args[0])
        self.log = tempfile.NamedTemporaryFile(prefix=f"qx-{self.name}-", suffix=".log", delete=False)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=full_env,
                                  start_new_session=True)

    def output(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            sys.stderr.write(f"--- {self.name} log ---\n{self.output()}\n")
        self.stop()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


def wait_for(predicate, timeout=30, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            v = predicate()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last})")


def http(url, data=None, headers=None, timeout=10):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode()


def read_text(path):
    with open(path) as f:
        return f.read()


@contextlib.contextmanager
def simulator(*extra, password="sim-secret", username="simuser"):
    """Starts qualys-sim on a free port; yields (base_url, proc)."""
    with tempfile.TemporaryDirectory() as d:
        port_file = os.path.join(d, "port")
        args = [os.path.join(BIN, "qualys-sim"), "--port=0", f"--port_file={port_file}",
                f"--username={username}", *extra]
        with Proc(args, env={"QUALYS_SIM_PASSWORD": password}, name="qualys-sim") as p:
            port = wait_for(lambda: read_text(port_file).strip(), what="qualys-sim port file")
            yield f"http://127.0.0.1:{port}", p


def sim_expected(base, min_scans=2):
    return json.loads(http(f"{base}/sim/expected?min_scans={min_scans}"))


def sim_stats(base):
    return json.loads(http(f"{base}/sim/stats"))


def sim_advance(base):
    return http(f"{base}/sim/advance", data=b"")


def run_once(base, state_dir, username="simuser", password="sim-secret", extra=(), timeout=300):
    env = dict(os.environ, QUALYS_USERNAME=username, QUALYS_PASSWORD=password)
    args = [os.path.join(BIN, "qualys-exporter"), "--once", f"--qualys.url={base}",
            f"--state.dir={state_dir}", *extra]
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
    return r


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def _unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "\\": "\\", '"': '"'}.get(m.group(1), m.group(0)), v)


def parse_exposition(text):
    """Returns {metric_name: {frozenset(labels.items()): value}}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise AssertionError(f"unparseable exposition line: {line!r}")
        labels = {}
        if m.group(3):
            pos = 0
            body = m.group(3)
            while pos < len(body):
                lm = _LABEL.match(body, pos)
                if not lm:
                    raise AssertionError(f"bad labels in line: {line!r}")
                labels[lm.group(1)] = _unescape(lm.group(2))
                pos = lm.end()
        out.setdefault(m.group(1), {})[frozenset(labels.items())] = float(m.group(4))
    return out


def series(metrics, name, **match):
    """Values of name whose labels include match, keyed by the full label dict."""
    res = []
    for labels, v in metrics.get(name, {}).items():
        d = dict(labels)
        if all(d.get(k) == val for k, val in match.items()):
            res.append((d, v))
    return res


def promtool_check_metrics(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


# --- fault injection and the exporter in server mode -----------------------

def sim_fail(base, **params):
    """POST /sim/fail with the given parameters (see simulator.h); clear=1
    clears every fault."""
    query = urllib.parse.urlencode({k: str(v) for k, v in params.items()})
    return json.loads(http(f"{base}/sim/fail?{query}", data=b""))


def sim_faults(base):
    """{"active": [...], "applied": {path: faulted answers so far}}."""
    return json.loads(http(f"{base}/sim/faults"))


def exporter_server(base, state_dir, port, extra=(), username="simuser", password="sim-secret",
                    name="qualys-exporter"):
    """Starts qualys-exporter polling base and serving 127.0.0.1:port; returns
    the Proc (use it as a context manager so that it always stops)."""
    args = [os.path.join(BIN, "qualys-exporter"), f"--qualys.url={base}",
            f"--web.listen-address=127.0.0.1:{port}", f"--state.dir={state_dir}", *extra]
    return Proc(args, env={"QUALYS_USERNAME": username, "QUALYS_PASSWORD": password}, name=name)


def scrape(port, path="/metrics", timeout=5):
    return http(f"http://127.0.0.1:{port}{path}", timeout=timeout)


def value(metrics, name, default=None, **match):
    """The value of the single series of name whose labels include match."""
    found = series(metrics, name, **match)
    if not found:
        return default
    if len(found) > 1:
        raise AssertionError(f"{name}{match} matches {len(found)} series")
    return found[0][1]
