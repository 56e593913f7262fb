"""A real Apache (Debian's apache2) on a free loopback port, run from a
private server root with a generated config, as a user would run it."""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"
MODULE = os.environ.get("SWIFTGATE_MODULE", os.path.join(REPO, ".build/module/mod_swiftgate.so"))
LIBS = os.environ.get("SWIFTGATE_LIBS", os.path.join(REPO, ".build/debug"))
HEADER_DIR = os.path.join(REPO, "Sources/CSwiftGate/include")
START_TIMEOUT = 20.0
# `swiftgate serve` refuses root without it; CI runs the tests as root.
SERVE_AS_ROOT = ["--allow-root"] if os.geteuid() == 0 else []
STOP_TIMEOUT = 20.0


def wait_until(condition, timeout, step=0.05):
    """Polls condition until it is true or timeout seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def children(parent):
    """Pids whose parent is `parent`, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent:
            found.append(int(entry))
    return sorted(found)


def http_request(port, method, path, body=None, headers=None, timeout=30, conn=None):
    """One request to 127.0.0.1:port, on conn if given (left open) or on a
    connection of its own; returns (status, headers dict lower-cased, body
    bytes)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        if own:
            conn.close()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(template, values):
    with open(os.path.join(REPO, "apache", template)) as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace("@%s@" % key, value)
    left = re.findall(r"@[A-Z_]+@", text)
    assert not left, "unfilled placeholders in %s: %s" % (template, left)
    return text


class Apache:
    """One private Apache. `site` is the site.conf text; {root} and {site}
    in it are replaced by the server root and its site/ folder."""

    def __init__(self, site, mpm="event", log_level="info"):
        self.root = tempfile.mkdtemp(prefix="swiftgate-test-")
        os.chmod(self.root, 0o755)
        self.site_dir = os.path.join(self.root, "site")
        os.makedirs(os.path.join(self.root, "run"))
        os.makedirs(self.site_dir)
        os.makedirs(os.path.join(self.root, "data"))
        self.port = free_port()
        self.mpm = mpm
        self.conf = os.path.join(self.root, "httpd.conf")
        self.error_log = os.path.join(self.root, "error.log")
        self.proc = None
        shutil.copy(MODULE, os.path.join(self.root, "mod_swiftgate.so"))
        for lib in ("libExampleSite.so", "libSwiftGateTestApp.so"):
            shutil.copy(os.path.join(LIBS, lib), self.site_dir)
        # Daemon mode looks for libSwiftGateDaemon.so beside the module.
        daemon = os.path.join(LIBS, "libSwiftGateDaemon.so")
        if os.path.exists(daemon):
            shutil.copy(daemon, self.root)
        self.build_fixture("raw_app.c", "libraw_app.so")
        self.build_fixture("abi_mismatch.c", "libabi_mismatch.so")
        user_group = ""
        if os.geteuid() == 0:
            user_group = "User www-data\nGroup www-data"
            shutil.chown(os.path.join(self.root, "data"), "www-data", "www-data")
        with open(self.conf, "w") as f:
            f.write(render("httpd.conf.in", {
                "SERVER_ROOT": self.root, "HOST": "127.0.0.1", "PORT": str(self.port),
                "ERROR_LOG": self.error_log, "ACCESS_LOG": os.path.join(self.root, "access.log"),
                "LOG_LEVEL": log_level, "USER_GROUP": user_group, "MPM": mpm,
                "APACHE_MODULES": APACHE_MODULES, "MODULE": os.path.join(self.root, "mod_swiftgate.so"),
            }))
        self.write_site(site)
        subprocess.run(["chmod", "-R", "a+rX", self.root], check=True)

    def build_fixture(self, source, name):
        subprocess.run(
            ["cc", "-shared", "-fPIC", "-O1", "-I", HEADER_DIR, "-o", os.path.join(self.site_dir, name),
             os.path.join(os.path.dirname(__file__), "fixtures", source)],
            check=True)

    def write_site(self, site):
        with open(os.path.join(self.root, "site.conf"), "w") as f:
            f.write(site.replace("{root}", self.root).replace("{site}", self.site_dir))

    def configtest(self):
        done = subprocess.run([APACHE, "-f", self.conf, "-t"], capture_output=True, text=True, timeout=30)
        return done.returncode, done.stdout + done.stderr

    def start(self):
        rc, out = self.configtest()
        assert rc == 0, out
        subprocess.run([APACHE, "-f", self.conf, "-k", "start"], check=True, timeout=30)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("Apache did not listen within %ss:\n%s" % (START_TIMEOUT, self.log()))

    def pid(self):
        try:
            with open(os.path.join(self.root, "run", "httpd.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        pid = self.pid()
        subprocess.run([APACHE, "-f", self.conf, "-k", "stop"], timeout=30, capture_output=True)
        deadline = time.monotonic() + STOP_TIMEOUT
        while pid and time.monotonic() < deadline and os.path.exists("/proc/%d" % pid):
            time.sleep(0.1)
        # Anything still running from this server root is killed.
        leftovers = subprocess.run(["pgrep", "-f", self.conf], capture_output=True, text=True).stdout.split()
        for p in leftovers:
            try:
                os.kill(int(p), signal.SIGKILL)
            except OSError:
                pass

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self):
        try:
            with open(self.error_log) as f:
                return f.read()
        except OSError:
            return ""

    def wait_for_log(self, text, timeout=5.0):
        return wait_until(lambda: text in self.log(), timeout)

    def daemon_pids(self, group):
        """Daemon processes of a group: children of the Apache parent that
        show the group's display name."""
        found = []
        for pid in children(self.pid()):
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    cmdline = f.read()
            except OSError:
                continue
            if cmdline.startswith(b"(swiftgate:%s)" % group.encode()):
                found.append(pid)
        return found

    def wait_for(self, predicate, timeout=10.0, interval=0.1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        return predicate()

    def graceful(self):
        subprocess.run([APACHE, "-f", self.conf, "-k", "graceful"], check=True, timeout=30)

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        """One request; returns (status, headers dict lower-cased, body bytes)."""
        return http_request(self.port, method, path, body=body, headers=headers, conn=conn)

    def raw(self, data, timeout=10.0):
        """Sends raw bytes and reads until the server closes (or timeout)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            return read_until_closed(s, timeout)


def read_until_closed(s, timeout):
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
