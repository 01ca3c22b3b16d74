"""What the chart renders for the web config, run for real on this machine:
the exporter takes the web config the chart puts in its Secret, the `helm
test` pod's script (with curl, as in its image) fetches /metrics through TLS,
client certificates and basic auth, and the probes the chart writes succeed
the way the kubelet runs them (no credentials, no certificate verification).

Kubernetes is replaced by plain substitutions: the Secret's mount paths by
temporary directories, the Service's DNS name by localhost (the test
certificate's name), the Secret's values by environment variables."""
import base64
import contextlib
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import test_helm_chart as chart  # noqa: E402
from qxtest import BIN, SRC, Proc, free_port, wait_for  # noqa: E402

EXPORTER = os.path.join(BIN, "qualys-exporter")
MAKE_PKI = os.path.join(SRC, "tests", "fixtures", "web", "make_pki.sh")
SERVICE_HOST = f"{chart.RELEASE}-qualys-exporter.{chart.NAMESPACE}.svc:9786"
USER = "prometheus"
PASSWORD = 'pw "quoted" \\ ' + secrets.token_urlsafe(8)  # needs curl config escaping


def bcrypt(password, cost=5):
    import ctypes
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return lib.crypt(password.encode(), lib.crypt_gensalt(b"$2y$", cost, None, 0)).decode()


