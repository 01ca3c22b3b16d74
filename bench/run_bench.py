#!/usr/bin/env python3
"""qualys-exporter benchmarks: runs every benchmark and prints their tables.

    scripts/bench [small|full] [--only=parser,store,e2e,scrape,serve]
                  [--cases=hosts-1M,...] [--out=DIR]

small  a CI smoke run (~1 min): 2k hosts, 1k WAS findings, 1k/2k series
full   the figures of docs/performance.md (default; ~15 min on 2 cores)

Binaries come from $QX_BIN (default <repo>/$BUILD/bin, BUILD=build).
Results: <out>/results.json plus the raw outputs next to it.

Sections
  parser  exporter SAX parsers vs a bare Poco SAX parse of the same pages
          (floor), MB/s, pages rendered by qualys-sim
  store   HostAssetStore heap bytes per host, upsert/save/load/aggregate time
  e2e     qualys-exporter --once against qualys-sim on loopback: full sync,
          then one sim epoch later a steady-state (incremental) poll with the
          same --state.dir; wall time, records/s, peak RSS, state size, API
          calls (from the simulator's /sim/stats); and qx-fetch-floor
          downloading the same pages without parsing them (transfer floor)
  scrape  /metrics latency through SnapshotCollector + MetricsServer while
          another thread republishes snapshots (qx-scrape-bench), plain and
          gzip
  serve   qualys-exporter in server mode, scraped with wrk (keep-alive):
          memory -- RSS idle after one poll, then its peak under 16
          concurrent scrapers (no poll running) -- and latency while it polls
          a simulator every 5 s (every poll a full sync)

Simulator time: the exporter's incremental cursor is wall-clock time. A
qualys-sim with --time_base runs on the wall clock by default (an advance
stamps its changes "now"), so the steady-state poll sees them as it would
against the real API. An older qualys-sim (no --time_base) has a fixed clock
(2024-06-03T06:00:00Z, a day per advance): then, when libfaketime is
installed, the exporter runs are given the simulator's time; without either
the steady-state poll still makes its calls but finds no changes.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIM_EPOCH0 = datetime.datetime(2024, 6, 3, 6, 0, 0, tzinfo=datetime.timezone.utc)
USER, PASSWORD = "bench", "bench-secret"
FAKETIME_LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
                 "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
                 "/usr/lib/faketime/libfaketimeMT.so.1"]

# The estate of the targets (issue "Gentle and fast at enterprise scale"):
# every host on Azure with 5 detections, 1 % of the records changed between
# polls, and an API that pages filtered searches densely. WINDOW_HOSTS is
# the same estate under the API 3.2 "window" paging model, where a filtered
# search costs a full walk of calls whatever matches.
# The host cases also walk the detection API (API v2), whose simulated
# budget (300 calls an hour, like a real subscription's) the transfer floor
# and a 1M-host walk (1000 pages) would exhaust: the bench measures
# throughput, so the budget is lifted (pacing is tested in tests/).
TARGET_HOSTS = ("--cloud_mix=100,0,0,0", "--vulns_per_host=5", "--host_change_percent=1",
                "--rate_limit=1000000", "--filtered_pages=dense")
WINDOW_HOSTS = TARGET_HOSTS[:-1] + ("--filtered_pages=window",)
TARGET_WAS = ("--was_rescan_percent=1", "--filtered_pages=dense")

# e2e cases: name, host assets, web apps, findings per web app, extra runs,
# simulator flags
SIZES = {
    "small": {
        "parser": {"hosts": 2000, "was": 1000, "min_time": 0.05},
        "store": [20000],
        "e2e": [("hosts-2k", 2000, 0, 0, [], TARGET_HOSTS),
                ("was-1k", 0, 10, 100, [], TARGET_WAS)],
        "scrape": [(1000, 30), (2000, 30)],
        "serve": {"webapps": [20], "seconds": 2, "connections": 8},
    },
    "full": {
        "parser": {"hosts": 20000, "was": 10000, "min_time": 1.0},
        "store": [100000, 1000000],
        "e2e": [("hosts-100k", 100000, 0, 0, [], TARGET_HOSTS),
                ("hosts-1M", 1000000, 0, 0, ["resync"], TARGET_HOSTS),
                ("hosts-100k-window", 100000, 0, 0, [], WINDOW_HOSTS),
                ("was-100k", 0, 1000, 100, [], TARGET_WAS)],
        "scrape": [(10000, 300), (100000, 50)],
        "serve": {"webapps": [145, 1490], "seconds": 20, "connections": 16},
    },
}


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def http(url, data=None, timeout=30):
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(fn, what, timeout=60):
    end = time.monotonic() + timeout
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.monotonic() > end:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def file_size_sum(d):
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
               if os.path.isfile(os.path.join(d, f)))


def parse_exposition(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$', line)
        if not m:
            continue
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out.setdefault(m.group(1), []).append((labels, float(m.group(4))))
    return out


def metric_sum(m, name, **match):
    return sum(v for labels, v in m.get(name, []) if all(labels.get(k) == x for k, x in match.items()))


def rss_kib(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Bench:
    def __init__(self, args):
        self.size = args.size
        self.cfg = SIZES[args.size]
        self.only = set(args.only.split(",")) if args.only else None
        if args.cases:
            names = set(args.cases.split(","))
            self.cfg = dict(self.cfg, e2e=[c for c in self.cfg["e2e"] if c[0] in names])
        self.bin = os.environ.get("QX_BIN") or os.path.join(ROOT, os.environ.get("BUILD", "build"), "bin")
        self.out = args.out or tempfile.mkdtemp(prefix="qx-bench-")
        os.makedirs(self.out, exist_ok=True)
        self.results = {"size": self.size, "machine": self.machine()}
        self.faketime = next((p for p in FAKETIME_LIBS if os.path.exists(p)), None)
        self.gnu_time = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
        self.wrk = shutil.which("wrk")
        helptext = subprocess.run([self.exe("qualys-sim"), "--help"], capture_output=True, text=True)
        self.sim_wall_clock = "-time_base" in helptext.stdout + helptext.stderr
        self.procs = []

    def want(self, section):
        return self.only is None or section in self.only

    def exe(self, name):
        p = os.path.join(self.bin, name)
        if not os.access(p, os.X_OK):
            raise SystemExit(f"bench: {p} not found; build first (make build, or set QX_BIN)")
        return p

    # ------------------------------------------------------------ machine

    def machine(self):
        info = {"nproc": os.cpu_count(), "kernel": platform.release()}
        try:
            lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
            m = re.search(r"Model name:\s*(.+)", lscpu)
            info["cpu"] = m.group(1).strip() if m else "?"
        except OSError:
            info["cpu"] = "?"
        with open("/proc/meminfo") as f:
            info["ram_gib"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
        cache = os.path.join(os.path.dirname(self.bin), "CMakeCache.txt")
        info["build_type"] = info["compiler"] = "?"
        if os.path.exists(cache):
            with open(cache) as f:
                text = f.read()
            m = re.search(r"^CMAKE_BUILD_TYPE:\w+=(.*)$", text, re.M)
            info["build_type"] = m.group(1) if m else "?"
            m = re.search(r"^CMAKE_CXX_COMPILER:\w+=(.*)$", text, re.M)
            if m:
                v = subprocess.run([m.group(1), "--version"], capture_output=True, text=True).stdout
                info["compiler"] = v.splitlines()[0] if v else m.group(1)
        info["loadavg_start"] = os.getloadavg()[0]
        return info

    # ------------------------------------------------------------ processes

    def start_sim(self, hosts, webapps, findings, tag, sim_args=()):
        d = tempfile.mkdtemp(prefix=f"sim-{tag}-", dir=self.out)
        port_file = os.path.join(d, "port")
        args = [self.exe("qualys-sim"), "--port=0", f"--port_file={port_file}",
                f"--username={USER}", f"--host_assets={hosts}", f"--webapps={webapps}",
                f"--findings_per_webapp={findings}",
                f"--empty_page_every={os.environ.get('QX_BENCH_EMPTY_PAGE_EVERY', '0')}",
                "--http_threads=4", *sim_args]
        logf = open(os.path.join(d, "sim.log"), "w")
        p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT,
                             env=dict(os.environ, QUALYS_SIM_PASSWORD=PASSWORD))
        self.procs.append(p)
        port = wait_for(lambda: open(port_file).read().strip(), "qualys-sim port file")
        return p, f"http://127.0.0.1:{port}"

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def cleanup(self):
        for p in list(self.procs):
            self.stop(p)

    def timed(self, args, env, stdout_path, stderr_path, fake_at=None):
        """Runs args; returns wall, user, sys seconds and peak RSS (KiB)."""
        env = dict(env)
        if fake_at is not None and self.faketime:
            env.update(LD_PRELOAD=self.faketime, FAKETIME_DONT_FAKE_MONOTONIC="1", TZ="UTC",
                       FAKETIME="@" + fake_at.strftime("%Y-%m-%d %H:%M:%S"))
        time_file = stdout_path + ".time"
        cmd = list(args)
        if self.gnu_time:
            cmd = [self.gnu_time, "-f", "%e %U %S %M", "-o", time_file] + cmd
        with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
            start = time.monotonic()
            p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.monotonic() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        r = {"rc": p.returncode, "wall_s": wall, "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
             "peak_rss_kib": ru.ru_maxrss, "rss_source": "wait4"}
        if self.gnu_time and os.path.exists(time_file):
            with open(time_file) as f:
                last = f.read().strip().splitlines()[-1].split()
            if len(last) == 4:
                r.update(wall_s=float(last[0]), user_s=float(last[1]), sys_s=float(last[2]),
                         peak_rss_kib=int(last[3]), rss_source="/usr/bin/time -f %M")
        return r

    # ------------------------------------------------------------ sections

    def run_parser(self):
        c = self.cfg["parser"]
        path = os.path.join(self.out, "parser.json")
        env = dict(os.environ, QX_BENCH_HOSTS=str(c["hosts"]), QX_BENCH_WAS_FINDINGS=str(c["was"]),
                   GLOG_minloglevel="1")
        log(f"parser: {c['hosts']} host assets, {c['was']} WAS findings")
        subprocess.run([self.exe("qx-parser-bench"), f"--benchmark_min_time={c['min_time']}",
                        "--benchmark_format=json", f"--benchmark_out={path}",
                        "--benchmark_out_format=json"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.out, "parser.log"), "w"))
        with open(path) as f:
            data = json.load(f)
        rows = {}
        for b in data["benchmarks"]:
            rows[b["name"]] = {"ms": b["cpu_time"], "mb_s": b.get("bytes_per_second", 0) / 1e6,
                               "records_s": b.get("items_per_second", 0)}
        out = []
        for kind, label in (("HostAsset", "host asset"), ("WasFinding", "WAS finding")):
            parser = rows.get(f"BM_{kind}_Parser")
            floor = rows.get(f"BM_{kind}_PocoSaxFloor")
            expat = rows.get(f"BM_{kind}_ExpatFloor")
            if parser and floor:
                out.append({"kind": label, "parser_mb_s": parser["mb_s"], "floor_mb_s": floor["mb_s"],
                            "expat_mb_s": expat["mb_s"] if expat else None,
                            "records_s": parser["records_s"],
                            "ratio": floor["mb_s"] / parser["mb_s"] if parser["mb_s"] else None})
        self.results["parser"] = {"rows": out, "raw": rows}

    def run_store(self):
        res = []
        for n in self.cfg["store"]:
            log(f"store: {n} hosts")
            r = subprocess.run([self.exe("qx-store-bench"), f"--hosts={n}", "--vulns=5",
                                f"--dir={self.out}"], capture_output=True, text=True, check=True)
            res.append(json.loads(r.stdout.strip().splitlines()[-1]))
        self.results["store"] = res

    def floor(self, base, since=None, sources="hostasset,was"):
        args = [self.exe("qx-fetch-floor"), f"--url={base}", f"--sources={sources}", "--page-size=1000"]
        if since:
            args.append(f"--since={since}")
        env = dict(os.environ, QUALYS_USERNAME=USER, QUALYS_PASSWORD=PASSWORD)
        r = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
        rows = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
        return {row["source"] + ("/" + row["field"] if "field" in row else ""): row for row in rows}

    @staticmethod
    def sim_counts(base):
        # {"epoch":N,"requests":{path:n}} or, in other versions, {path:n}.
        d = json.loads(http(f"{base}/sim/stats"))
        d = d.get("requests", d)
        return {k: v for k, v in d.items() if isinstance(v, int) and k.startswith("/")}

    def exporter_run(self, base, state, tag, fake_at, extra=()):
        args = [self.exe("qualys-exporter"), "--once", f"--qualys.url={base}", f"--state.dir={state}",
                "--hostasset.page-size=1000", "--was.page-size=1000", "--detection.page-size=1000",
                "--poll.full-resync-interval=7d", *extra]
        env = dict(os.environ, QUALYS_USERNAME=USER, QUALYS_PASSWORD=PASSWORD)
        before = self.sim_counts(base)
        prom = os.path.join(self.out, f"{tag}.prom")
        r = self.timed(args, env, prom, os.path.join(self.out, f"{tag}.log"), fake_at)
        after = self.sim_counts(base)
        calls = {k: after.get(k, 0) - before.get(k, 0) for k in after if not k.startswith("/sim/")}
        with open(prom) as f:
            m = parse_exposition(f.read())
        r["calls"] = {
            "hostasset": sum(v for k, v in calls.items() if "/am/hostasset" in k),
            "hostasset_search": calls.get("/qps/rest/2.0/search/am/hostasset", 0),
            "was": sum(v for k, v in calls.items() if "/was/finding" in k),
            "was_search": calls.get("/qps/rest/3.0/search/was/finding", 0),
            "kb": calls.get("/api/2.0/fo/knowledge_base/vuln/", 0),
            "detection": sum(v for k, v in calls.items() if "/vm/detection" in k),
        }
        r["calls"]["total"] = sum(calls.values())
        r["records"] = {s: metric_sum(m, "qualys_exporter_records_fetched_total", source=s)
                        for s in ("hostasset", "detection", "was_finding", "knowledge_base")}
        r["poll_s"] = {s: metric_sum(m, "qualys_exporter_poll_duration_seconds", source=s)
                       for s in ("hostasset", "detection", "was_finding", "was_scan_schedule")}
        r["source_up"] = {s: metric_sum(m, "qualys_exporter_source_up", source=s)
                          for s in ("hostasset", "detection")}
        r["detections_counted"] = metric_sum(m, "qualys_host_vulnerabilities")
        r["up"] = metric_sum(m, "qualys_up")
        r["state_bytes"] = file_size_sum(state)
        r["state_files"] = {f: os.path.getsize(os.path.join(state, f)) for f in sorted(os.listdir(state))}
        if r["rc"] != 0:
            log(f"{tag}: exporter exited {r['rc']}; see {self.out}/{tag}.log")
        return r

    def run_e2e(self):
        res = []
        for name, hosts, webapps, findings, extras, sim_args in self.cfg["e2e"]:
            log(f"e2e {name}: sim with {hosts} host assets, {webapps * findings} WAS findings, "
                f"{' '.join(sim_args)}")
            sim, base = self.start_sim(hosts, webapps, findings, name, sim_args)
            try:
                case = {"name": name, "hosts": hosts, "was_findings": webapps * findings,
                        "sim_args": list(sim_args)}
                sources = "hostasset,detection" if hosts else "was"
                t = time.monotonic()
                case["floor_full"] = self.floor(base, sources=sources)
                case["floor_full"]["wall_s"] = time.monotonic() - t
                state = tempfile.mkdtemp(prefix=f"state-{name}-", dir=self.out)
                fake = not self.sim_wall_clock and self.faketime
                t0 = SIM_EPOCH0 if fake else datetime.datetime.now(datetime.timezone.utc)
                log(f"e2e {name}: full sync")
                case["full"] = self.exporter_run(base, state, f"{name}-full", SIM_EPOCH0 if fake else None)
                http(f"{base}/sim/advance", data=b"")
                # What the exporter's cursor asks: changed since its last
                # poll started, minus the 300 s overlap.
                since = (t0 - datetime.timedelta(seconds=300)).strftime("%Y-%m-%dT%H:%M:%SZ")
                case["floor_steady"] = self.floor(base, since=since, sources=sources)
                log(f"e2e {name}: steady-state poll (one sim epoch later)")
                t1 = SIM_EPOCH0 + datetime.timedelta(days=1)
                case["steady"] = self.exporter_run(base, state, f"{name}-steady", t1 if fake else None)
                case["steady"]["changes_visible"] = bool(self.sim_wall_clock or fake)
                if "resync" in extras:
                    log(f"e2e {name}: forced full resync with a loaded store")
                    case["resync"] = self.exporter_run(
                        base, state, f"{name}-resync", t1 + datetime.timedelta(hours=1) if fake else None,
                        extra=("--poll.full-resync-interval=1s",))
                res.append(case)
            finally:
                self.stop(sim)
        self.results["e2e"] = res

    def run_scrape(self):
        res = []
        for series, scrapes in self.cfg["scrape"]:
            for gz in (False, True):
                log(f"scrape: {series} series, {scrapes} scrapes while republishing{' (gzip)' if gz else ''}")
                r = subprocess.run([self.exe("qx-scrape-bench"), f"--series={series}", f"--scrapes={scrapes}",
                                    *(["--gzip"] if gz else [])],
                                   capture_output=True, text=True, check=True)
                res.append(json.loads(r.stdout.strip().splitlines()[-1]))
        self.results["scrape"] = res

    def wrk_run(self, url, seconds, connections):
        threads = min(2, connections)
        r = subprocess.run([self.wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
                            "--timeout", "10s", url], capture_output=True, text=True)
        text = r.stdout

        def ms(v, unit):
            return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

        out = {"connections": connections, "seconds": seconds, "raw": text}
        for pct in ("50", "90", "99"):
            m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
            out[f"p{pct}_ms"] = ms(*m.groups()) if m else None
        m = re.search(r"(\d+) requests in", text)
        out["requests"] = int(m.group(1)) if m else 0
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        out["non2xx"] = int(m.group(1)) if m else 0
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        # The server keeps connections alive, so any socket error counts (a
        # read error is a connection the server closed).
        out["socket_errors"] = int(m.group(1)) + int(m.group(3)) + int(m.group(4)) if m else 0
        out["read_errors"] = int(m.group(2)) if m else 0
        out["socket_errors"] += out["read_errors"]
        return out

    def wrk_with_rss(self, url, seconds, connections, pid):
        """wrk while sampling the exporter's RSS every 50 ms; adds rss_peak_kib."""
        samples = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(rss_kib(pid))
                time.sleep(0.05)
        t = threading.Thread(target=sample)
        t.start()
        try:
            out = self.wrk_run(url, seconds, connections)
        finally:
            stop.set()
            t.join()
        out["rss_peak_kib"] = max(samples) if samples else 0
        return out

    def start_exporter(self, base, name, extra):
        port = free_port()
        state = tempfile.mkdtemp(prefix=f"state-{name}-", dir=self.out)
        args = [self.exe("qualys-exporter"), f"--qualys.url={base}", f"--state.dir={state}",
                f"--web.listen-address=127.0.0.1:{port}", *extra]
        logf = open(os.path.join(self.out, f"{name}.log"), "w")
        ex = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=logf,
                              env=dict(os.environ, QUALYS_USERNAME=USER, QUALYS_PASSWORD=PASSWORD))
        self.procs.append(ex)
        url = f"http://127.0.0.1:{port}/metrics"
        body = wait_for(lambda: (lambda b: b if re.search(r"^qualys_up 1", b, re.M) else None)(http(url)),
                        "first poll", timeout=300)
        return ex, url, body

    def run_serve(self):
        c = self.cfg["serve"]
        if not self.wrk:
            log("serve: wrk not installed (Debian package wrk); skipped")
            self.results["serve"] = {"skipped": "wrk not installed"}
            return
        res = []
        for webapps in c["webapps"]:
            sim, base = self.start_sim(1000, webapps, 40, f"serve{webapps}")
            try:
                # Memory: one poll, then idle; then 16 concurrent scrapers.
                log(f"serve: {webapps} web apps, one poll, RSS idle and under {c['connections']} scrapers")
                ex, url, body = self.start_exporter(base, f"serve{webapps}-mem", ["--poll.interval=1h"])
                row = {"webapps": webapps, "series": sum(1 for line in body.splitlines()
                                                         if line and not line.startswith("#")),
                       "bytes": len(body)}
                time.sleep(2)
                row["rss_idle_kib"] = rss_kib(ex.pid)
                row["mem"] = self.wrk_with_rss(url, c["seconds"], c["connections"], ex.pid)
                row["rss_after_kib"] = rss_kib(ex.pid)
                self.stop(ex)
                # Latency while polling: a full sync every 5 s.
                log(f"serve: {webapps} web apps, polling every 5 s (full syncs); wrk c1 and c{c['connections']}")
                ex, url, _ = self.start_exporter(base, f"serve{webapps}",
                                                 ["--poll.interval=5s", "--poll.full-resync-interval=1s"])
                row["rss_before_kib"] = rss_kib(ex.pid)
                row["c1"] = self.wrk_run(url, c["seconds"], 1)
                row["cN"] = self.wrk_with_rss(url, c["seconds"], c["connections"], ex.pid)
                row["hwm_kib"] = rss_kib(ex.pid, "VmHWM")
                with open(os.path.join(self.out, f"serve{webapps}.log")) as f:
                    row["polls"] = len(re.findall(r"poll of was_finding succeeded", f.read()))
                self.stop(ex)
                res.append(row)
            finally:
                self.stop(sim)
        self.results["serve"] = res

    # ------------------------------------------------------------ report

    def report(self):
        r = self.results
        mi = r["machine"]
        lines = []
        p = lines.append
        p(f"# qualys-exporter benchmarks ({self.size})")
        p("")
        p(f"machine: {mi['nproc']} CPUs ({mi['cpu']}), {mi['ram_gib']} GiB RAM, kernel {mi['kernel']}; "
          f"{mi['compiler']}; build type {mi['build_type']}; "
          f"load average {mi['loadavg_start']:.1f} at start, {os.getloadavg()[0]:.1f} at end")
        if "parser" in r:
            p("")
            p("## Parser throughput (CPU time; pages rendered by qualys-sim)")
            p("")
            p("| payload | exporter parser MB/s | Poco SAX floor MB/s | parser time / floor time | records/s | raw expat MB/s |")
            p("| --- | ---: | ---: | ---: | ---: | ---: |")
            for row in r["parser"]["rows"]:
                expat = f"{row['expat_mb_s']:.0f}" if row["expat_mb_s"] else "-"
                p(f"| {row['kind']} | {row['parser_mb_s']:.0f} | {row['floor_mb_s']:.0f} | "
                  f"{row['ratio']:.2f}x (target <= 1.3x) | {row['records_s']:,.0f} | {expat} |")
        if "store" in r:
            p("")
            p("## HostAssetStore (5 detections per host)")
            p("")
            p("| hosts | heap | bytes/host | upsert/s | DistinctQids | aggregate | save | load | state file | peak RSS |")
            p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for s in r["store"]:
                p(f"| {s['hosts']:,} | {s['heap_bytes'] / 2**20:.1f} MiB | {s['bytes_per_host']:.1f} | "
                  f"{s['upserts_per_s']:,.0f} | {s['distinct_qids_s'] * 1000:.0f} ms | {s['aggregate_s'] * 1000:.0f} ms | "
                  f"{s['save_s'] * 1000:.0f} ms | {s['load_s'] * 1000:.0f} ms | {s['state_bytes'] / 2**20:.1f} MiB | "
                  f"{s['peak_rss_kib'] / 1024:.0f} MiB |")
            p("")
            p("## HostDetectionStore (the same hosts, every detection counted)")
            p("")
            p("| hosts | detections | heap | bytes/host | build | save | load | state file |")
            p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for s in r["store"]:
                p(f"| {s['hosts']:,} | {s['detections']:,} | {s['detection_heap_bytes'] / 2**20:.1f} MiB | "
                  f"{s['detection_bytes_per_host']:.1f} | {s['detection_build_s'] * 1000:.0f} ms | "
                  f"{s['detection_save_s'] * 1000:.0f} ms | {s['detection_load_s'] * 1000:.0f} ms | "
                  f"{s['detection_state_bytes'] / 2**20:.1f} MiB |")
        if "e2e" in r:
            p("")
            p("## End to end: qualys-exporter --once vs qualys-sim (loopback, limitResults 1000)")
            p("")
            p("Records: host assets or WAS findings. Wall, CPU and the transfer floor cover every source "
              "the case walks (host cases: host assets and detections).")
            p("")
            p("| case | run | records | wall | CPU (user+sys) | records/s | transfer floor | wall / floor | peak RSS | state | API calls (search) |")
            p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
            for c in r["e2e"]:
                # The floor of every source the case walks (host cases: host
                # assets and detections).
                floor_full = c["floor_full"]["total"]
                floor_steady = c["floor_steady"]["total"]
                for run in ("full", "steady", "resync"):
                    if run not in c:
                        continue
                    x = c[run]
                    recs = x["records"]["hostasset" if c["hosts"] else "was_finding"]
                    fl = floor_steady if run == "steady" else floor_full
                    ratio = x["wall_s"] / fl["seconds"] if fl["seconds"] > 0 else float("nan")
                    rc = "" if x["rc"] == 0 else f" (exit {x['rc']})"
                    calls = x["calls"]
                    p(f"| {c['name']} | {run}{rc} | {recs:,.0f} | {x['wall_s']:.2f} s | "
                      f"{x['user_s'] + x['sys_s']:.2f} s | {recs / x['wall_s']:,.0f} | "
                      f"{fl['seconds']:.2f} s ({fl['bytes'] / 2**20:,.0f} MiB) | {ratio:.2f}x | "
                      f"{x['peak_rss_kib'] / 1024:.0f} MiB | {x['state_bytes'] / 2**20:.1f} MiB | "
                      f"{calls['total']} ({calls['hostasset_search']} host"
                      f"{' + ' + str(calls['detection']) + ' detection' if calls.get('detection') else ''}"
                      f" + {calls['was_search']} WAS"
                      f"{', ' + str(calls['kb']) + ' KB' if calls['kb'] else ''}) |")
            p("")
            for c in r["e2e"]:
                p(f"- {c['name']}: qualys-sim {' '.join(c.get('sim_args', [])) or '(defaults)'}")
            p("")
            p("### API calls per poll (per source; target for the steady state: ceil(changed/1000)+2)")
            p("")
            p("| case | source | full sync calls | records | steady calls | changed (max per field) | target | met | plain-client steady calls |")
            p("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
            for c in r["e2e"]:
                src, key, rec = (("hostasset", "hostasset", "hostasset") if c["hosts"]
                                 else ("was", "was", "was_finding"))
                fields = [v for k, v in c["floor_steady"].items() if k.startswith(src + "/")]
                changed = max((v["records"] for v in fields), default=0)
                target = math.ceil(changed / 1000) + 2
                steady = c["steady"]["calls"][key]
                note = "" if c["steady"]["changes_visible"] else " (sim clock != wall clock: changes invisible)"
                p(f"| {c['name']} | {src} | {c['full']['calls'][key]} | {c['full']['records'][rec]:,.0f} | "
                  f"{steady} | {changed:,}{note} | {target} | {'yes' if steady <= target else 'NO'} | "
                  f"{c['floor_steady'][src]['calls']} |")
            detection_cases = [c for c in r["e2e"] if "detection" in c["floor_full"]]
            if detection_cases:
                p("")
                p("### Detection source (VM Host List Detection, truncation_limit 1000)")
                p("")
                p("Source time = `qualys_exporter_poll_duration_seconds{source=\"detection\"}` "
                  "(walk, store, state save); peak RSS and CPU are the whole run's (every source).")
                p("")
                p("| case | run | hosts | source time | hosts/s | transfer floor | time / floor | calls | "
                  "counted detections | detection state | peak RSS (run) |")
                p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
                for c in detection_cases:
                    for run in ("full", "steady", "resync"):
                        if run not in c:
                            continue
                        x = c[run]
                        fl = c["floor_steady" if run == "steady" else "floor_full"]["detection"]
                        hosts = x["records"]["detection"]
                        secs = x["poll_s"]["detection"]
                        up = "" if x["source_up"]["detection"] == 1 else " (source down)"
                        state = x["state_files"].get("detection.store", 0)
                        p(f"| {c['name']} | {run}{up} | {hosts:,.0f} | {secs:.2f} s | "
                          f"{hosts / secs if secs > 0 else 0:,.0f} | "
                          f"{fl['seconds']:.2f} s ({fl['bytes'] / 2**20:,.0f} MiB, {fl['records']:,} hosts) | "
                          f"{secs / fl['seconds'] if fl['seconds'] > 0 else float('nan'):.2f}x | "
                          f"{x['calls']['detection']} | {x['detections_counted']:,.0f} | "
                          f"{state / 2**20:.1f} MiB | {x['peak_rss_kib'] / 1024:.0f} MiB |")
        if "scrape" in r:
            p("")
            p("## /metrics latency: SnapshotCollector + MetricsServer, snapshots republished back to back")
            p("")
            p("| series | encoding | body sent | scrapes | median | p90 | p99 | max | target p99 < 25 ms @10k | "
              "once per publish: render + gzip |")
            p("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
            for s in r["scrape"]:
                p(f"| {s['series']:,} | {'gzip' if s.get('gzip') else 'plain'} | {s['bytes'] / 2**20:.2f} MiB | "
                  f"{s['scrapes']} | {s['median_ms']:.1f} ms | "
                  f"{s['p90_ms']:.1f} ms | {s['p99_ms']:.1f} ms | {s['max_ms']:.1f} ms | "
                  f"{('yes' if s['p99_ms'] < 25 else 'NO') if s['series'] <= 10000 else '-'} | "
                  f"{s.get('publish_ms', 0):.1f} + {s.get('gzip_ms', 0):.1f} ms |")
        if "serve" in r:
            p("")
            p("## qualys-exporter serving /metrics while polling (full sync every 5 s), wrk")
            p("")
            if isinstance(r["serve"], dict):
                p(f"skipped: {r['serve']['skipped']}")
            else:
                p("Memory: one poll, then idle; wrk with the given connections, no poll running.")
                p("")
                p("| series | body | RSS idle | RSS peak under wrk | peak / idle (target <= 1.10) | requests | errors |")
                p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
                for s in r["serve"]:
                    w = s["mem"]
                    ratio = w["rss_peak_kib"] / s["rss_idle_kib"] if s["rss_idle_kib"] else float("nan")
                    p(f"| {s['series']:,} | {s['bytes'] / 2**20:.1f} MiB | {s['rss_idle_kib'] / 1024:.0f} MiB | "
                      f"{w['rss_peak_kib'] / 1024:.0f} MiB ({w['connections']} conns) | {ratio:.2f} | "
                      f"{w['requests']} | {w['non2xx'] + w['socket_errors']} |")
                p("")
                p("Latency while polling (full sync every 5 s):")
                p("")
                p("| series | connections | requests | p50 | p90 | p99 | target p99 < 50 ms | errors | "
                  "RSS peak during wrk | polls |")
                p("| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
                for s in r["serve"]:
                    for k in ("c1", "cN"):
                        w = s[k]

                        def f(v):
                            return f"{v:.1f} ms" if v is not None else "?"
                        met = "-" if w["p99_ms"] is None else ("yes" if w["p99_ms"] < 50 else "NO")
                        peak = f"{w['rss_peak_kib'] / 1024:.0f} MiB" if "rss_peak_kib" in w else "-"
                        p(f"| {s['series']:,} | {w['connections']} | {w['requests']} | "
                          f"{f(w['p50_ms'])} | {f(w['p90_ms'])} | {f(w['p99_ms'])} | {met} | "
                          f"{w['non2xx'] + w['socket_errors']} | {peak} | {s['polls']} |")
        p("")
        p(f"raw results: {self.out}/results.json")
        return "\n".join(lines)

    def run(self):
        try:
            for section in ("parser", "store", "e2e", "scrape", "serve"):
                if self.want(section):
                    getattr(self, f"run_{section}")()
        finally:
            self.cleanup()
            self.results["machine"]["loadavg_end"] = os.getloadavg()[0]
            with open(os.path.join(self.out, "results.json"), "w") as f:
                json.dump(self.results, f, indent=1, default=str)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("size", nargs="?", default="full", choices=sorted(SIZES))
    ap.add_argument("--only", help="comma-separated sections: parser,store,e2e,scrape,serve")
    ap.add_argument("--cases", help="comma-separated e2e case names (default: all of the size)")
    ap.add_argument("--out", help="directory for raw results (default: a new temp dir)")
    ap.add_argument("--report", metavar="RESULTS_JSON",
                    help="print the tables of an earlier run's results.json; runs nothing")
    args = ap.parse_args()
    if args.report:
        with open(args.report) as f:
            results = json.load(f)
        b = Bench.__new__(Bench)
        b.results, b.size = results, results.get("size", args.size)
        b.out = os.path.dirname(os.path.abspath(args.report))
        print(b.report())
        return
    b = Bench(args)
    b.run()
    table = b.report()
    print(table)
    with open(os.path.join(b.out, "table.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
