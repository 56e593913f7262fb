"""`swiftgate serve --fastcgi ADDRESS:PORT --processes N` with the example
site inside a backend host's network namespace (harness.netns), as a
backend host runs it behind a balancer: on TCP, with a secret the front
sends, a health path, and its processes under the supervisor (as a
SwiftGateDaemonProcess group). Started as root, the processes run as
www-data. Its output is watched like any daemon's (harness.logs)."""

import json
import os
import shutil
import signal

import pytest

from . import fcgi
from .daemon import LoggedProcess
from .env import DAEMON_LIBRARY, EXAMPLE_SITE, IS_ROOT, MODULE, SWIFTGATE, wait_until
from .proc import alive, descendants

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PORT = 9000
HEALTH_PATH = "/health"
# `make module` builds the supervisor beside the module.
SUPERVISOR = os.path.join(os.path.dirname(MODULE), "swiftgate-supervise")


class Backend(LoggedProcess):
    """One backend on `host` (a harness.netns.Host) with `processes`
    processes of `threads` threads. `store` is the user store's settings
    ({"path": …} today)."""

    def __init__(self, host, name, secret_file, store, library=EXAMPLE_SITE, processes=2, threads=4):
        super().__init__("sg-backend-%s-" % name, "serve.log", ("apache", "stderr"))
        # The processes (www-data) read the settings and keep the notes in
        # data/; the secret stays the root's (serve reads it first).
        os.chmod(self.dir, 0o755)
        data = os.path.join(self.dir, "data")
        os.mkdir(data, 0o700)
        if IS_ROOT:
            shutil.chown(data, "www-data", "www-data")
        self.host = host
        self.name = name
        self.endpoint = (host.address, PORT)
        self.hostport = "%s:%d" % self.endpoint
        self.settings = os.path.join(self.dir, "settings.json")
        # The store's URL may hold a password: the settings are for the
        # processes' group alone.
        with open(os.open(self.settings, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640), "w") as f:
            json.dump({"site": {"title": "Backend %s" % name, "instance": name},
                       "database": {"path": os.path.join(data, "notes.sqlite")},
                       "users": store}, f)
        if IS_ROOT:
            shutil.chown(self.settings, "root", "www-data")
        self.args = host.command([SWIFTGATE, "serve", "--fastcgi", self.hostport, library,
                                  "--settings", self.settings, "--secret-file", secret_file,
                                  "--health-path", HEALTH_PATH, "--processes", str(processes),
                                  "--threads", str(threads), *(["--user", "www-data"] if IS_ROOT else []),
                                  "--supervisor-path", SUPERVISOR, "--daemon-library-path", DAEMON_LIBRARY])

    def start(self, wait=True):
        self.launch(self.args)
        if wait and not wait_until(self.ready, START_TIMEOUT, step=0.05):
            pytest.fail("backend %s did not listen on %s:\n%s" % (self.name, self.hostport, self.log()))
        return self

    def ready(self):
        if self.proc.poll() is not None:
            pytest.fail("backend %s exited with %s:\n%s" % (self.name, self.proc.returncode, self.log()))
        try:
            with fcgi.Connection(self.endpoint, timeout=1.0) as conn:
                return conn.get_values(["FCGI_MPXS_CONNS"]) == {"FCGI_MPXS_CONNS": "0"}
        except OSError:
            return False

    def kill9(self):
        """The host fails: SIGKILL to the supervisor and every process
        under it at once."""
        pids = [self.proc.pid] + descendants(self.proc.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.proc.wait(timeout=STOP_TIMEOUT)
        assert wait_until(lambda: not any(alive(p) for p in pids[1:]), STOP_TIMEOUT), "a process outlived SIGKILL"

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(STOP_TIMEOUT) is None:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)

    def remove(self):
        self.stop()
        self.end()
