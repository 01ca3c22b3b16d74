"""The chart's values for operating it securely, rendered per ci/ values file
and checked object by object: the web config combinations (plain, TLS, TLS +
basic auth, client certificates) as the exporter, the probes, Prometheus and
the helm test see them; the PrometheusRule's values; image registries and
extraEnvFrom; NOTES.txt. Schema validation of the same renders is in
test_helm_chart.py (SchemaValidation renders every ci/ file), and
test_helm_test_pod.py runs the rendered web config, test script and probes
against the real exporter."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_helm_chart import (CHART, CI_DIR, NAMESPACE, RELEASE, Rendered, by_kind, ci_files,  # noqa: E402
                             helm, one, rule_files, setUpModule, template)

__all__ = ["setUpModule"]


class WebConfigObjects(unittest.TestCase):
    """The web config combinations (plain, TLS, TLS + basic auth, client
    certificates): what reaches the exporter, the probes, Prometheus and
    the helm test. Each ci file is also schema-validated with the others
    (SchemaValidation)."""
    WEB_DIR = "/etc/qualys-exporter/web"

    def render(self, ci):
        return Rendered.get(os.path.join(CI_DIR, ci))

    def exporter(self, objs):
        spec = one(objs, "Deployment")["spec"]["template"]["spec"]
        return spec, spec["containers"][0]

    def test_plain_has_no_web_config(self):
        for ci in ("default-values.yaml", "with-monitoring-values.yaml"):
            objs = self.render(ci)
            spec, c = self.exporter(objs)
            self.assertFalse([a for a in c["args"] if a.startswith("--web.config.file")])
            self.assertNotIn("web-config", {v["name"] for v in spec["volumes"]})
            for sm in by_kind(objs, "ServiceMonitor"):
                ep = sm["spec"]["endpoints"][0]
                self.assertEqual(ep["scheme"], "http")
                self.assertNotIn("tlsConfig", ep)
                self.assertNotIn("basicAuth", ep)
            script = one(objs, "Pod")["spec"]["containers"][0]["command"][2]
            self.assertIn('"http://qx-qualys-exporter.monitoring-test.svc:9786/metrics"', script)
            self.assertNotRegex(script, r"--(insecure|cacert|cert|config)\b")

    def test_web_config_mounted_read_only_and_passed(self):
        for ci, secret, key in (("web-tls-values.yaml", "qx-qualys-exporter-web-config", "web-config.yml"),
                                ("web-tls-basicauth-values.yaml", "qx-qualys-exporter-web-config", "web-config.yml"),
                                ("web-mtls-values.yaml", "qualys-exporter-web", "web.yml")):
            with self.subTest(ci=ci):
                objs = self.render(ci)
                spec, c = self.exporter(objs)
                self.assertIn(f"--web.config.file={self.WEB_DIR}/{key}", c["args"])
                mounts = {m["name"]: m for m in c["volumeMounts"]}
                self.assertEqual(mounts["web-config"], {"name": "web-config", "mountPath": self.WEB_DIR,
                                                        "readOnly": True})
                self.assertNotIn("subPath", mounts["web-config"], "a subPath mount never sees Secret updates")
                self.assertEqual(mounts["tls"], {"name": "tls", "mountPath": "/etc/qualys-exporter/tls",
                                                 "readOnly": True})
                vols = {v["name"]: v for v in spec["volumes"]}
                self.assertEqual(vols["web-config"]["secret"]["secretName"], secret)
                self.assertEqual(vols["web-config"]["secret"]["items"], [{"key": key, "path": key}])
                self.assertEqual(vols["web-config"]["secret"]["defaultMode"], 0o440)
                self.assertEqual(vols["tls"]["secret"]["secretName"], "qualys-exporter-tls")
                made = [o for o in by_kind(objs, "Secret") if o["metadata"]["name"] == secret]
                if ci == "web-mtls-values.yaml":
                    self.assertEqual(made, [], "an existing Secret is not created")
                else:
                    with open(os.path.join(CI_DIR, ci)) as f:
                        want = yaml.safe_load(f)["webConfig"]["config"]
                    (sec,) = made
                    self.assertEqual(yaml.safe_load(base64.b64decode(sec["data"]["web-config.yml"])), want)
                # The bcrypt hash is in the Secret only.
                for o in objs:
                    if o["kind"] != "Secret":
                        self.assertNotIn("$2y$", json.dumps(o))

    def test_service_monitor_per_combination(self):
        tls = sm_endpoint(self.render("web-tls-values.yaml"))
        self.assertEqual(tls["scheme"], "https")
        self.assertEqual(tls["tlsConfig"], {"ca": {"secret": {"name": "qualys-exporter-tls", "key": "ca.crt"}},
                                            "serverName": "qx-qualys-exporter.monitoring-test.svc"})
        self.assertNotIn("basicAuth", tls)
        basic = sm_endpoint(self.render("web-tls-basicauth-values.yaml"))
        self.assertEqual(basic["scheme"], "https")
        self.assertEqual(basic["basicAuth"], {"username": {"name": "qualys-exporter-scrape", "key": "username"},
                                              "password": {"name": "qualys-exporter-scrape", "key": "password"}})
        mtls = sm_endpoint(self.render("web-mtls-values.yaml"))
        self.assertEqual(mtls["scheme"], "https")
        self.assertEqual(mtls["tlsConfig"]["cert"], {"secret": {"name": "prometheus-qualys-client", "key": "tls.crt"}})
        self.assertEqual(mtls["tlsConfig"]["keySecret"], {"name": "prometheus-qualys-client", "key": "tls.key"})
        self.assertEqual(mtls["basicAuth"]["password"], {"name": "qualys-exporter-scrape", "key": "pass"})
        for ci in ("web-tls-values.yaml", "web-tls-basicauth-values.yaml", "web-mtls-values.yaml"):
            sm = one(self.render(ci), "ServiceMonitor")
            self.assertEqual(sm["metadata"]["labels"]["release"], "kube-prometheus-stack", ci)
        # An explicit scheme wins.
        objs = template("-f", os.path.join(CI_DIR, "with-monitoring-values.yaml"), "--set", "serviceMonitor.scheme=https")
        self.assertEqual(sm_endpoint(objs)["scheme"], "https")

    def test_helm_test_pod_per_combination(self):
        for ci, want, absent in (
                ("web-tls-values.yaml", ["--cacert /etc/qualys-exporter-test/ca/ca.crt"], ["--insecure", "--cert", "--config"]),
                ("web-tls-basicauth-values.yaml", ["--insecure", "--config -"], ["--cacert", "--cert"]),
                ("web-mtls-values.yaml", ["--cacert /etc/qualys-exporter-test/ca/ca.crt", "--config -",
                                          "--cert /etc/qualys-exporter-test/client/tls.crt "
                                          "--key /etc/qualys-exporter-test/client/tls.key"], ["--insecure"])):
            with self.subTest(ci=ci):
                objs = self.render(ci)
                pod = one(objs, "Pod")
                c = pod["spec"]["containers"][0]
                script = c["command"][2]
                self.assertIn('"https://qx-qualys-exporter.monitoring-test.svc:9786/metrics"', script)
                for w in want:
                    self.assertIn(w, script)
                for a in absent:
                    self.assertNotIn(a, script)
                env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in c.get("env", [])}
                if "--config -" in want:
                    self.assertEqual(set(env), {"QX_USERNAME", "QX_PASSWORD"})
                    self.assertEqual(env["QX_PASSWORD"]["name"], "qualys-exporter-scrape")
                    self.assertNotIn("$QX_PASSWORD\"", script.split("curl")[-1], "the password is not curl's argument")
                else:
                    self.assertEqual(env, {})
                mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
                vols = {v["name"]: v for v in pod["spec"]["volumes"]}
                if "--cacert" in script:
                    self.assertTrue(mounts["/etc/qualys-exporter-test/ca"]["readOnly"])
                    self.assertEqual(vols["ca"]["secret"]["secretName"], "qualys-exporter-tls")
                if "--cert" in script:
                    self.assertTrue(mounts["/etc/qualys-exporter-test/client"]["readOnly"])
                    self.assertEqual(vols["client"]["secret"]["secretName"], "qualys-exporter-test-client")

    def test_facts_read_from_inline_config(self):
        def probe_and_scheme(*sets):
            objs = template("--set", "demo=true", *sets)
            c = one(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
            return c["readinessProbe"], one(objs, "Pod")["spec"]["containers"][0]["command"][2]
        ready, script = probe_and_scheme("--set", "webConfig.config.rate_limit.interval=1s")
        self.assertEqual(ready["httpGet"]["scheme"], "HTTP")
        ready, script = probe_and_scheme("--set", "webConfig.config.tls_server_config.cert_file=/c",
                                         "--set", "webConfig.config.tls_server_config.key_file=/k",
                                         "--set", "webConfig.config.tls_server_config.client_auth_type="
                                                  "VerifyClientCertIfGiven",
                                         "--set", "webConfig.config.tls_server_config.client_ca_file=/ca")
        self.assertEqual(ready["httpGet"]["scheme"], "HTTPS", "VerifyClientCertIfGiven does not require one")
        ready, _ = probe_and_scheme("--set", "webConfig.config.tls_server_config.cert_file=/c",
                                    "--set", "webConfig.config.tls_server_config.key_file=/k",
                                    "--set", "webConfig.config.tls_server_config.client_auth_type=RequireAnyClientCert",
                                    "--set", "tests.tls.clientCertSecret=client")
        self.assertEqual(ready, {"tcpSocket": {"port": "http-metrics"}, "initialDelaySeconds": 2, "periodSeconds": 15,
                                 "timeoutSeconds": 10, "failureThreshold": 3})
        # A probe handler given in values wins.
        ready, _ = probe_and_scheme("--set", "readinessProbe.httpGet.path=/-/healthy",
                                    "--set", "readinessProbe.httpGet.port=http-metrics")
        self.assertEqual(ready["httpGet"], {"path": "/-/healthy", "port": "http-metrics"})

    def test_misconfigurations_fail_with_a_message(self):
        tls = ["--set", "webConfig.config.tls_server_config.cert_file=/c",
               "--set", "webConfig.config.tls_server_config.key_file=/k"]
        basic = ["--set", "webConfig.config.basic_auth_users.p=$2y$10$" + "a" * 53]
        mtls = tls + ["--set", "webConfig.config.tls_server_config.client_auth_type=RequireAndVerifyClientCert",
                      "--set", "webConfig.config.tls_server_config.client_ca_file=/ca"]
        sm = ["--set", "serviceMonitor.enabled=true"]
        cases = {
            "both config and existingSecret": (
                ["--set", "webConfig.existingSecret=w", *tls], "set either config (inline) or existingSecret"),
            "tlsSecret without a web config": (
                ["--set", "webConfig.tlsSecret=t"], "webConfig.tlsSecret is set but there is no web config"),
            "tls claimed, config without TLS": (
                ["--set", "webConfig.tls=true", *basic, "--set", "tests.basicAuth.existingSecret=s"],
                "webConfig.tls is true but webConfig.config has no tls_server_config"),
            "basic auth without credentials for Prometheus": (
                [*tls, *basic, *sm, "--set", "tests.basicAuth.existingSecret=s"],
                "set serviceMonitor.basicAuth.existingSecret"),
            "basic auth without credentials for the helm test": (basic, "for the helm test"),
            "client certificates without one for Prometheus": (
                [*mtls, *sm, "--set", "tests.tls.clientCertSecret=c"], "set serviceMonitor.tlsConfig.cert"),
            "client certificates without one for the helm test": (mtls, "set tests.tls.clientCertSecret"),
            "http scheme for a TLS server": (
                [*tls, *sm, "--set", "serviceMonitor.scheme=http"], "serviceMonitor.scheme is http"),
            "existingSecret claiming basic auth without credentials": (
                ["--set", "webConfig.existingSecret=w", "--set", "webConfig.basicAuth=true"], "for the helm test"),
        }
        for what, (args, message) in cases.items():
            with self.subTest(what=what):
                rc, _, err = helm("template", RELEASE, CHART, "--set", "demo=true", *args, check=False)
                self.assertNotEqual(rc, 0, what)
                self.assertIn(message, err)
        # The helm test can be turned off instead.
        objs = template("--set", "demo=true", *mtls, "--set", "tests.enabled=false")
        self.assertEqual(by_kind(objs, "Pod"), [])


def sm_endpoint(objs):
    (ep,) = one(objs, "ServiceMonitor")["spec"]["endpoints"]
    return ep


class PrometheusRuleKnobs(unittest.TestCase):
    def rule(self):
        return one(Rendered.get(os.path.join(CI_DIR, "web-tls-basicauth-values.yaml")), "PrometheusRule")

    def test_labels_disabled_runbooks_extra_rules(self):
        pr = self.rule()
        self.assertEqual(pr["metadata"]["labels"]["release"], "kube-prometheus-stack")
        groups = pr["spec"]["groups"]
        alerts = [r for g in groups for r in g["rules"] if "alert" in r]
        names = [a["alert"] for a in alerts]
        self.assertNotIn("QualysApiRateLimitLow", names)
        self.assertIn("QualysDataStale", names)
        for a in alerts:
            self.assertEqual(a["labels"]["team"], "security", a["alert"])
            self.assertIn("severity", a["labels"], "additional labels do not replace the rule's own")
        for a in alerts[:-1]:
            self.assertEqual(a["annotations"]["runbook_url"],
                             f"https://wiki.example.com/qualys/runbooks/{a['alert']}.md")
        extra = groups[-1]
        self.assertEqual(extra["name"], "qx-qualys-exporter-extra")
        self.assertEqual([r["alert"] for r in extra["rules"]], ["QualysCriticalWasFindings"])
        self.assertEqual(extra["rules"][0]["labels"], {"severity": "warning", "team": "security"})
        # Apart from those changes, the shipped rules unchanged.
        shipped = {}
        for f in rule_files():
            with open(f) as fh:
                for g in yaml.safe_load(fh)["groups"]:
                    for r in g["rules"]:
                        shipped[r["alert"]] = r
        for a in alerts[:-1]:
            self.assertEqual(a["expr"], shipped[a["alert"]]["expr"])
            self.assertEqual(a.get("for"), shipped[a["alert"]].get("for"))

    def test_rules_are_valid_for_promtool(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "rules.yml")
            with open(path, "w") as f:
                yaml.safe_dump({"groups": self.rule()["spec"]["groups"]}, f)
            p = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_unknown_disabled_alert_fails(self):
        rc, _, err = helm("template", RELEASE, CHART, "--set", "demo=true", "--set", "prometheusRule.enabled=true",
                          "--set", "prometheusRule.disabled.QualysDataStail=true", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("prometheusRule.disabled: no alert named QualysDataStail", err)

    def test_labels_and_additional_labels_both_apply(self):
        objs = template("--set", "demo=true", "--set", "prometheusRule.enabled=true", "--set",
                        "serviceMonitor.enabled=true", "--set-string", "prometheusRule.labels.a=1",
                        "--set-string", "prometheusRule.additionalLabels.b=2", "--set-string",
                        "serviceMonitor.labels.c=3", "--set-string", "serviceMonitor.additionalLabels.d=4")
        pr, sm = one(objs, "PrometheusRule")["metadata"]["labels"], one(objs, "ServiceMonitor")["metadata"]["labels"]
        self.assertEqual((pr["a"], pr["b"]), ("1", "2"))
        self.assertEqual((sm["c"], sm["d"]), ("3", "4"))


class Images(unittest.TestCase):
    def test_registries(self):
        objs = Rendered.get(os.path.join(CI_DIR, "registry-values.yaml"))
        c = one(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
        # global.imageRegistry wins over image.registry, for every image.
        self.assertEqual(c["image"], "mirror.example.com:5000/security/qualys-exporter:0.1.0")
        self.assertEqual(one(objs, "Pod")["spec"]["containers"][0]["image"],
                         "mirror.example.com:5000/curlimages/curl@sha256:" + "0" * 64)
        self.assertEqual(c["envFrom"], [{"secretRef": {"name": "qualys-proxy"}},
                                        {"configMapRef": {"name": "qualys-exporter-env", "optional": True}}])
        objs = template("--set", "demo=true", "--set", "image.registry=registry.example.com")
        self.assertEqual(one(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"],
                         "registry.example.com/qualys-exporter:0.1.0")
        self.assertEqual(one(objs, "Pod")["spec"]["containers"][0]["image"], "docker.io/curlimages/curl:8.10.1")
        objs = template("--set", "demo=true")
        c = one(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(c["image"], "qualys-exporter:0.1.0")
        self.assertNotIn("envFrom", c)


class Notes(unittest.TestCase):
    """NOTES.txt renders only at install; render it here as a plain template
    (in a copy of the chart) for every ci file."""

    def test_notes_render_for_every_ci_file(self):
        with tempfile.TemporaryDirectory() as d:
            copy = os.path.join(d, "qualys-exporter")
            shutil.copytree(CHART, copy, symlinks=False)
            # helm template parses what it renders as YAML: carry the notes
            # in one string, rendered by tpl.
            os.rename(os.path.join(copy, "templates", "NOTES.txt"), os.path.join(copy, "notes.src"))
            with open(os.path.join(copy, "templates", "notes.yaml"), "w") as f:
                f.write('notes: {{ tpl (.Files.Get "notes.src") . | toJson }}\n')
            for ci in ci_files():
                with self.subTest(ci=os.path.basename(ci)):
                    _, rendered, _ = helm("template", RELEASE, copy, "--namespace", NAMESPACE, "-f", ci,
                                          "--show-only", "templates/notes.yaml")
                    out = yaml.safe_load(rendered)["notes"]
                    self.assertIn("kubectl -n monitoring-test port-forward svc/qx-qualys-exporter 9786", out)
                    self.assertNotIn("<no value>", out)
                    if "mtls" in ci:
                        self.assertIn("curl -s -k -u USER:PASSWORD --cert client.crt --key client.key "
                                      "https://127.0.0.1:9786/metrics", out)
                        self.assertIn("they are TCP probes", out)
                    elif "web-tls" in ci:
                        self.assertIn("https://127.0.0.1:9786/metrics", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
