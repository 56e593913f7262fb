"""Front-ends that balance one site over FastCGI backends on other hosts:
Apache (mod_proxy_balancer + mod_proxy_hcheck), nginx (upstream) and
HAProxy (fcgi-app), each run from apache/fronts/*.in, the templates the
deployment guide shows, on a free loopback port.

Each front says how it reports a backend taken out (`ejected`), read from
its own log: the moment a test measures as "time to eject"."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

from .apache import Apache
from .conf import render
from .env import APACHE_MODULES, free_port, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
START_TIMEOUT = 20.0

# What the Apache front may log at error level when a backend dies under
# it: the connection refused, the member put in error, the request lost.
APACHE_EXPECTED = ("AH01079", "AH00957", "AH00959", "AH01102", "AH01075", "AH01068", "AH10157",
                   "AH01097", "AH01110", "AH01067", "AH02429",
                   # The basic auth case: an unknown user, a wrong password.
                   "AH01618", "AH01617")


class ApacheFront:
    name = "apache"

    def __init__(self, backends, secret, library, auth_settings):
        members = "\n".join(
            '    BalancerMember "fcgi://%s:%d" hcmethod=TCP hcinterval=1 hcfails=1 hcpasses=1' % b.endpoint
            for b in backends)
        site = render("fronts/balancer.conf.in", {
            "APACHE_MODULES": APACHE_MODULES, "MEMBERS": members, "SECRET": secret,
            "AUTH_SETTINGS": auth_settings, "LIBRARY": library, "LIBRARY_DIR": os.path.dirname(library),
        })
        self.server = Apache(site, expected=APACHE_EXPECTED)
        self.port = self.server.port
        # The secret is in the configuration: only root reads it.
        os.chmod(os.path.join(self.server.root, "site.conf"), 0o600)

    def start(self):
        self.server.start()
        return self

    def log(self):
        return self.server.log()

    def ejected(self, backend):
        """A failed probe takes a member out (hcfails=1): hcheck says
        DISABLING, or only its failed connection (AH00957) when a failed
        request put the member in error first; a failed connection of a
        request disables it too (AH00959)."""
        return any(backend.hostport in line and ("Health check DISABLING" in line or "AH00957" in line
                                                 or "AH00959" in line)
                   for line in self.log().splitlines())

    def stop(self):
        self.server.cleanup()


class ProcessFront:
    """A front run in the foreground, its output in ROOT/output.log."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="sg-front-%s-" % self.name)
        os.chmod(self.root, 0o700)
        self.port = free_port()
        self.proc = None
        self.output = os.path.join(self.root, "output.log")

    def launch(self, args):
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

    def wait_listening(self):
        import socket
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited with %s:\n%s" % (self.name, self.proc.returncode, self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("%s did not listen:\n%s" % (self.name, self.log()))

    def read(self, path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log(self):
        return self.read(self.output)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


class NginxFront(ProcessFront):
    name = "nginx"

    def __init__(self, backends, secret):
        super().__init__()
        for d in ("body", "fastcgi", "proxy", "uwsgi", "scgi"):
            os.makedirs(os.path.join(self.root, "tmp", d))
        servers = "\n".join("        server %s:%d max_fails=1 fail_timeout=2s;" % b.endpoint for b in backends)
        self.conf = os.path.join(self.root, "nginx.conf")
        with open(os.open(self.conf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(render("fronts/nginx.conf.in", {
                "ROOT": self.root, "SERVERS": servers, "SECRET": secret, "LISTEN": "127.0.0.1:%d" % self.port,
            }))

    def start(self):
        self.launch([NGINX, "-c", self.conf, "-p", self.root, "-g", "daemon off; master_process on;"])
        return self.wait_listening()

    def log(self):
        return self.read(os.path.join(self.root, "error.log")) + self.read(self.output)

    def ejected(self, backend):
        return any("upstream server temporarily disabled" in line and backend.hostport in line
                   for line in self.log().splitlines())


class HAProxyFront(ProcessFront):
    name = "haproxy"

    def __init__(self, backends, secret):
        super().__init__()
        servers = "\n".join("    server %s %s:%d proto fcgi check inter 500 fall 1 rise 1" % ((b.name,) + b.endpoint)
                            for b in backends)
        self.conf = os.path.join(self.root, "haproxy.cfg")
        with open(os.open(self.conf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(render("fronts/haproxy.cfg.in", {
                "ROOT": self.root, "SERVERS": servers, "SECRET": secret, "LISTEN": "127.0.0.1:%d" % self.port,
            }))

    def start(self):
        check = subprocess.run([HAPROXY, "-c", "-f", self.conf], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr
        self.launch([HAPROXY, "-db", "-f", self.conf])
        return self.wait_listening()

    def ejected(self, backend):
        return any("swiftgate/%s is DOWN" % backend.name in line for line in self.log().splitlines())

    def all_up(self, backends):
        """Whether every backend's last state change says UP (or none was
        reported: HAProxy starts servers UP)."""
        log = self.log()
        for b in backends:
            down = log.rfind("swiftgate/%s is DOWN" % b.name)
            if down >= 0 and log.rfind("swiftgate/%s is UP" % b.name) < down:
                return False
        return True


def wait_ejected(front, backend, since, timeout):
    """Seconds from `since` (time.monotonic()) until the front reports
    `backend` out, or None within timeout."""
    if wait_until(lambda: front.ejected(backend), timeout, step=0.02):
        return time.monotonic() - since
    return None