class Release:
    """The chart rendered with values, and the exporter started with the web
    config from the rendered Secret (container paths mapped to tmp)."""

    def __init__(self, tmp, values, tls_files):
        self.tmp = tmp
        values_file = os.path.join(tmp, "values.yaml")
        with open(values_file, "w") as f:
            yaml.safe_dump(values, f)
        self.objs = chart.template("-f", values_file)
        self.paths = {"/etc/qualys-exporter/tls/": os.path.join(tmp, "tls") + "/",
                      "/etc/qualys-exporter-test/ca/": os.path.join(tmp, "test-ca") + "/",
                      "/etc/qualys-exporter-test/client/": os.path.join(tmp, "test-client") + "/",
                      "/tmp/metrics": os.path.join(tmp, "metrics")}
        for d, files in tls_files.items():
            os.makedirs(os.path.join(tmp, d), exist_ok=True)
            for name, src in files.items():
                shutil.copy(src, os.path.join(tmp, d, name))
        (secret,) = [o for o in chart.by_kind(self.objs, "Secret") if o["metadata"]["name"].endswith("-web-config")]
        config = self.local(base64.b64decode(secret["data"]["web-config.yml"]).decode())
        self.config = os.path.join(tmp, "web-config.yml")
        with open(self.config, "w") as f:
            f.write(config)
        c = chart.one(self.objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
        self.container = c
        self.port = free_port()
        state = os.path.join(tmp, "state")
        args = [EXPORTER, "--demo", f"--web.listen-address=127.0.0.1:{self.port}", f"--state.dir={state}",
                f"--web.config.file={self.config}"]
        args += [a for a in c["args"] if a.startswith("--log.")]
        self.proc = Proc(args, name="qualys-exporter-helm")

    def local(self, text):
        for container_path, local_path in self.paths.items():
            text = text.replace(container_path, local_path)
        return text

    def wait_serving(self):
        def answers():
            if self.proc.p.poll() is not None:
                raise AssertionError(f"exporter exited:\n{self.proc.output()}")
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        wait_for(answers, timeout=60, what="the exporter's port")

    def test_script(self, drop=""):
        script = chart.one(self.objs, "Pod")["spec"]["containers"][0]["command"][2]
        script = self.local(script).replace(SERVICE_HOST, f"localhost:{self.port}")
        if drop:
            script = script.replace(drop, "")
        return script

    def run_helm_test(self, password=PASSWORD, drop=""):
        pod = chart.one(self.objs, "Pod")["spec"]["containers"][0]
        env = dict(os.environ)
        for e in pod.get("env", []):
            env[e["name"]] = {"QX_USERNAME": USER, "QX_PASSWORD": password}[e["name"]]
        return subprocess.run(["sh", "-c", self.test_script(drop)], capture_output=True, text=True, env=env,
                              timeout=60)

    def probe(self, probe):
        """Runs a rendered probe as the kubelet does: (ok, status or error)."""
        if "tcpSocket" in probe:
            with socket.create_connection(("127.0.0.1", self.port), timeout=probe["timeoutSeconds"]):
                return True, "connected"
        get = probe["httpGet"]
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the kubelet does not verify
        url = f"{get['scheme'].lower()}://127.0.0.1:{self.port}{get['path']}"
        try:
            with urllib.request.urlopen(url, context=ctx, timeout=probe["timeoutSeconds"]) as r:
                return 200 <= r.status < 400, r.status
        except urllib.error.HTTPError as e:
            return False, e.code

    def stop(self):
        self.proc.stop()
        return self.proc.output()


class HelmTestPodAndProbes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("curl", "openssl", "sh"):
            if not shutil.which(tool):
                raise AssertionError(f"{tool} is required")
        if not os.access(EXPORTER, os.X_OK):
            raise AssertionError(f"{EXPORTER} is not built")
        chart.setUpModule()
        cls.pki = tempfile.mkdtemp(prefix="qx-helm-pki-")
        subprocess.run(["bash", MAKE_PKI, cls.pki], check=True)
        cls.hash = bcrypt(PASSWORD)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki, ignore_errors=True)

    def f(self, name):
        return os.path.join(self.pki, name)

    @contextlib.contextmanager
    def release(self, values, tls_files):
        with tempfile.TemporaryDirectory(prefix="qx-helm-") as tmp:
            r = Release(tmp, values, tls_files)
            try:
                r.wait_serving()
                yield r
            except BaseException:
                sys.stderr.write(f"--- exporter log ---\n{r.stop()}\n")
                raise
            finally:
                r.stop()

    def tls_values(self, extra_tls=None, basic=True, verify=True):
        tls = {"cert_file": "/etc/qualys-exporter/tls/tls.crt", "key_file": "/etc/qualys-exporter/tls/tls.key"}
        tls.update(extra_tls or {})
        config = {"tls_server_config": tls}
        if basic:
            config["basic_auth_users"] = {USER: self.hash}
        values = {"demo": True, "webConfig": {"tlsSecret": "qualys-exporter-tls", "config": config},
                  "tests": {"tls": {"caSecret": "qualys-exporter-tls"} if verify else {}}}
        if basic:
            values["tests"]["basicAuth"] = {"existingSecret": "qualys-exporter-scrape"}
        return values

    def server_files(self):
        return {"tls": {"tls.crt": self.f("server.pem"), "tls.key": self.f("server.key"), "ca.crt": self.f("ca.pem")},
                "test-ca": {"ca.crt": self.f("ca.pem")}}

    def test_tls_and_basic_auth(self):
        with self.release(self.tls_values(), self.server_files()) as r:
            ok = r.run_helm_test()
            self.assertEqual(ok.returncode, 0, ok.stderr)
            self.assertEqual(ok.stdout.strip(), "metrics endpoint OK")
            with open(r.paths["/tmp/metrics"]) as f:
                self.assertIn("qualys_exporter_build_info", f.read())
            bad = r.run_helm_test(password="wrong")
            self.assertNotEqual(bad.returncode, 0, "the test passes with a wrong password")
            self.assertIn("401", bad.stderr)
            self.assertNotIn(PASSWORD, r.test_script())
            ok, status = r.probe(r.container["livenessProbe"])
            self.assertTrue(ok, f"liveness probe: {status}")

    def test_tls_verification_against_the_ca(self):
        with self.release(self.tls_values(basic=False), self.server_files()) as r:
            self.assertEqual(r.run_helm_test().returncode, 0)
        # A certificate the CA did not sign fails the test.
        files = self.server_files()
        files["test-ca"] = {"ca.crt": self.f("rogue-ca.pem")}
        with self.release(self.tls_values(basic=False), files) as r:
            bad = r.run_helm_test()
            self.assertNotEqual(bad.returncode, 0)
            self.assertRegex(bad.stderr, r"(?i)certificate")

    def test_client_certificates(self):
        values = self.tls_values({"client_auth_type": "RequireAndVerifyClientCert",
                                  "client_ca_file": "/etc/qualys-exporter/tls/ca.crt"})
        values["tests"]["tls"]["clientCertSecret"] = "qualys-exporter-test-client"
        files = self.server_files()
        files["test-client"] = {"tls.crt": self.f("client.pem"), "tls.key": self.f("client.key")}
        with self.release(values, files) as r:
            ok = r.run_helm_test()
            self.assertEqual(ok.returncode, 0, ok.stderr)
            script = r.test_script()
            cert = "--cert " + r.paths["/etc/qualys-exporter-test/client/"] + "tls.crt --key " + \
                   r.paths["/etc/qualys-exporter-test/client/"] + "tls.key"
            self.assertIn(cert, script)
            bad = r.run_helm_test(drop=cert)
            self.assertNotEqual(bad.returncode, 0, "the server took a client without a certificate")
            # The kubelet has no client certificate: TCP probes.
            for kind in ("livenessProbe", "readinessProbe"):
                self.assertIn("tcpSocket", r.container[kind])
                ok, status = r.probe(r.container[kind])
                self.assertTrue(ok, f"{kind}: {status}")

    def test_readiness_probe_needs_no_credentials(self):
        """/-/ready answers the kubelet (no credentials) with basic auth on:
        503 until every source published once, then 200."""
        with self.release(self.tls_values(), self.server_files()) as r:
            probe = r.container["readinessProbe"]
            self.assertEqual(probe["httpGet"]["path"], "/-/ready")
            deadline = time.time() + 120
            while True:
                ok, status = r.probe(probe)
                if ok:
                    break
                # 503 is "not ready yet"; anything else will not change.
                self.assertEqual(status, 503, "GET /-/ready without credentials: the exporter must serve /-/ready, "
                                              "and without credentials (the kubelet cannot send any)")
                self.assertLess(time.time(), deadline, "still not ready after 120 s")
                time.sleep(0.5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
