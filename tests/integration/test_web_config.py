"""The exporter's HTTP(S) server against the real binary: TLS, client
certificates, Basic auth and response headers from --web.config.file (the
Prometheus exporter-toolkit format), its reload (rotated certificates, users;
a bad file keeps the last good config), gzip, HEAD, the landing page and
readiness, IPv6 loopback, and a slow client that must not hold the only
worker. Real clients (python ssl, urllib, raw sockets, promtool).
Certificates are generated for each run with openssl
(tests/fixtures/web/make_pki.sh) into a temporary directory; bcrypt hashes
are made here with libxcrypt."""
import base64
import contextlib
import ctypes
import gzip
import http.client
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from qxtest import BIN, SRC, Proc, free_port, promtool_check_metrics, wait_for  # noqa: E402

EXPORTER = os.path.join(BIN, "qualys-exporter")
MAKE_PKI = os.path.join(SRC, "tests", "fixtures", "web", "make_pki.sh")
USER = "prometheus"
# Random, so that finding it in the log cannot be a coincidence.
PASSWORD = "pw-" + secrets.token_urlsafe(12)
WRONG = "wrong-" + secrets.token_urlsafe(12)


def bcrypt(password, cost=5):
    """A $2b$ hash of password, made with libxcrypt like htpasswd -B."""
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    setting = lib.crypt_gensalt(b"$2b$", cost, None, 0)
    h = lib.crypt(password.encode(), setting).decode()
    assert h.startswith("$2b$%02d$" % cost) and len(h) == 60, h
    return h


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Exporter:
    """qualys-exporter --demo with a web config; stopped by stop() (callers
    use try/finally)."""

    def __init__(self, workdir, name, config, extra=()):
        self.port = free_port()
        self.config = os.path.join(workdir, f"{name}.yml")
        self.write_config(config)
        state = tempfile.mkdtemp(prefix=f"qx-web-{name}-state-")
        self._state = state
        self._log = None
        web_config = [f"--web.config.file={self.config}"] if config is not None else []
        self.proc = Proc([EXPORTER, "--demo", f"--web.listen-address=127.0.0.1:{self.port}",
                          *web_config, f"--state.dir={state}", *extra],
                         name=f"qualys-exporter-{name}")
        try:
            wait_for(self._answers, timeout=60, what=f"exporter ({name}) port {self.port}")
        except BaseException:
            self.stop()
            raise

    def write_config(self, text):
        """Replaces the config file atomically (as a ConfigMap update does)."""
        if text is None:
            return
        tmp = self.config + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config)

    def _answers(self):
        if self.proc.p.poll() is not None:
            raise AssertionError(f"exporter exited with {self.proc.p.returncode}:\n"
                                 f"{self.proc.output()}")
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def stop(self):
        """Stops the process (idempotent); returns its whole log, which is
        also printed when a test is failing."""
        if self._log is None:
            self.proc.stop()
            self._log = self.proc.output()
            if sys.exc_info()[0] is not None:
                sys.stderr.write(f"--- {self.proc.name} log ---\n{self._log}\n")
            with contextlib.suppress(OSError):
                os.unlink(self.proc.log.name)
            shutil.rmtree(self._state, ignore_errors=True)
        return self._log


def https_get(port, cafile=None, cert=None, auth=None, path="/metrics", headers=None, raw=False,
              method="GET"):
    """(status, body, headers) of GET https://127.0.0.1:port/path. TLS and
    connection failures raise (OSError / http.client.HTTPException)."""
    ctx = ssl.create_default_context(cafile=cafile)
    if cert:
        ctx.load_cert_chain(*cert)
    req = urllib.request.Request(f"https://127.0.0.1:{port}{path}", headers=headers or {}, method=method)
    if auth:
        req.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=15) as r:
            body = r.read()
            return r.status, body if raw else body.decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace"), e.headers


def http_get(url, headers=None, method="GET"):
    """(status, body bytes, headers) of a plain HTTP request."""
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


