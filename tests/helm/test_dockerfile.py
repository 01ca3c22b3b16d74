"""deploy/Dockerfile without a container engine: the builder stage installs
only build packages (a subset of scripts/bootstrap's list without the test
and benchmark tools) and they cover everything a tests-off CMake
configuration finds; the runtime stage's contract (debian:12-slim, numeric
non-root user 65534, port 9786, entrypoint, state volume) and its package
list against the built binary: every shared library the binary needs comes
from a listed package (or their dependencies, or the base image), and every
listed library package is needed (linked directly or a dependency of one that
is). Also .dockerignore keeps local build output and tools out of the build
context."""
import json
import os
import re
import shlex
import subprocess
import tempfile
import unittest

SRC = os.environ.get("QX_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("QX_BIN", os.path.join(SRC, "build", "bin"))
DOCKERFILE = os.path.join(SRC, "deploy", "Dockerfile")
EXPORTER = os.path.join(BIN, "qualys-exporter")


def stages():
    """[(from, [(instruction, argument)])] with line continuations joined and
    ARG defaults substituted in FROM."""
    with open(DOCKERFILE) as f:
        text = re.sub(r"\\\n", " ", f.read())
    args, out = {}, []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, rest = line.partition(" ")
        instr, rest = instr.upper(), rest.strip()
        if instr == "ARG" and not out and "=" in rest:
            k, v = rest.split("=", 1)
            args[k] = v
        elif instr == "FROM":
            image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), rest.split()[0])
            out.append((image, []))
        elif out:
            out[-1][1].append((instr, rest))
    return out


def apt_installed_packages(instructions):
    pkgs = []
    for instr, rest in instructions:
        if instr != "RUN":
            continue
        for cmd in re.split(r"&&|;", rest):
            words = shlex.split(cmd)
            if "apt-get" in words and "install" in words:
                pkgs += [w for w in words[words.index("install") + 1:]
                         if not w.startswith("-") and not w.startswith(">") and "/" not in w]
    return pkgs


def needed_libraries(binary):
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def resolved_paths(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            paths[m.group(1)] = m.group(2)
    return paths


def owning_package(path):
    for p in (path, os.path.realpath(path)):
        for candidate in (p, re.sub(r"^/lib/", "/usr/lib/", p), re.sub(r"^/usr/lib/", "/lib/", p)):
            r = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
            if r.returncode == 0:
                return r.stdout.split(":")[0].strip()
    return None


def depends_closure(pkgs):
    """Installed packages reachable through Depends/Pre-Depends (first
    alternative), from the local dpkg database."""
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        r = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", p],
                           capture_output=True, text=True)
        if r.returncode != 0:
            continue
        for dep in r.stdout.split(","):
            name = dep.split("|")[0].strip().split(" ")[0].split(":")[0]
            if name:
                todo.append(name)
    return seen


