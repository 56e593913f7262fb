"""`swiftgate serve --fastcgi ADDRESS:PORT` with the example site inside a
backend host's network namespace (harness.netns), as a backend host runs
it behind a balancer: on TCP, with a secret the front sends, and a health
path. Its output is watched like any daemon's (harness.logs)."""

import json
import os
import signal

import pytest

from . import fcgi
from .daemon import LoggedProcess
from .env import EXAMPLE_SITE, SERVE_AS_ROOT, SWIFTGATE, wait_until

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PORT = 9000
HEALTH_PATH = "/health"


class Backend(LoggedProcess):
    """One backend on `host` (a harness.netns.Host). `store` is the user
    store's settings ({"path": …} today). Extra serve arguments go in
    `options` (`--processes 2` once the supervisor serves them)."""

    def __init__(self, host, name, secret_file, store, library=EXAMPLE_SITE, threads=4, options=()):
        super().__init__("sg-backend-%s-" % name, "serve.log", ("stderr",))
        os.chmod(self.dir, 0o700)
        self.host = host
        self.name = name
        self.endpoint = (host.address, PORT)
        self.hostport = "%s:%d" % self.endpoint
        self.settings = os.path.join(self.dir, "settings.json")
        with open(os.open(self.settings, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            json.dump({"site": {"title": "Backend %s" % name, "instance": name},
                       "database": {"path": os.path.join(self.dir, "notes.sqlite")},
                       "users": store}, f)
        self.args = host.command([SWIFTGATE, "serve", "--fastcgi", self.hostport, library,
                                  "--settings", self.settings, "--secret-file", secret_file,
                                  "--health-path", HEALTH_PATH, "--threads", str(threads),
                                  *SERVE_AS_ROOT, *options])

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
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(STOP_TIMEOUT) is None:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)

    def remove(self):
        self.stop()
        self.end()