class WebConfig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise AssertionError("the openssl command is required (Debian package openssl)")
        cls.pki = tempfile.mkdtemp(prefix="qx-web-pki-")
        subprocess.run(["bash", MAKE_PKI, cls.pki], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki, ignore_errors=True)

    def f(self, name):
        return os.path.join(self.pki, name)

    def client(self, name="client"):
        return (self.f(f"{name}.pem"), self.f(f"{name}.key"))

    def assert_fails(self, fn, what):
        try:
            status, _, _ = fn()
        except (OSError, http.client.HTTPException):
            return
        self.fail(f"{what}: expected a TLS/connection failure, got HTTP {status}")

    def assert_no_secrets(self, log):
        self.assertNotIn(PASSWORD, log)
        self.assertNotIn(WRONG, log)
        self.assertNotIn(base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(), log)
        self.assertNotIn(base64.b64encode(f"{USER}:{WRONG}".encode()).decode(), log)
        self.assertNotIn("authorization", log.lower())
        self.assertNotIn("PRIVATE KEY", log)

    def test_tls_and_basic_auth(self):
        port6 = free_port()
        ex = Exporter(self.pki, "basic", f"""\
tls_server_config:
  cert_file: server.pem
  key_file: server.key
  min_version: TLS13
http_server_config:
  headers:
    X-Content-Type-Options: nosniff
basic_auth_users:
  {USER}: {bcrypt(PASSWORD)}
""", extra=(f"--web.listen-address=[::1]:{port6}",))
        try:
            ca = self.f("ca.pem")
            auth = basic(USER, PASSWORD)
            # Right credentials: the exposition text.
            status, body, headers = https_get(ex.port, ca, auth=auth)
            self.assertEqual(status, 200, body)
            self.assertEqual(headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
            self.assertEqual(headers.get("X-Content-Type-Options"), "nosniff")
            self.assertIn("# TYPE qualys_exporter_build_info gauge", body)
            self.assertRegex(body, r"(?m)^qualys_exporter_build_info\{.*\} 1")
            # Once the demo's first poll is in: ready, and the exposition
            # passes promtool, plain and gzip-compressed alike.
            wait_for(lambda: https_get(ex.port, ca, auth=auth, path="/-/ready")[0] == 200, timeout=30,
                     what="/-/ready 200 after the first poll")
            status, body, _ = https_get(ex.port, ca, auth=auth)
            rc, out = promtool_check_metrics(body)
            self.assertEqual(rc, 0, out)
            self.assertIn("qualys_host_assets{", body)
            status, gz, headers = https_get(ex.port, ca, auth=auth, headers={"Accept-Encoding": "gzip"},
                                            raw=True)
            self.assertEqual(headers.get("Content-Encoding"), "gzip")
            unzipped = gzip.decompress(gz).decode()
            rc, out = promtool_check_metrics(unzipped)
            self.assertEqual(rc, 0, out)
            # The snapshot part is the very same bytes (self-metrics differ).
            cut = min(body.index("# HELP qualys_up "), body.index("# HELP qualys_exporter_"))
            self.assertEqual(unzipped[:cut], body[:cut])
            # The landing page needs the password too; the probes not.
            status, page, _ = https_get(ex.port, ca, auth=auth, path="/")
            self.assertEqual(status, 200)
            self.assertIn("was_finding", page)
            for path in ("/", "/metrics"):
                self.assertEqual(https_get(ex.port, ca, path=path)[0], 401, path)
            self.assertEqual(https_get(ex.port, ca, path="/-/ready")[0], 200)
            self.assertEqual(https_get(ex.port, ca, path="/-/healthy")[:2], (200, "Healthy\n"))
            # The same over IPv6 loopback (second --web.listen-address).
            ctx = ssl.create_default_context(cafile=ca)
            req = urllib.request.Request(f"https://[::1]:{port6}/metrics", headers={"Authorization": auth})
            with urllib.request.urlopen(req, context=ctx, timeout=15) as r:
                self.assertEqual(r.status, 200)
                self.assertIn(b"qualys_up", r.read())
            # Repeated scrapes keep working (cached verification).
            for _ in range(3):
                self.assertEqual(https_get(ex.port, ca, auth=basic(USER, PASSWORD))[0], 200)

            # Wrong password, unknown user, no credentials, not Basic: 401.
            status, _, headers = https_get(ex.port, ca, auth=basic(USER, WRONG))
            self.assertEqual(status, 401)
            self.assertIn("Basic", headers.get("WWW-Authenticate", ""))
            self.assertEqual(https_get(ex.port, ca, auth=basic("nobody", PASSWORD))[0], 401)
            self.assertEqual(https_get(ex.port, ca)[0], 401)
            self.assertEqual(https_get(ex.port, ca, auth="Bearer " + PASSWORD)[0], 401)

            # Plain HTTP to the TLS port gets no HTTP answer.
            def plain():
                c = http.client.HTTPConnection("127.0.0.1", ex.port, timeout=10)
                try:
                    c.request("GET", "/metrics", headers={"Authorization": basic(USER, PASSWORD)})
                    r = c.getresponse()
                    return r.status, r.read().decode(errors="replace"), r.headers
                finally:
                    c.close()
            self.assert_fails(plain, "plain HTTP to the TLS port")

            # A client that does not trust the test CA rejects the server.
            with self.assertRaises(urllib.error.URLError) as cm:
                https_get(ex.port, None, auth=basic(USER, PASSWORD))
            self.assertIsInstance(cm.exception.reason, ssl.SSLCertVerificationError)
            # ...also when it checks the name against a different CA's chain.
            with self.assertRaises(urllib.error.URLError):
                https_get(ex.port, self.f("rogue-ca.pem"), auth=basic(USER, PASSWORD))

            # min_version: TLS13 is enforced by the server: a TLS 1.2 client,
            # which the server would otherwise accept, is refused.
            ctx = ssl.create_default_context(cafile=ca)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            with self.assertRaises(ssl.SSLError):
                with socket.create_connection(("127.0.0.1", ex.port), timeout=10) as s:
                    ctx.wrap_socket(s, server_hostname="127.0.0.1").close()
            ctx = ssl.create_default_context(cafile=ca)
            with socket.create_connection(("127.0.0.1", ex.port), timeout=10) as s:
                with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                    self.assertEqual(t.version(), "TLSv1.3")
        finally:
            log = ex.stop()
        self.assert_no_secrets(log)
        self.assertIn("TLS enabled", log)

    def test_client_certificates(self):
        ex = Exporter(self.pki, "mtls", """\
tls_server_config:
  cert_file: server.pem
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.pem
  client_allowed_sans: [prometheus.example]
""")
        try:
            ca = self.f("ca.pem")
            status, body, _ = https_get(ex.port, ca, cert=self.client())
            self.assertEqual(status, 200)
            self.assertIn("qualys_exporter_build_info", body)
            self.assert_fails(lambda: https_get(ex.port, ca), "no client certificate")
            self.assert_fails(lambda: https_get(ex.port, ca, cert=self.client("rogue")),
                              "client certificate from another CA")
            self.assert_fails(lambda: https_get(ex.port, ca, cert=self.client("other")),
                              "client certificate whose SAN is not allowed")
            # TLS 1.2 behaves the same (the check is not a TLS 1.3 artefact).
            ctx = ssl.create_default_context(cafile=ca)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            with self.assertRaises(OSError):
                with socket.create_connection(("127.0.0.1", ex.port), timeout=10) as s:
                    with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                        t.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
                        if not t.recv(1):
                            raise ConnectionResetError("closed")
            self.assertEqual(https_get(ex.port, ca, cert=self.client())[0], 200)
        finally:
            log = ex.stop()
        self.assert_no_secrets(log)

    def test_certificate_rotation(self):
        self._install("server", "rotating")
        ex = Exporter(self.pki, "rotate", """\
tls_server_config:
  cert_file: rotating.pem
  key_file: rotating.key
""")
        try:
            ca = self.f("ca.pem")

            def served_cert():
                ctx = ssl.create_default_context(cafile=ca)
                with socket.create_connection(("127.0.0.1", ex.port), timeout=10) as s:
                    with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                        return t.getpeercert(binary_form=True)

            def der(name):
                with open(self.f(f"{name}.pem")) as fh:
                    return ssl.PEM_cert_to_DER_cert(fh.read())

            self.assertEqual(served_cert(), der("server"))
            self._install("server2", "rotating")
            wait_for(lambda: served_cert() == der("server2"), timeout=15,
                     what="the rotated certificate to be served")
        finally:
            log = ex.stop()
        self.assertIn("reloaded (TLS certificate", log)

    def _install(self, src, dst):
        """Atomically replaces dst.{pem,key} with src's (as cert-manager does)."""
        for ext in ("key", "pem"):
            tmp = self.f(f".{dst}.{ext}.tmp")
            shutil.copyfile(self.f(f"{src}.{ext}"), tmp)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.f(f"{dst}.{ext}"))

    def test_users_reload_and_a_bad_file_keeps_the_last_good_config(self):
        ex = Exporter(self.pki, "reload", f"basic_auth_users:\n  alice: {bcrypt('a-pw')}\n")
        try:
            url = f"http://127.0.0.1:{ex.port}/metrics"
            self.assertEqual(http_get(url, {"Authorization": basic("alice", "a-pw")})[0], 200)
            ex.write_config(f"basic_auth_users:\n  bob: {bcrypt('b-pw')}\n")
            wait_for(lambda: http_get(url, {"Authorization": basic("bob", "b-pw")})[0] == 200, timeout=15,
                     what="the new user to be accepted")
            self.assertEqual(http_get(url, {"Authorization": basic("alice", "a-pw")})[0], 401)
            ex.write_config("basic_auth_users:\n  bob: hunter2\n")
            wait_for(lambda: "reload failed" in ex.proc.output(), timeout=15, what="the reload error in the log")
            self.assertEqual(http_get(url, {"Authorization": basic("bob", "b-pw")})[0], 200)
        finally:
            log = ex.stop()
        self.assertIn("basic_auth_users.bob", log)
        self.assertNotIn("hunter2", log)

    def test_plain_http_gzip_head_ipv6_and_unknown_paths(self):
        port6 = free_port()
        ex = Exporter(self.pki, "plain", None, extra=(f"--web.listen-address=[::1]:{port6}",))
        try:
            base = f"http://127.0.0.1:{ex.port}"
            wait_for(lambda: http_get(f"{base}/-/ready")[0] == 200, timeout=30, what="/-/ready 200")
            status, body, headers = http_get(f"{base}/metrics")
            self.assertEqual(status, 200)
            status, head_body, head = http_get(f"{base}/metrics", method="HEAD")
            self.assertEqual((status, head_body), (200, b""))
            self.assertEqual(head["Content-Type"], headers["Content-Type"])
            status, gz, headers = http_get(f"{base}/metrics", {"Accept-Encoding": "gzip"})
            self.assertEqual(headers["Content-Encoding"], "gzip")
            self.assertIn(b"qualys_up 1", gzip.decompress(gz))
            self.assertEqual(http_get(f"{base}/favicon.ico")[0], 404)
            self.assertEqual(http_get(f"{base}/metrics", method="DELETE")[0], 405)
            status, body, _ = http_get(f"http://[::1]:{port6}/metrics")
            self.assertEqual(status, 200)
            self.assertIn(b"qualys_up 1", body)
        finally:
            ex.stop()

    def test_slow_client_cannot_hold_the_only_worker(self):
        ex = Exporter(self.pki, "slow", None, extra=("--web.max-connections=1", "--web.request-timeout=1s"))
        try:
            # The start-up probe's connection is done once this is answered.
            self.assertEqual(http_get(f"http://127.0.0.1:{ex.port}/-/healthy")[0], 200)
            slow = socket.create_connection(("127.0.0.1", ex.port), timeout=10)
            slow.sendall(b"GET /metrics HTTP/1.1\r\n")
            stop = threading.Event()

            def drip():  # one header byte every 100 ms, never finishing
                while not stop.is_set():
                    try:
                        slow.sendall(b"x")
                    except OSError:
                        return
                    time.sleep(0.1)
            t = threading.Thread(target=drip)
            t.start()
            try:
                t0 = time.monotonic()
                status, body, _ = http_get(f"http://127.0.0.1:{ex.port}/-/healthy")
                waited = time.monotonic() - t0
            finally:
                stop.set()
                t.join()
            self.assertEqual(status, 200)
            self.assertLess(waited, 6, "the queued request waited for the slow client")
            slow.settimeout(5)
            try:
                self.assertEqual(slow.recv(100), b"", "the slow client was not disconnected")
            except ConnectionResetError:
                pass
            slow.close()
        finally:
            ex.stop()

    def test_rate_limit_over_plain_http(self):
        ex = Exporter(self.pki, "ratelimit", """\
rate_limit:
  interval: 1h
  burst: 2
""")
        try:
            codes = []
            for _ in range(4):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{ex.port}/metrics",
                                                timeout=10) as r:
                        codes.append(r.status)
                except urllib.error.HTTPError as e:
                    codes.append(e.code)
            self.assertEqual(codes, [200, 200, 429, 429])
        finally:
            ex.stop()

    def test_bad_configs_fail_at_startup_naming_the_field(self):
        cases = {
            "unsupported_headers.yml": "http_server_config.headers",
            "unknown_field.yml": "basic_auth_user_list",
            "bad_bcrypt.yml": "basic_auth_users.alice",
            "duplicate_user.yml": "duplicate key",
        }
        fixtures = os.path.join(SRC, "tests", "fixtures", "web")
        with tempfile.TemporaryDirectory() as state:
            for name, field in cases.items():
                self._expect_startup_error(os.path.join(fixtures, name), field, state)
            # Missing certificate file (relative to the config's directory).
            cfg = os.path.join(self.pki, "missing.yml")
            with open(cfg, "w") as fh:
                fh.write("tls_server_config:\n  cert_file: nope.pem\n  key_file: server.key\n")
            self._expect_startup_error(cfg, "tls_server_config.cert_file", state)

    def _expect_startup_error(self, config, field, state):
        port = free_port()
        args = [EXPORTER, "--demo", f"--web.listen-address=127.0.0.1:{port}",
                f"--web.config.file={config}", f"--state.dir={state}"]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
        try:
            out, _ = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, 9)
                p.wait()
        self.assertEqual(p.returncode, 2, f"{config}: expected exit 2 (bad configuration):\n{out}")
        self.assertIn(field, out, f"{config}: error does not name {field}:\n{out}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
