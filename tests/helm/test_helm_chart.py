"""The Helm chart deploy/helm/qualys-exporter: lint, render with every ci/
values file, check what the rendered objects promise (no credentials on the
command line, one replica with Recreate, hardened security contexts, stable
selectors, rules and dashboards taken unchanged from the project's own files),
check that values.schema.json rejects bad values, and validate every rendered
object against the Kubernetes and prometheus-operator schemas.

Tools (installed by scripts/bootstrap, see scripts/bootstrap.d/):
  tools/bin/helm                 10-helm
  tools/k8s-validate             20-k8s-validate (kubernetes-models and
                                 @kubernetes-models/prometheus-operator)
A missing tool is a failure, never a skip.
"""
import base64
import glob
import json
import os
import re
import subprocess
import tarfile
import tempfile
import unittest

import yaml

SRC = os.environ.get("QX_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
HELM = os.path.join(SRC, "tools", "bin", "helm")
CHART = os.path.join(SRC, "deploy", "helm", "qualys-exporter")
CI_DIR = os.path.join(CHART, "ci")
RULES_DIR = os.path.join(SRC, "deploy", "prometheus", "rules")
DASHBOARDS_DIR = os.path.join(SRC, "dashboards")
VALIDATOR = os.path.join(SRC, "tests", "helm", "validator", "validate.mjs")
VALIDATOR_MODULES = os.path.join(SRC, "tools", "k8s-validate", "node_modules")
KUBE_VERSION = "1.31.0"
RELEASE = "qx"
NAMESPACE = "monitoring-test"

# Secret values that must never show up in plain text in a rendered manifest.
CANARY_USER = "canary-user-7f3a"
CANARY_PASSWORD = "canary-P4ss-9d2e!"


def helm(*args, check=True):
    """Runs helm; returns (rc, stdout, stderr without helm's symlink notices)."""
    p = subprocess.run([HELM, *args], capture_output=True, text=True, timeout=120)
    # The chart reaches the rules and dashboards through symlinks; helm notes
    # each one it follows on stderr ("found symbolic link in path").
    err = "\n".join(l for l in p.stderr.splitlines() if "found symbolic link in path" not in l)
    if check and p.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed ({p.returncode}):\n{err}\n{p.stdout}")
    return p.returncode, p.stdout, err


def template(*extra, chart=CHART):
    _, out, _ = helm("template", RELEASE, chart, "--namespace", NAMESPACE,
                     "--kube-version", KUBE_VERSION, *extra)
    return [d for d in yaml.safe_load_all(out) if d]


def ci_files():
    return sorted(glob.glob(os.path.join(CI_DIR, "*-values.yaml")))


def rule_files():
    """The Prometheus rule files: *.yml / *.yaml with a top-level groups key
    (others, such as promtool unit test files, are not rule files)."""
    out = []
    for f in sorted(glob.glob(os.path.join(RULES_DIR, "*"))):
        if f.endswith((".yml", ".yaml")) and os.path.isfile(f):
            with open(f) as fh:
                doc = yaml.safe_load(fh)
            if isinstance(doc, dict) and "groups" in doc:
                out.append(f)
    return out


def dashboard_files():
    return sorted(f for f in glob.glob(os.path.join(DASHBOARDS_DIR, "*.json")) if os.path.isfile(f))


def by_kind(objs, kind):
    return [o for o in objs if o.get("kind") == kind]


def one(objs, kind):
    found = by_kind(objs, kind)
    if len(found) != 1:
        raise AssertionError(f"expected one {kind}, found {len(found)}")
    return found[0]


def pod_specs(objs):
    """(name, pod spec) of every workload and bare pod."""
    for o in objs:
        if o["kind"] == "Deployment":
            yield o["metadata"]["name"], o["spec"]["template"]["spec"]
        elif o["kind"] == "Pod":
            yield o["metadata"]["name"], o["spec"]


def validate(objs):
    """Runs the schema validator on objs; returns (rc, output lines)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(objs, f)
    try:
        p = subprocess.run(["node", VALIDATOR, "--modules", VALIDATOR_MODULES, f.name],
                           capture_output=True, text=True, timeout=120)
    finally:
        os.unlink(f.name)
    if p.returncode not in (0, 1):
        raise AssertionError(f"validator error ({p.returncode}):\n{p.stderr}\n{p.stdout}")
    return p.returncode, p.stdout.splitlines()


def setUpModule():
    problems = []
    if not os.access(HELM, os.X_OK):
        problems.append(f"{HELM} is missing: run scripts/bootstrap (scripts/bootstrap.d/10-helm installs it)")
    if not os.path.isfile(os.path.join(VALIDATOR_MODULES, "kubernetes-models", "package.json")):
        problems.append(f"{VALIDATOR_MODULES} is missing: run scripts/bootstrap "
                        "(scripts/bootstrap.d/20-k8s-validate installs it)")
    if subprocess.run(["node", "--version"], capture_output=True).returncode != 0:
        problems.append("node is missing (scripts/bootstrap.d/20-k8s-validate installs it)")
    # The chart reads these through symlinks; helm refuses a dangling one.
    for link, target in (("files/rules", RULES_DIR), ("files/dashboards", DASHBOARDS_DIR)):
        path = os.path.join(CHART, link)
        if not os.path.islink(path):
            problems.append(f"{path} must be a symlink to {target}")
        elif os.path.realpath(path) != os.path.realpath(target):
            problems.append(f"{path} points to {os.path.realpath(path)}, not {target}")
        elif not os.path.isdir(target):
            problems.append(f"{target} is missing: the chart's {link} symlink points there")
    if not rule_files():
        problems.append(f"no rule files in {RULES_DIR}: the PrometheusRule takes its rules from there")
    if not dashboard_files():
        problems.append(f"no dashboards in {DASHBOARDS_DIR}: the dashboard ConfigMaps come from there")
    if problems:
        raise RuntimeError("helm chart tests cannot run:\n  " + "\n  ".join(problems))


class Rendered:
    """Renders every ci/ values file once."""
    cache = {}

    @classmethod
    def get(cls, ci):
        if ci not in cls.cache:
            cls.cache[ci] = template("-f", ci)
        return cls.cache[ci]

    @classmethod
    def all(cls):
        return {os.path.basename(f): cls.get(f) for f in ci_files()}


class ChartLint(unittest.TestCase):
    def test_ci_values_files_present(self):
        names = {os.path.basename(f) for f in ci_files()}
        for want in ("default-values.yaml", "existing-secret-values.yaml", "with-monitoring-values.yaml",
                     "persistence-values.yaml", "networkpolicy-values.yaml", "registry-values.yaml",
                     # the web config combinations: plain is every file above
                     "web-tls-values.yaml", "web-tls-basicauth-values.yaml", "web-mtls-values.yaml"):
            self.assertIn(want, names)

    def test_lint_strict_every_ci_values_file(self):
        for ci in ci_files():
            with self.subTest(ci=os.path.basename(ci)):
                rc, out, err = helm("lint", "--strict", CHART, "-f", ci, "--kube-version", KUBE_VERSION,
                                    check=False)
                self.assertEqual(rc, 0, f"{out}\n{err}")
                self.assertNotRegex(out, r"\[(WARNING|ERROR)\]")

    def test_chart_metadata(self):
        with open(os.path.join(CHART, "Chart.yaml")) as f:
            chart = yaml.safe_load(f)
        self.assertEqual(chart["apiVersion"], "v2")
        for key in ("name", "version", "appVersion", "kubeVersion", "maintainers", "description"):
            self.assertTrue(chart.get(key), key)
        self.assertIsInstance(chart["appVersion"], str)
        with open(os.path.join(SRC, "CMakeLists.txt")) as f:
            m = re.search(r"project\(qualys_exporter VERSION ([0-9.]+)", f.read())
        if m:
            self.assertEqual(chart["appVersion"], m.group(1), "appVersion follows the CMake project version")


class RenderedObjects(unittest.TestCase):
    def test_every_ci_file_renders_the_core_objects(self):
        for name, objs in Rendered.all().items():
            with self.subTest(ci=name):
                kinds = {o["kind"] for o in objs}
                self.assertLessEqual({"Deployment", "Service", "ServiceAccount", "Pod"}, kinds)
                for o in objs:
                    labels = o["metadata"].get("labels", {})
                    for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                                "app.kubernetes.io/managed-by", "helm.sh/chart"):
                        self.assertIn(key, labels, f"{o['kind']}/{o['metadata']['name']}")
                    if o["kind"] != "Pod":
                        self.assertIn("app.kubernetes.io/version", labels)
                    self.assertEqual(o["metadata"].get("namespace"), NAMESPACE)

    def test_single_replica_recreate(self):
        for name, objs in Rendered.all().items():
            with self.subTest(ci=name):
                d = one(objs, "Deployment")
                self.assertEqual(d["spec"]["replicas"], 1)
                self.assertEqual(d["spec"]["strategy"], {"type": "Recreate"})
        # There is no knob for more replicas.
        for bad in ("replicaCount=2", "replicas=2"):
            rc, _, err = helm("template", RELEASE, CHART, "-f", ci_files()[0], "--set", bad, check=False)
            self.assertNotEqual(rc, 0, bad)
            self.assertIn("Additional property", err)

    def test_selectors_stable_across_values_files(self):
        selectors = {}
        for name, objs in Rendered.all().items():
            d = one(objs, "Deployment")
            sel = d["spec"]["selector"]["matchLabels"]
            self.assertEqual(sel, {"app.kubernetes.io/name": "qualys-exporter",
                                   "app.kubernetes.io/instance": RELEASE}, name)
            pod_labels = d["spec"]["template"]["metadata"]["labels"]
            self.assertLessEqual(sel.items(), pod_labels.items(), name)
            self.assertEqual(one(objs, "Service")["spec"]["selector"], sel, name)
            for sm in by_kind(objs, "ServiceMonitor"):
                self.assertEqual(sm["spec"]["selector"]["matchLabels"], sel, name)
            for np in by_kind(objs, "NetworkPolicy"):
                self.assertEqual(np["spec"]["podSelector"]["matchLabels"], sel, name)
            # The test pod must not be picked by the Service.
            test_pod = one(objs, "Pod")
            self.assertFalse(sel.items() <= test_pod["metadata"]["labels"].items(), name)
            selectors[name] = sel
        # Values that change other labels leave the selector alone.
        objs = template("-f", ci_files()[0], "--set", "commonLabels.team=sec", "--set-string", "image.tag=9.9.9",
                        "--set", "podLabels.extra=x")
        self.assertEqual(one(objs, "Deployment")["spec"]["selector"]["matchLabels"],
                         next(iter(selectors.values())))

    def test_security_context_hardening(self):
        for name, objs in Rendered.all().items():
            for pod_name, spec in pod_specs(objs):
                with self.subTest(ci=name, pod=pod_name):
                    psc = spec.get("securityContext", {})
                    self.assertIs(psc.get("runAsNonRoot"), True)
                    self.assertEqual(psc.get("runAsUser"), 65534)
                    self.assertEqual(psc.get("seccompProfile"), {"type": "RuntimeDefault"})
                    self.assertIs(spec.get("automountServiceAccountToken"), False)
                    for c in spec["containers"]:
                        sc = c.get("securityContext", {})
                        self.assertIs(sc.get("readOnlyRootFilesystem"), True, c["name"])
                        self.assertIs(sc.get("allowPrivilegeEscalation"), False, c["name"])
                        self.assertEqual(sc.get("capabilities", {}).get("drop"), ["ALL"], c["name"])
                        self.assertIn("resources", c)
            d = one(objs, "Deployment")
            c = d["spec"]["template"]["spec"]["containers"][0]
            self.assertEqual(c["securityContext"].get("runAsUser"), 65534)
            self.assertIs(c["securityContext"].get("runAsNonRoot"), True)
            self.assertEqual(c["securityContext"].get("seccompProfile"), {"type": "RuntimeDefault"})

    def test_exporter_container(self):
        for name, objs in Rendered.all().items():
            with self.subTest(ci=name):
                spec = one(objs, "Deployment")["spec"]["template"]["spec"]
                c = spec["containers"][0]
                self.assertIn("--state.dir=/var/lib/qualys-exporter", c["args"])
                self.assertIn("--web.listen-address=:9786", c["args"])
                self.assertEqual(c["ports"], [{"name": "http-metrics", "containerPort": 9786, "protocol": "TCP"}])
                self.assertIn("--log.level=debug" if "basicauth" in name else "--log.level=info", c["args"])
                self.assertEqual(len([a for a in c["args"] if a.startswith("--log.format=")]), 1)
                # Probes: /-/healthy and /-/ready without credentials; HTTPS
                # with TLS; TCP when client certificates are required.
                live, ready = c["livenessProbe"], c["readinessProbe"]
                if name == "web-mtls-values.yaml":
                    self.assertEqual(live["tcpSocket"], {"port": "http-metrics"})
                    self.assertEqual(ready["tcpSocket"], {"port": "http-metrics"})
                    self.assertNotIn("httpGet", live)
                else:
                    scheme = "HTTPS" if name.startswith("web-") else "HTTP"
                    self.assertEqual(live["httpGet"], {"path": "/-/healthy", "port": "http-metrics", "scheme": scheme})
                    self.assertEqual(ready["httpGet"], {"path": "/-/ready", "port": "http-metrics", "scheme": scheme})
                for probe in (live, ready):
                    self.assertNotIn("httpHeaders", probe.get("httpGet", {}), "probes send no credentials")
                    self.assertGreaterEqual(probe["periodSeconds"], 10)
                self.assertIs(one(objs, "Service")["spec"]["publishNotReadyAddresses"], True)
                mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
                self.assertEqual(mounts.get("/var/lib/qualys-exporter"), "state")
                vols = {v["name"]: v for v in spec["volumes"]}
                if name == "persistence-values.yaml":
                    claim = vols["state"]["persistentVolumeClaim"]["claimName"]
                    pvc = one(objs, "PersistentVolumeClaim")
                    self.assertEqual(pvc["metadata"]["name"], claim)
                    self.assertEqual(pvc["spec"]["resources"]["requests"]["storage"], "2Gi")
                else:
                    self.assertIn("emptyDir", vols["state"])
                    self.assertFalse(by_kind(objs, "PersistentVolumeClaim"))
                svc = one(objs, "Service")
                self.assertEqual([p["name"] for p in svc["spec"]["ports"]], ["http-metrics"])


class Credentials(unittest.TestCase):
    def assert_no_secret_in_commands(self, objs, secrets):
        for pod_name, spec in pod_specs(objs):
            for c in spec["containers"] + spec.get("initContainers", []):
                argv = [*c.get("command", []), *c.get("args", [])]
                for a in argv:
                    self.assertNotRegex(a, r"^--?qualys[._-](username|password)(=|$)", f"{pod_name}: {a}")
                    for s in secrets:
                        self.assertNotIn(s, a, f"{pod_name}: secret material in argv")
                for e in c.get("env", []):
                    if e["name"] in ("QUALYS_USERNAME", "QUALYS_PASSWORD"):
                        self.assertNotIn("value", e, f"{pod_name}: {e['name']} given inline")

    def exporter_env(self, objs):
        c = one(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
        return {e["name"]: e for e in c.get("env", [])}

    def test_ci_files_no_secret_in_args_env_from_secret(self):
        for name, objs in Rendered.all().items():
            with self.subTest(ci=name):
                with open(os.path.join(CI_DIR, name)) as f:
                    values = yaml.safe_load(f) or {}
                q = values.get("qualys", {})
                secrets = [s for s in (q.get("username"), q.get("password")) if s]
                self.assert_no_secret_in_commands(objs, secrets)
                env = self.exporter_env(objs)
                want_secret = q.get("existingSecret") or f"{RELEASE}-qualys-exporter"
                keys = {"QUALYS_USERNAME": "username", "QUALYS_PASSWORD": "password"}
                keys_override = q.get("existingSecretKeys", {})
                for var, key in keys.items():
                    ref = env[var]["valueFrom"]["secretKeyRef"]
                    self.assertEqual(ref["name"], want_secret)
                    self.assertEqual(ref["key"], keys_override.get(key, key))
                secrets_objs = [o for o in by_kind(objs, "Secret") if not o["metadata"]["name"].endswith("-web-config")]
                if q.get("existingSecret"):
                    self.assertEqual(secrets_objs, [], "no Secret is created with existingSecret")
                else:
                    self.assertEqual([s["metadata"]["name"] for s in secrets_objs], [want_secret])

    def test_chart_created_secret_holds_credentials_nothing_else_shows_them(self):
        rc, out, _ = helm("template", RELEASE, CHART, "--namespace", NAMESPACE, "--set-string",
                          f"qualys.username={CANARY_USER}", "--set-string", f"qualys.password={CANARY_PASSWORD}")
        self.assertEqual(rc, 0)
        # Plain text nowhere in the manifests (the Secret holds it base64-encoded).
        self.assertNotIn(CANARY_USER, out)
        self.assertNotIn(CANARY_PASSWORD, out)
        objs = [d for d in yaml.safe_load_all(out) if d]
        secret = one(objs, "Secret")
        self.assertEqual(base64.b64decode(secret["data"]["username"]).decode(), CANARY_USER)
        self.assertEqual(base64.b64decode(secret["data"]["password"]).decode(), CANARY_PASSWORD)
        self.assert_no_secret_in_commands(objs, [CANARY_USER, CANARY_PASSWORD])
        env = self.exporter_env(objs)
        self.assertEqual(env["QUALYS_PASSWORD"]["valueFrom"]["secretKeyRef"],
                         {"name": secret["metadata"]["name"], "key": "password"})
        # A password change rolls the pod.
        ann = one(objs, "Deployment")["spec"]["template"]["metadata"]["annotations"]
        self.assertIn("checksum/secret", ann)

    def test_missing_credentials_fail(self):
        rc, _, err = helm("template", RELEASE, CHART, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("Qualys credentials missing", err)

    def test_existing_secret_and_inline_credentials_conflict(self):
        rc, _, err = helm("template", RELEASE, CHART, "--set", "qualys.existingSecret=s",
                          "--set", "qualys.password=p", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("existingSecret", err)

    def test_demo_mode_needs_no_credentials(self):
        objs = template("--set", "demo=true")
        c = one(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
        self.assertIn("--demo", c["args"])
        self.assertEqual(by_kind(objs, "Secret"), [])
        self.assertNotIn("env", c)


class ValuesSchema(unittest.TestCase):
    BAD = [
        ("--set", "image.tag=123"),  # a number, not a string
        ("--set", "image.pullPolicy=Sometimes"),
        ("--set", "poll.interval=30"),
        ("--set", "poll.interval=soon"),
        ("--set", "recurrence.minScans=0"),
        ("--set", "recurrence.minScans=two"),
        ("--set", "service.port=0"),
        ("--set", "web.port=70000"),
        ("--set", "web.telemetryPath=metrics"),
        ("--set", "serviceMonitor.enabled=yes"),
        ("--set", "serviceMonitor.interval=1 minute"),
        ("--set", "qualys.url=qualysapi.qualys.com"),
        ("--set", "persistence.accessModes[0]=RWO"),
        ("--set", "persistence.size=lots"),
        ("--set", "extraArgs[0]=--qualys.password=hunter2"),
        ("--set", "extraArgs[0]=-qualys_password=hunter2"),
        ("--set", "extraArgs[0]=--qualys.username=someone"),
        ("--set", "extraArgs[0]=positional"),
        ("--set", "extraEnv[0].name=QUALYS_PASSWORD"),
        ("--set", "dashboards.labelValue=1"),
        ("--set", "resources.cpu=1"),
        ("--set", "unknownTopLevel=1"),
        ("--set", "livenessProbe.httpGett.path=/"),
        ("--set", "log.level=trace"),
        ("--set", "log.format=text"),
        ("--set", "image.registry=https://registry.example.com"),
        ("--set", "global.imageRegistry=registry.example.com/path"),
        ("--set", "webConfig.config=tls.yml"),
        ("--set", "webConfig.config.tls_config.cert_file=/x"),
        ("--set", "webConfig.config.basic_auth_users.prometheus=plaintext-password"),
        ("--set", "webConfig.tls=yes"),
        ("--set", "webConfig.existingSecret=Not_A_Name"),
        ("--set", "serviceMonitor.scheme=ftp"),
        ("--set", "serviceMonitor.tlsConfig.caa.secret.name=x"),
        ("--set", "serviceMonitor.basicAuth.secret=x"),
        ("--set", "prometheusRule.disabled.QualysDataStale=yes"),
        ("--set", "prometheusRule.runbookUrlBase=wiki/runbooks"),
        ("--set", "prometheusRule.extraRules[0].expr=up"),
        ("--set", "extraEnvFrom[0].secret.name=x"),
        ("--set", "tests.tls.caFile=/ca.crt"),
        ("--set", "service.publishNotReadyAddresses=no"),
    ]

    def test_schema_rejects_bad_values(self):
        base = ["-f", os.path.join(CI_DIR, "default-values.yaml")]
        for bad in self.BAD:
            with self.subTest(bad=bad[1]):
                rc, out, err = helm("template", RELEASE, CHART, *base, *bad, check=False)
                self.assertNotEqual(rc, 0, f"accepted {bad}:\n{out[:500]}")
                self.assertIn("don't meet the specifications of the schema", err)

    def test_schema_accepts_good_overrides(self):
        template("-f", os.path.join(CI_DIR, "default-values.yaml"), "--set-string", "image.tag=123",
                 "--set", "poll.interval=1h30m", "--set", "extraArgs[0]=--qualys.timeout=600s",
                 "--set", "extraArgs[1]=--qualys.password-file=/secrets/p",
                 "--set", "image.digest=sha256:" + "a" * 64)

    def test_lint_rejects_bad_values_too(self):
        rc, out, err = helm("lint", "--strict", CHART, "-f", os.path.join(CI_DIR, "default-values.yaml"),
                            "--set", "image.tag=123", check=False)
        self.assertNotEqual(rc, 0, out)


class MonitoringObjects(unittest.TestCase):
    def monitoring(self):
        return Rendered.get(os.path.join(CI_DIR, "with-monitoring-values.yaml"))

    def test_off_by_default(self):
        objs = Rendered.get(os.path.join(CI_DIR, "default-values.yaml"))
        kinds = {o["kind"] for o in objs}
        self.assertFalse(kinds & {"ServiceMonitor", "PrometheusRule", "NetworkPolicy", "ConfigMap",
                                  "PersistentVolumeClaim"})

    def test_service_monitor(self):
        sm = one(self.monitoring(), "ServiceMonitor")
        self.assertEqual(sm["metadata"]["labels"].get("release"), "kube-prometheus-stack")
        ep = sm["spec"]["endpoints"]
        self.assertEqual(len(ep), 1)
        self.assertEqual(ep[0]["port"], "http-metrics")
        self.assertEqual(ep[0]["path"], "/metrics")
        self.assertEqual((ep[0]["interval"], ep[0]["scrapeTimeout"]), ("2m", "60s"))
        self.assertEqual(sm["spec"]["namespaceSelector"], {"matchNames": [NAMESPACE]})
        # job="qualys-exporter" whatever the release is called.
        self.assertEqual(sm["spec"]["jobLabel"], "app.kubernetes.io/name")
        svc = one(self.monitoring(), "Service")
        self.assertEqual(svc["metadata"]["labels"][sm["spec"]["jobLabel"]], "qualys-exporter")

    def test_prometheus_rule_groups_equal_source_files(self):
        pr = one(self.monitoring(), "PrometheusRule")
        want = []
        for f in rule_files():
            with open(f) as fh:
                doc = yaml.safe_load(fh)
            self.assertIsInstance(doc.get("groups"), list, f)
            want.extend(doc["groups"])
        self.assertTrue(want)
        self.assertEqual(pr["spec"]["groups"], want)
        self.assertEqual(pr["metadata"]["labels"].get("release"), "kube-prometheus-stack")

    def test_dashboard_configmaps_byte_identical(self):
        objs = self.monitoring()
        cms = by_kind(objs, "ConfigMap")
        files = dashboard_files()
        self.assertEqual(len(cms), len(files))
        found = {}
        for cm in cms:
            self.assertEqual(cm["metadata"]["labels"].get("grafana_dashboard"), "1")
            self.assertEqual(cm["metadata"]["annotations"].get("grafana_folder"), "Security")
            self.assertEqual(len(cm["data"]), 1)
            (key, value), = cm["data"].items()
            found[key] = value
            self.assertLessEqual(len(cm["metadata"]["name"]), 253)
            self.assertRegex(cm["metadata"]["name"], r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
        for f in files:
            with open(f, "rb") as fh:
                raw = fh.read()
            name = os.path.basename(f)
            self.assertIn(name, found)
            self.assertEqual(found[name].encode("utf-8"), raw, f"{name} is not byte-identical")
            json.loads(raw)  # and is JSON

    def test_dashboard_label_configurable(self):
        objs = template("-f", os.path.join(CI_DIR, "with-monitoring-values.yaml"),
                        "--set", "dashboards.label=my_dashboards", "--set-string", "dashboards.labelValue=yes")
        for cm in by_kind(objs, "ConfigMap"):
            self.assertEqual(cm["metadata"]["labels"].get("my_dashboards"), "yes")
            self.assertNotIn("grafana_dashboard", cm["metadata"]["labels"])

    def test_packaged_chart_embeds_the_source_files(self):
        with tempfile.TemporaryDirectory() as d:
            helm("package", CHART, "--destination", d)
            (tgz,) = glob.glob(os.path.join(d, "*.tgz"))
            with tarfile.open(tgz) as t:
                members = {m.name: m for m in t.getmembers()}
                for f in rule_files():
                    m = members.get(f"qualys-exporter/files/rules/{os.path.basename(f)}")
                    self.assertIsNotNone(m, f)
                    with open(f, "rb") as fh:
                        self.assertEqual(t.extractfile(m).read(), fh.read())
                for f in dashboard_files():
                    m = members.get(f"qualys-exporter/files/dashboards/{os.path.basename(f)}")
                    self.assertIsNotNone(m, f)
                    with open(f, "rb") as fh:
                        self.assertEqual(t.extractfile(m).read(), fh.read())
                self.assertFalse([n for n in members if "/ci/" in n], "ci/ is helmignored")
            # The package renders exactly like the chart directory.
            ci = os.path.join(CI_DIR, "with-monitoring-values.yaml")
            self.assertEqual(template("-f", ci, chart=tgz), template("-f", ci))


class NetworkPolicyObjects(unittest.TestCase):
    def test_network_policy(self):
        objs = Rendered.get(os.path.join(CI_DIR, "networkpolicy-values.yaml"))
        np = one(objs, "NetworkPolicy")
        self.assertEqual(sorted(np["spec"]["policyTypes"]), ["Egress", "Ingress"])
        (ing,) = np["spec"]["ingress"]
        self.assertEqual(ing["ports"], [{"port": "http-metrics", "protocol": "TCP"}])
        peers = ing["from"]
        self.assertIn({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                       "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}, peers)
        # The helm test pod is let in.
        test_labels = one(objs, "Pod")["metadata"]["labels"]
        self.assertTrue(any(p.get("podSelector", {}).get("matchLabels", {}).items() <= test_labels.items()
                            and "namespaceSelector" not in p for p in peers))
        ports = [sorted((p["port"], p["protocol"]) for p in e["ports"]) for e in np["spec"]["egress"]]
        self.assertIn([(53, "TCP"), (53, "UDP")], ports)
        self.assertIn([(443, "TCP")], ports)


class SchemaValidation(unittest.TestCase):
    """Every rendered object against the Kubernetes and prometheus-operator
    schemas (kubernetes-models, @kubernetes-models/prometheus-operator), with
    unknown fields rejected (the validator's strict pass)."""

    def all_objects(self):
        objs = []
        for rendered in Rendered.all().values():
            objs.extend(rendered)
        objs.extend(template("--set", "demo=true"))
        return objs

    def test_rendered_objects_valid(self):
        objs = self.all_objects()
        kinds = {o["kind"] for o in objs}
        self.assertLessEqual({"Deployment", "Service", "ServiceAccount", "Secret", "Pod", "ServiceMonitor",
                              "PrometheusRule", "ConfigMap", "NetworkPolicy", "PersistentVolumeClaim"}, kinds)
        rc, lines = validate(objs)
        bad = [l for l in lines if not l.startswith("ok ")]
        self.assertEqual(rc, 0, "\n".join(bad))
        self.assertEqual(len(lines), len(objs))

    def broken_variants(self):
        objs = Rendered.get(os.path.join(CI_DIR, "with-monitoring-values.yaml"))

        def mutate(kind, fn):
            o = json.loads(json.dumps(one(objs, kind) if kind != "ConfigMap" else by_kind(objs, kind)[0]))
            fn(o)
            return o

        def c0(o):
            return o["spec"]["template"]["spec"]["containers"][0]

        return {
            "replicas as a string": mutate("Deployment", lambda o: o["spec"].__setitem__("replicas", "one")),
            "strategy type unknown": mutate("Deployment", lambda o: o["spec"]["strategy"].__setitem__("type", "Rolling")),
            "selector missing": mutate("Deployment", lambda o: o["spec"].pop("selector")),
            "containerPort as a string": mutate("Deployment", lambda o: c0(o)["ports"][0].__setitem__("containerPort", "http")),
            "container without name": mutate("Deployment", lambda o: c0(o).pop("name")),
            "env valueFrom not an object": mutate("Deployment", lambda o: c0(o)["env"][0].__setitem__("valueFrom", "secret")),
            "service port missing": mutate("Service", lambda o: o["spec"]["ports"][0].pop("port")),
            "configmap data not strings": mutate("ConfigMap", lambda o: o.__setitem__("data", {"x.json": {"a": 1}})),
            "servicemonitor endpoints not a list": mutate("ServiceMonitor", lambda o: o["spec"].__setitem__("endpoints", {"port": "http-metrics"})),
            "servicemonitor interval a number": mutate("ServiceMonitor", lambda o: o["spec"]["endpoints"][0].__setitem__("interval", 60)),
            "prometheusrule groups not a list": mutate("PrometheusRule", lambda o: o["spec"].__setitem__("groups", "rules")),
            "prometheusrule group without name": mutate("PrometheusRule", lambda o: o["spec"]["groups"][0].pop("name")),
            # Unknown fields (the strict pass).
            "misspelt container field": mutate("Deployment", lambda o: c0(o).__setitem__("securityContex", {})),
            "container-only field in the pod securityContext": mutate(
                "Deployment", lambda o: o["spec"]["template"]["spec"]["securityContext"].__setitem__(
                    "readOnlyRootFilesystem", True)),
            "unknown top-level field": mutate("Service", lambda o: o.__setitem__("sepc", {})),
            "unknown servicemonitor endpoint field": mutate(
                "ServiceMonitor", lambda o: o["spec"]["endpoints"][0].__setitem__("scrapeInterval", "1m")),
            "unknown prometheusrule rule field": mutate(
                "PrometheusRule", lambda o: o["spec"]["groups"][0]["rules"][0].__setitem__("expression", "up")),
            "unknown kind": {"apiVersion": "v1", "kind": "Bogus", "metadata": {"name": "x"}},
            "unknown apiVersion": mutate("Deployment", lambda o: o.__setitem__("apiVersion", "apps/v9")),
        }

    def test_broken_manifests_rejected(self):
        variants = self.broken_variants()
        # One run, one result line per object, in order.
        rc, lines = validate(list(variants.values()))
        self.assertEqual(rc, 1, lines)
        self.assertEqual(len(lines), len(variants), lines)
        for what, line in zip(variants, lines):
            with self.subTest(broken=what):
                self.assertTrue(line.startswith("invalid "), f"validator accepted a broken manifest ({what}): {line}")

    def test_one_broken_object_fails_the_whole_run(self):
        objs = list(Rendered.get(os.path.join(CI_DIR, "default-values.yaml")))
        broken = json.loads(json.dumps(one(objs, "Deployment")))
        broken["spec"]["replicas"] = "one"
        rc, lines = validate(objs + [broken])
        self.assertEqual(rc, 1)
        self.assertEqual(sum(l.startswith("invalid ") for l in lines), 1, lines)


if __name__ == "__main__":
    unittest.main(verbosity=2)
