"""TLS, client certificates and Basic auth on /metrics (--web.config.file, the
Prometheus exporter-toolkit format) against the real exporter binary, with
real HTTPS clients (python ssl + urllib). Certificates are generated for each
run with openssl (tests/fixtures/web/make_pki.sh) into a temporary directory;
bcrypt hashes are made here with libxcrypt."""
import base64
import contextlib
import ctypes
import http.client
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from qxtest import BIN, SRC, Proc, free_port, wait_for  # noqa: E402

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

    def __init__(self, workdir, name, config):
        self.port = free_port()
        self.config = os.path.join(workdir, f"{name}.yml")
        with open(self.config, "w") as f:
            f.write(config)
        state = tempfile.mkdtemp(prefix=f"qx-web-{name}-state-")
        self._state = state
        self._log = None
        self.proc = Proc([EXPORTER, "--demo", f"--web.listen-address=127.0.0.1:{self.port}",
                          f"--web.config.file={self.config}", f"--state.dir={state}"],
                         name=f"qualys-exporter-{name}")
        try:
            wait_for(self._answers, timeout=60, what=f"exporter ({name}) port {self.port}")
        except BaseException:
            self.stop()
            raise

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


def https_get(port, cafile=None, cert=None, auth=None, path="/metrics"):
    """(status, body, headers) of GET https://127.0.0.1:port/path. TLS and
    connection failures raise (OSError / http.client.HTTPException)."""
    ctx = ssl.create_default_context(cafile=cafile)
    if cert:
        ctx.load_cert_chain(*cert)
    req = urllib.request.Request(f"https://127.0.0.1:{port}{path}")
    if auth:
        req.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=15) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace"), e.headers


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
        ex = Exporter(self.pki, "basic", f"""\
tls_server_config:
  cert_file: server.pem
  key_file: server.key
  min_version: TLS13
basic_auth_users:
  {USER}: {bcrypt(PASSWORD)}
""")
        try:
            ca = self.f("ca.pem")
            # Right credentials: the exposition text.
            status, body, headers = https_get(ex.port, ca, auth=basic(USER, PASSWORD))
            self.assertEqual(status, 200, body)
            self.assertIn("text/plain", headers.get("Content-Type", ""))
            self.assertIn("# TYPE qualys_exporter_build_info gauge", body)
            self.assertRegex(body, r"(?m)^qualys_exporter_build_info\{.*\} 1")
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
        self.assertIn("reloaded the TLS certificate", log)

    def _install(self, src, dst):
        """Atomically replaces dst.{pem,key} with src's (as cert-manager does)."""
        for ext in ("key", "pem"):
            tmp = self.f(f".{dst}.{ext}.tmp")
            shutil.copyfile(self.f(f"{src}.{ext}"), tmp)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.f(f"{dst}.{ext}"))

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
        self.assertNotEqual(p.returncode, 0, f"{config} was accepted:\n{out}")
        self.assertIn(field, out, f"{config}: error does not name {field}:\n{out}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
