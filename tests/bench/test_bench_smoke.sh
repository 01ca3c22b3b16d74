#!/usr/bin/env bash
# The benchmarks run end to end at small sizes (scripts/bench small): parser
# bench, store bench, exporter --once vs qualys-sim (full + steady-state
# poll), scrape bench, and the wrk run when wrk is installed. Checks that
# each produced results; no timing assertions (CI machines vary).
set -euo pipefail
: "${QX_BIN:?}" "${QX_SRC:?}"
if [[ ! -x $QX_BIN/qx-parser-bench ]] && grep -qs '^QX_BENCH:BOOL=OFF' "${QX_BUILD:-}/CMakeCache.txt"; then
  echo "bench smoke: skipped, this build has QX_BENCH=OFF"
  exit 0
fi
out=$(mktemp -d /tmp/qx-bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT

if ! QX_BIN="$QX_BIN" timeout 110 "$QX_SRC/scripts/bench" small --out="$out" >"$out/table.txt"; then
  echo "scripts/bench small failed" >&2
  cat "$out/table.txt" >&2 || true
  for f in "$out"/*.log; do echo "== $f" >&2; tail -20 "$f" >&2; done
  exit 1
fi
cat "$out/table.txt"

python3 - "$out/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)
rows = r.get("parser", {}).get("rows", [])
check(len(rows) == 2 and all(x["parser_mb_s"] > 0 and x["floor_mb_s"] > 0 for x in rows), "parser rows")
check(r.get("store") and all(s["hosts"] > 0 and s["state_bytes"] > 0 for s in r["store"]), "store rows")
for c in r.get("e2e", []):
    for run in ("full", "steady"):
        x = c[run]
        check(x["rc"] == 0 and x["up"] == 1, f"{c['name']} {run}: exporter failed")
        check(x["peak_rss_kib"] > 0 and x["state_bytes"] > 0, f"{c['name']} {run}: no RSS/state")
    want = c["hosts"] or c["was_findings"]
    got = c["full"]["records"]["hostasset" if c["hosts"] else "was_finding"]
    check(got == want, f"{c['name']}: full sync fetched {got} of {want}")
check(len(r.get("e2e", [])) == 2, "e2e cases")
check(r.get("scrape") and all(s["scrapes"] > 0 and s["lines"] > s["series"] * 0.9 for s in r["scrape"]), "scrape rows")
check(any(s.get("gzip") for s in r.get("scrape", [])), "scrape: no gzip row")
serve = r.get("serve")
if isinstance(serve, list):
    for s in serve:
        check(s["series"] > 0 and s["c1"]["requests"] > 0 and s["cN"]["requests"] > 0, "serve rows")
        check(s["mem"]["requests"] > 0 and s["rss_idle_kib"] > 0 and s["mem"]["rss_peak_kib"] > 0, "serve: memory row")
        for k in ("c1", "cN", "mem"):
            check(s[k]["non2xx"] == 0 and s[k]["socket_errors"] == 0, f"serve {k}: errors or non-2xx answers")
if errors:
    print("bench smoke: " + "; ".join(errors), file=sys.stderr)
    sys.exit(1)
print("bench smoke: all benchmarks ran")
PY
