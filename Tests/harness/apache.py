"""A real Apache (Debian's apache2) on a free loopback port, run from a
private server root with a generated config, as a user would run it."""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from . import logs
from .conf import render
from .env import (APACHE, APACHE_MODULES, IS_ROOT, LIBS, MODULE, free_port, http_request, raw_exchange,
                  wait_until)
from .fixtures import build_library
from .proc import children

START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0


class Apache:
    """One private Apache. `site` is the site.conf text; {root} and {site}
    in it are replaced by the server root and its site/ folder. Its error
    log is watched (harness.logs) from the start: `expected` names error
    lines it may write in any test."""

    def __init__(self, site, mpm="event", log_level="info", expected=()):
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
        build_library("raw_app.c", self.site_dir)
        build_library("abi_mismatch.c", self.site_dir)
        user_group = ""
        if IS_ROOT:
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
        self.watched = logs.watch(self.error_log, ("apache",), "Apache %s (port %d, %s)" % (self.root, self.port, mpm),
                                  expected)

    def build_fixture(self, source, name):
        """Compiles fixtures/SOURCE into the site folder as `name`."""
        os.chmod(build_library(source, self.site_dir, name), 0o755)

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
        """Stops the server, has the rest of its log checked, and removes
        its root."""
        try:
            self.stop()
        finally:
            logs.unwatch(self.watched)
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

    def daemon_sockets(self):
        """The daemon groups' sockets, run/swiftgate.N.sock, in group order."""
        run = os.path.join(self.root, "run")
        return sorted(os.path.join(run, n) for n in os.listdir(run) if n.startswith("swiftgate.") and n.endswith(".sock"))

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
        return raw_exchange(self.port, data, timeout)