def in_base_image(pkg):
    """Essential or Priority: required packages are in debian:12-slim."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${Essential} ${Priority}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and (r.stdout.startswith("yes") or r.stdout.endswith("required"))


class Dockerfile(unittest.TestCase):
    def test_stages(self):
        st = stages()
        self.assertEqual(len(st), 2)
        self.assertEqual(st[0][0], "debian:12")
        self.assertEqual(st[-1][0], "debian:12-slim")
        builder = " ".join(rest for instr, rest in st[0][1] if instr == "RUN")
        self.assertNotIn("scripts/bootstrap", builder, "bootstrap installs the test and benchmark tools too")
        self.assertIn("cmake --build", builder)
        for off in ("-DQX_TESTS=OFF", "-DQX_BENCH=OFF", "-DQX_FUZZ=OFF"):
            self.assertIn(off, builder)

    def test_runtime_contract(self):
        final = stages()[-1][1]
        last = {}
        for instr, rest in final:
            last[instr] = rest
        self.assertEqual(last["USER"], "65534:65534")  # numeric: runAsNonRoot can check it
        self.assertEqual(last["EXPOSE"], "9786")
        self.assertEqual(json.loads(last["ENTRYPOINT"]), ["/usr/bin/qualys-exporter"])
        self.assertEqual(json.loads(last["CMD"]), ["--state.dir=/var/lib/qualys-exporter"])
        self.assertEqual(last["VOLUME"], "/var/lib/qualys-exporter")
        # Nothing runs as root after USER, and the state directory belongs to nobody.
        instrs = [i for i, _ in final]
        self.assertNotIn("RUN", instrs[instrs.index("USER"):])
        runs = " ".join(rest for instr, rest in final if instr == "RUN")
        self.assertIn("install -d -o 65534 -g 65534", runs)
        self.assertIn("--no-install-recommends", runs)
        self.assertIn("rm -rf /var/lib/apt/lists", runs)

    def test_binary_links_no_civetweb_nor_prometheus_pull(self):
        if not os.access(EXPORTER, os.X_OK):
            self.fail(f"{EXPORTER} is missing: build first (make build)")
        needed = needed_libraries(EXPORTER)
        resolved = subprocess.run(["ldd", EXPORTER], capture_output=True, text=True, check=True).stdout
        for lib in needed + resolved.split():
            self.assertNotIn("civetweb", lib)
            self.assertNotIn("prometheus-cpp-pull", lib)
        self.assertIn("libssl.so.3", needed)

    def test_runtime_packages_are_exactly_what_the_binary_needs(self):
        if not os.access(EXPORTER, os.X_OK):
            self.fail(f"{EXPORTER} is missing: build first (make build)")
        pkgs = apt_installed_packages(stages()[-1][1])
        self.assertIn("ca-certificates", pkgs)  # TLS to the Qualys API
        # The server's TLS is linked (Poco NetSSL, libssl3): nothing is
        # dlopen()ed, so no -dev package and no civetweb at run time.
        self.assertIn("libssl3", pkgs)
        for p in pkgs:
            self.assertFalse(p.endswith("-dev"), f"development package {p} in the runtime image")
            self.assertNotIn("civetweb", p)
            self.assertNotIn("prometheus-cpp-pull", p)
        libs = set(pkgs) - {"ca-certificates"}
        needed = needed_libraries(EXPORTER)
        paths = resolved_paths(EXPORTER)
        closure = depends_closure(pkgs)
        owners = {}
        for lib in needed:
            self.assertIn(lib, paths, f"{lib} does not resolve on this machine")
            owner = owning_package(paths[lib])
            self.assertIsNotNone(owner, f"no package owns {paths[lib]}")
            owners[lib] = owner
            if not in_base_image(owner):
                self.assertIn(owner, closure, f"{lib} ({owner}) is not installed by the runtime stage")
        # Nothing more than needed: every listed library package is one the
        # binary links against or one of their dependencies.
        needed_closure = depends_closure(set(owners.values()))
        for p in libs:
            self.assertIn(p, needed_closure, f"runtime package {p} is not needed by the binary")


def bootstrap_packages():
    with open(os.path.join(SRC, "scripts", "bootstrap")) as f:
        m = re.search(r"^packages=\((.*?)^\)", f.read(), re.S | re.M)
    return m.group(1).split()


# What the image build must not install: test, benchmark, fuzzing and chart tools.
NOT_FOR_BUILDING = {"prometheus", "python3", "python3-yaml", "curl", "clang", "libclang-rt-14-dev", "wrk",
                    "time", "libgtest-dev", "libgmock-dev", "libbenchmark-dev", "openssl", "npm", "nodejs"}


class BuilderStage(unittest.TestCase):
    def test_only_build_packages(self):
        pkgs = apt_installed_packages(stages()[0][1])
        self.assertTrue(pkgs)
        # git only for the revision stamp (a checkout has it already).
        self.assertEqual(sorted(set(pkgs) - set(bootstrap_packages()) - {"git"}), [],
                         "builder packages missing from scripts/bootstrap (which must install a superset)")
        self.assertEqual(sorted(set(pkgs) & NOT_FOR_BUILDING), [])
        self.assertIn("git", pkgs)  # the revision in qualys_exporter_build_info

    def test_packages_cover_a_tests_off_configuration(self):
        """Configures as the Dockerfile does; every file CMake found must
        come from a builder package, its dependencies or the base image."""
        pkgs = apt_installed_packages(stages()[0][1])
        closure = depends_closure(pkgs)
        with tempfile.TemporaryDirectory() as build:
            r = subprocess.run(["cmake", "-S", SRC, "-B", build, "-DQX_TESTS=OFF", "-DQX_BENCH=OFF",
                                "-DQX_FUZZ=OFF"], capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            with open(os.path.join(build, "CMakeCache.txt")) as f:
                cache = f.read()
        found = re.findall(r"^[\w-]+(?:_DIR|_INCLUDE_DIRS?|_LIBRARY\w*):(?:PATH|FILEPATH)=(/\S+)$", cache,
                           re.M)
        found += re.findall(r"^CMAKE_(?:CXX_COMPILER|MAKE_PROGRAM|AR|STRIP):\w+=(/\S+)$", cache, re.M)
        self.assertGreater(len(found), 10, "the configuration found too little to check")
        self.assertFalse([p for p in found if "GTest" in p or "benchmark" in p or "python" in p.lower()],
                         "a tests-off configuration still looks for test tools")
        for path in found:
            owner = owning_package(path)
            self.assertIsNotNone(owner, f"no package owns {path}")
            # A directory may belong to several packages: one is enough.
            owners = [o.strip() for o in owner.split(",")]
            self.assertTrue(any(o in closure or in_base_image(o) for o in owners),
                            f"{path} comes from {owner}, which the builder stage does not install")


class DockerIgnore(unittest.TestCase):
    def test_excludes_local_output(self):
        with open(os.path.join(SRC, ".dockerignore")) as f:
            patterns = {l.strip().rstrip("/").lstrip("/") for l in f if l.strip() and not l.startswith("#")}
        for p in ("build", "build-*", "tools", "state"):
            self.assertIn(p, patterns)
        # The build needs these.
        for p in ("scripts", "exporter", "tests", "CMakeLists.txt", ".git"):
            self.assertNotIn(p, patterns)


if __name__ == "__main__":
    unittest.main(verbosity=2)
