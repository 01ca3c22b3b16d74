#!/usr/bin/env python3
"""Lints Grafana dashboards against the project's conventions.

Implements the rules of Grafana's dashboard-linter that apply to a
Prometheus-only dashboard set, plus project rules:

  uid-rule                      stable uid present, valid, unique across dashboards
  no-inputs-rule                no __inputs and no ${DS_...} (dashboards are provisioned, not imported by export)
  schema-version-rule           schemaVersion present and recent (>= 36)
  template-datasource-rule      one variable 'datasource' of type datasource, query prometheus, label 'Data source'
  template-job-rule             'job' query variable: ${datasource}, label 'Job', multi, include All, allValue '.+',
                                query label_values(qualys_up, job)
  template-instance-rule        the same for 'instance': label_values(qualys_up{job=~"$job"}, instance)
  template-label-promql-rule    every other query variable: valid PromQL, ${datasource}, job and instance
                                matchers, allValue '.*' when it includes All
  panel-datasource-rule         every panel (and target) uses ${datasource}
  panel-title-description-rule  every panel has a title and a description
  panel-units-rule              every panel has a valid unit in fieldConfig.defaults.unit
  panel-no-targets-rule         every panel has at least one PromQL target
  panel-id-rule                 panel ids unique, gridPos present
  target-promql-rule            every expression parses
  target-job-rule               every selector has job=~"$job"
  target-instance-rule          every selector has instance=~"$instance"
  target-rate-interval-rule     rate()/irate() ranges are $__rate_interval; other ranges are Grafana interval
                                variables ($__rate_interval, $__interval, $__range), never fixed durations
  target-counter-agg-rule       counters and cumulative histogram series (_total, _count, _bucket, _sum) only
                                as the range argument of rate(), irate() or increase(); series known to be
                                gauge histograms (counts of what exists now) are exempt, see known_metrics.txt
  target-gauge-histogram-rule   gauge histogram series are never inside rate(), irate() or increase()
  target-metric-known-rule      every metric name is in known_metrics.txt

Usage: dashlint.py [--known known_metrics.txt] FILE.json...  (exit 1 on violations)
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
KNOWN_METRICS = os.path.join(HERE, "known_metrics.txt")

# Grafana's unit ids (grafana-data valueFormats/categories.ts), as enumerated by dashboard-linter.
VALID_UNITS = set("""
none string short percent percentunit humidity dB hex0x hex sci locale pixel
accMS2 accFS2 accG degree radian grad arcmin arcsec areaM2 areaF2 areaMI2
flops mflops gflops tflops pflops eflops zflops yflops
ppm conppb conngm3 conngNm3 conμgm3 conμgNm3 conmgm3 conmgNm3 congm3 congNm3 conmgdL conmmolL
currencyUSD currencyGBP currencyEUR currencyJPY currencyRUB currencyUAH currencyBRL currencyDKK currencyISK
currencyNOK currencySEK currencyCZK currencyCHF currencyPLN currencyBTC currencymBTC currencyμBTC currencyZAR
currencyINR currencyKRW currencyIDR currencyPHP currencyVND
bytes decbytes bits decbits kbytes deckbytes mbytes decmbytes gbytes decgbytes tbytes dectbytes pbytes decpbytes
pps binBps Bps binbps bps KiBs Kibits KBs Kbits MiBs Mibits MBs Mbits GiBs Gibits GBs Gbits TiBs Tibits TBs Tbits
PiBs Pibits PBs Pbits
dateTimeAsIso dateTimeAsIsoNoDateIfToday dateTimeAsUS dateTimeAsUSNoDateIfToday dateTimeAsLocal
dateTimeAsLocalNoDateIfToday dateTimeAsSystem dateTimeFromNow
watt kwatt megwatt gwatt mwatt Wm2 voltamp kvoltamp voltampreact kvoltampreact watth watthperkg kwatth kwattm
amph kamph mamph joule ev amp kamp mamp volt kvolt mvolt dBm ohm kohm Mohm farad µfarad nfarad pfarad ffarad
henry mhenry µhenry lumens
flowgpm flowcms flowcfs flowcfm litreh flowlpm flowmlpm lux forceNm forcekNm forceN forcekN
Hs KHs MHs GHs THs PHs EHs massmg massg masslb masskg masst
lengthmm lengthin lengthft lengthm lengthkm lengthmi
pressurembar pressurebar pressurekbar pressurepa pressurehpa pressurekpa pressurehg pressurepsi
radbq radci radgy radrad radsv radmsv radusv radrem radexpckg radr radsvh radmsvh radusvh
rotrpm rothz rotrads rotdegs celsius fahrenheit kelvin
hertz ns µs ms s m h d dtdurationms dtdurations dthms dtdhms timeticks clockms clocks
cps ops reqps rps wps iops cpm opm rpm wpm
velocityms velocitykmh velocitymph velocityknot mlitre litre m3 Nm3 dm3 gallons
bool bool_yes_no bool_on_off
""".split())

RATE_FUNCS = {"rate", "irate"}
COUNTER_FUNCS = {"rate", "irate", "increase"}
INTERVAL_VARS = {"$__rate_interval", "${__rate_interval}", "$__interval", "${__interval}", "$__range",
                 "${__range}"}
COUNTER_SUFFIXES = ("_total", "_count", "_bucket", "_sum")
UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
DS_REFS = {"${datasource}", "$datasource"}
JOB_QUERY = "label_values(qualys_up, job)"
INSTANCE_QUERY = 'label_values(qualys_up{job=~"$job"}, instance)'
NON_QUERY_PANELS = {"row", "text", "news", "dashlist", "alertlist", "annolist"}

# Values for substituting Grafana variables before handing an expression to a real parser.
DEFAULT_SUBSTITUTIONS = {
    "__rate_interval": "5m", "__interval": "1m", "__range": "1h", "__range_s": "3600",
    "__range_ms": "3600000", "__interval_ms": "60000",
}


def load_known(path=KNOWN_METRICS):
    """{metric name: kind} from known_metrics.txt ('name kind source' per line, # comments)."""
    known = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 3:
                raise ValueError(f"{path}:{n}: want 'name kind source', got {line!r}")
            known[parts[0]] = parts[1]
    return known


def substitutions(dashboard, overrides=None):
    """Values for every Grafana variable a dashboard may use: the built-in interval variables, and '.*'
    for its template variables (All; they only appear inside regex matchers)."""
    values = dict(DEFAULT_SUBSTITUTIONS)
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("name"):
            values.setdefault(v["name"], ".*")
    values.update(overrides or {})
    return values


def promtool_check(exprs, promtool="promtool"):
    """Validates PromQL with the real parser. exprs: [(where, expr with variables already substituted)].
    Returns [(where, error)]: one promtool run when all parse, one per expression otherwise."""
    import subprocess
    import tempfile

    def run(batch):
        rules = {"groups": [{"name": "dashboard-exprs", "rules": [
            {"record": f"dashboard_expr_{i}", "expr": e} for i, (_, e) in enumerate(batch)]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".rules.yml", delete=False) as f:
            json.dump(rules, f)  # JSON is YAML
        try:
            r = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True, timeout=120)
        finally:
            os.unlink(f.name)
        return r.returncode, (r.stdout + r.stderr).replace(f.name, "<rules>")

    if not exprs:
        return []
    rc, _ = run(exprs)
    if rc == 0:
        return []
    errors = []
    for item in exprs:
        rc, out = run([item])
        if rc != 0:
            errors.append((item[0], " ".join(out.split())))
    if not errors:
        errors.append(("(batch)", "promtool rejected the batch but no single expression: " + out))
    return errors


class Violation:
    def __init__(self, rule, file, where, message):
        self.rule, self.file, self.where, self.message = rule, file, where, message

    def key(self):
        return (os.path.basename(self.file), self.rule, self.where)

    def __str__(self):
        return f"{os.path.basename(self.file)}: {self.rule}: {self.where}: {self.message}"


def iter_panels(panels):
    for p in panels or []:
        yield p
        # collapsed rows carry their panels inside
        yield from iter_panels(p.get("panels"))


def ds_uid(ds):
    if isinstance(ds, dict):
        return ds.get("uid")
    return ds  # legacy string form


def variable_query(v):
    q = v.get("query")
    if isinstance(q, dict):
        q = q.get("query", "")
    return q or ""


_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(.*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\(\s*(.*)\s*\)\s*$", re.S)


def variable_promql(query):
    """The PromQL inside a Prometheus variable query, or None (label_values(label) / label_names())."""
    m = _LABEL_VALUES.match(query)
    if m:
        return m.group(1)
    m = _QUERY_RESULT.match(query)
    if m:
        return m.group(1)
    return None


def panel_exprs(dashboard):
    """(panel, target) for every PromQL target of every panel."""
    out = []
    for p in iter_panels(dashboard.get("panels")):
        for t in p.get("targets") or []:
            if "expr" in t:
                out.append((p, t))
    return out


def all_exprs(dashboard):
    """(where, expr) for panel targets and variable queries, for real-parser validation."""
    out = []
    for p, t in panel_exprs(dashboard):
        out.append((f"panel '{p.get('title', '')}' target {t.get('refId', '?')}", t["expr"]))
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            inner = variable_promql(variable_query(v))
            if inner is not None:
                out.append((f"variable '{v.get('name')}'", inner))
    return out


class Linter:
    def __init__(self, known=None):
        self.known = known if known is not None else load_known()
        self.violations = []
        self.uids = {}

    def add(self, rule, file, where, message):
        self.violations.append(Violation(rule, file, where, message))

    # ------------------------------------------------------------ dashboard level
    def lint_file(self, path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            self.add("json-rule", path, "dashboard", f"not valid JSON: {e}")
            return
        self.lint_dashboard(d, path, text)

    def lint_dashboard(self, d, path, text):
        uid = d.get("uid")
        if not isinstance(uid, str) or not UID_RE.match(uid):
            self.add("uid-rule", path, "dashboard", f"uid must be 1-40 characters [A-Za-z0-9_-], is {uid!r}")
        elif uid in self.uids:
            self.add("uid-rule", path, "dashboard", f"uid {uid!r} also used by {self.uids[uid]}")
        else:
            self.uids[uid] = os.path.basename(path)
        if not d.get("title"):
            self.add("uid-rule", path, "dashboard", "dashboard has no title")
        if "__inputs" in d or "__requires" in d:
            self.add("no-inputs-rule", path, "dashboard", "export-for-sharing fields __inputs/__requires present")
        if "${DS_" in text or "$DS_" in text:
            self.add("no-inputs-rule", path, "dashboard", "references an import-time ${DS_...} data source")
        sv = d.get("schemaVersion")
        if not isinstance(sv, int) or sv < 36:
            self.add("schema-version-rule", path, "dashboard", f"schemaVersion should be >= 36, is {sv!r}")

        variables = d.get("templating", {}).get("list", [])
        self.lint_variables(variables, path)
        self.lint_panels(d, path)

    def lint_variables(self, variables, path):
        by_name = {}
        for v in variables:
            by_name.setdefault(v.get("name"), v)
        ds_vars = [v for v in variables if v.get("type") == "datasource"]
        if len(ds_vars) != 1:
            self.add("template-datasource-rule", path, "dashboard",
                     f"want exactly one data source variable, found {len(ds_vars)}")
        for v in ds_vars:
            if v.get("name") != "datasource":
                self.add("template-datasource-rule", path, f"variable '{v.get('name')}'",
                         "data source variable must be named 'datasource'")
            if v.get("query") != "prometheus":
                self.add("template-datasource-rule", path, f"variable '{v.get('name')}'",
                         f"data source variable must select prometheus, selects {v.get('query')!r}")
            if v.get("label") != "Data source":
                self.add("template-datasource-rule", path, f"variable '{v.get('name')}'",
                         f"data source variable should be labeled 'Data source', is {v.get('label')!r}")

        for name, want_query in (("job", JOB_QUERY), ("instance", INSTANCE_QUERY)):
            rule = f"template-{name}-rule"
            v = by_name.get(name)
            if v is None:
                self.add(rule, path, "dashboard", f"is missing the {name} template variable")
                continue
            where = f"variable '{name}'"
            if ds_uid(v.get("datasource")) not in DS_REFS:
                self.add(rule, path, where, f"should use data source ${{datasource}}, uses {v.get('datasource')!r}")
            if v.get("type") != "query":
                self.add(rule, path, where, f"should be a Prometheus query variable, is {v.get('type')!r}")
            if v.get("label") != name.title():
                self.add(rule, path, where, f"should be labeled {name.title()!r}, is {v.get('label')!r}")
            if not v.get("multi"):
                self.add(rule, path, where, "should be a multi select")
            if not v.get("includeAll"):
                self.add(rule, path, where, "should include All")
            if v.get("allValue") != ".+":
                self.add(rule, path, where, f"allValue should be '.+', is {v.get('allValue')!r}")
            q = variable_query(v)
            if re.sub(r"\s+", "", q) != re.sub(r"\s+", "", want_query):
                self.add(rule, path, where, f"query should be {want_query!r}, is {q!r}")

        for v in variables:
            if v.get("type") != "query" or v.get("name") in ("job", "instance"):
                continue
            where = f"variable '{v.get('name')}'"
            rule = "template-label-promql-rule"
            if ds_uid(v.get("datasource")) not in DS_REFS:
                self.add(rule, path, where, f"should use data source ${{datasource}}, uses {v.get('datasource')!r}")
            if v.get("includeAll") and v.get("allValue") != ".*":
                self.add(rule, path, where, f"allValue should be '.*' (series whose label is empty must stay "
                         f"selected, e.g. vnet on older tenants), is {v.get('allValue')!r}")
            q = variable_query(v)
            inner = variable_promql(q)
            if inner is None:
                self.add(rule, path, where, f"query is not label_values(<selector>, label) or query_result(...): {q!r}")
                continue
            try:
                node = promql.parse(inner)
            except promql.ParseError as e:
                self.add(rule, path, where, f"invalid PromQL {inner!r}: {e}")
                continue
            for sel, _ in promql.selectors(node):
                self.check_matchers(sel, path, where, inner, rule_prefix=rule)
                self.check_known(sel, path, where)

    # ------------------------------------------------------------ panels
    def lint_panels(self, d, path):
        ids = {}
        for p in iter_panels(d.get("panels")):
            title = p.get("title") or ""
            ptype = p.get("type")
            where = f"panel '{title}'" if title else f"panel id {p.get('id')}"
            pid = p.get("id")
            if not isinstance(pid, int):
                self.add("panel-id-rule", path, where, f"panel id should be an integer, is {pid!r}")
            elif pid in ids:
                self.add("panel-id-rule", path, where, f"panel id {pid} also used by {ids[pid]}")
            else:
                ids[pid] = where
            if not isinstance(p.get("gridPos"), dict):
                self.add("panel-id-rule", path, where, "panel has no gridPos")
            if ptype == "row":
                if not title:
                    self.add("panel-title-description-rule", path, where, "row has no title")
                continue
            if not title or not (p.get("description") or "").strip():
                self.add("panel-title-description-rule", path, where,
                         f"missing title or description (title {title!r}, description {p.get('description')!r})")
            self.check_units(p, path, where)
            if ptype in NON_QUERY_PANELS:
                continue
            if ds_uid(p.get("datasource")) not in DS_REFS:
                self.add("panel-datasource-rule", path, where,
                         f"does not use the templated data source, uses {p.get('datasource')!r}")
            targets = [t for t in p.get("targets") or [] if "expr" in t]
            if not targets:
                self.add("panel-no-targets-rule", path, where, "panel has no PromQL targets")
            refs = set()
            for t in p.get("targets") or []:
                twhere = f"{where} target {t.get('refId', '?')}"
                if t.get("refId") in refs:
                    self.add("panel-no-targets-rule", path, twhere, "duplicate refId")
                refs.add(t.get("refId"))
                if "datasource" in t and ds_uid(t.get("datasource")) not in DS_REFS:
                    self.add("panel-datasource-rule", path, twhere,
                             f"target does not use the templated data source, uses {t.get('datasource')!r}")
                if "expr" in t:
                    self.lint_expr(t["expr"], path, twhere)

    def promtool_file(self, path, promtool="promtool"):
        """target-promql-rule through `promtool check rules` (the real PromQL parser)."""
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, json.JSONDecodeError):
            return  # reported by lint_file
        values = substitutions(d)
        batch = []
        for where, expr in all_exprs(d):
            try:
                batch.append((where, promql.substitute(expr, values)))
            except KeyError as e:
                self.add("target-promql-rule", path, where, f"unknown variable ${e.args[0]} in {expr!r}")
        for where, err in promtool_check(batch, promtool):
            self.add("target-promql-rule", path, where, f"promtool: {err}")

    def check_units(self, p, path, where):
        unit = (p.get("fieldConfig") or {}).get("defaults", {}).get("unit")
        if not unit or unit not in VALID_UNITS:
            self.add("panel-units-rule", path, where, f"no or invalid unit in fieldConfig.defaults.unit: {unit!r}")
        for o in (p.get("fieldConfig") or {}).get("overrides", []):
            for prop in o.get("properties", []):
                if prop.get("id") == "unit" and prop.get("value") not in VALID_UNITS:
                    self.add("panel-units-rule", path, where, f"invalid unit in override: {prop.get('value')!r}")

    # ------------------------------------------------------------ expressions
    def lint_expr(self, expr, path, where):
        try:
            node = promql.parse(expr)
        except promql.ParseError as e:
            self.add("target-promql-rule", path, where, f"invalid PromQL {expr!r}: {e}")
            return
        for sel, parents in promql.selectors(node):
            self.check_matchers(sel, path, where, expr)
            self.check_known(sel, path, where)
            self.check_counter(sel, parents, path, where)
        for n, parents in promql.walk(node):
            if n.kind == "matrix":
                call = parents[-1] if parents and parents[-1].kind == "call" else None
                if call is not None and call.name in RATE_FUNCS:
                    if n.range not in ("$__rate_interval", "${__rate_interval}"):
                        self.add("target-rate-interval-rule", path, where,
                                 f"{call.name}() should use [$__rate_interval], uses [{n.range}]")
                elif n.range not in INTERVAL_VARS:
                    fn = call.name + "()" if call is not None else "a range selector"
                    self.add("target-rate-interval-rule", path, where,
                             f"{fn} should use a Grafana interval variable ($__rate_interval, $__interval or "
                             f"$__range), uses [{n.range}]")
            elif n.kind == "subquery":
                self.add("target-rate-interval-rule", path, where,
                         f"subquery [{n.range}]: use a recording rule or a plain range selector")

    def check_matchers(self, sel, path, where, expr, rule_prefix=None):
        for label in ("job", "instance"):
            rule = rule_prefix or f"target-{label}-rule"
            want = (label, "=~", f"${label}")
            if want not in sel.matchers:
                self.add(rule, path, where, f"selector {sel.name or ''}{{...}} lacks {label}=~\"${label}\" in {expr!r}")

    def check_known(self, sel, path, where):
        if sel.name is None:
            self.add("target-metric-known-rule", path, where, "selector without a metric name")
        elif sel.name not in self.known:
            self.add("target-metric-known-rule", path, where,
                     f"metric {sel.name!r} is not in known_metrics.txt (the metric contract)")

    def check_counter(self, sel, parents, path, where):
        name = sel.name or ""
        kind = self.known.get(name)
        cumulative = kind in ("counter", "histogram") or (kind is None and name.endswith(COUNTER_SUFFIXES))
        inside_counter_func = (len(parents) >= 2 and parents[-1].kind == "matrix" and parents[-2].kind == "call"
                               and parents[-2].name in COUNTER_FUNCS)
        if kind == "gaugehistogram" and inside_counter_func:
            self.add("target-gauge-histogram-rule", path, where,
                     f"{name!r} counts what exists now (a gauge histogram): read it directly, not through "
                     f"{parents[-2].name}()")
        if not cumulative:
            return
        if not inside_counter_func:
            self.add("target-counter-agg-rule", path, where,
                     f"counter {name!r} must be the range argument of rate(), irate() or increase()")


def main(argv):
    known = KNOWN_METRICS
    files = []
    it = iter(argv)
    for a in it:
        if a == "--known":
            known = next(it)
        else:
            files.append(a)
    linter = Linter(load_known(known))
    for f in files:
        linter.lint_file(f)
        linter.promtool_file(f)
    for v in linter.violations:
        print(v)
    return 1 if linter.violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
