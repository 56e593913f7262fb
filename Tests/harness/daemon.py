"""The Swift daemon without Apache: `swiftgate serve --fastcgi` as a user
runs it (Daemon), and libSwiftGateDaemon.so run by the C host in
fixtures/daemon_host.c, the way mod_swiftgate calls it (Host). Each runs
from a temporary folder of its own, with its output in a log there that
harness.logs watches."""

import os
import shutil
import signal
import subprocess
import tempfile

import pytest

from . import fcgi, logs
from .env import DAEMON_LIBRARY, SERVE_AS_ROOT, SWIFTGATE, TEST_APP, free_port, wait_until
from .fixtures import build_library

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def starting(make):
    """The body of a fixture that starts servers as a test asks: yields
    start(*args, **kwargs), which returns make(*args, **kwargs) and
    remembers it; every one is stopped afterwards."""
    started = []

    def start(*args, **kwargs):
        server = make(*args, **kwargs)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


def listen_address(folder, tcp):
    """Where a daemon started in `folder` listens: (the address fcgi
    connects to, the text `serve --fastcgi` takes, the TCP port or None);
    a UNIX socket FOLDER/d.sock, or a free loopback port with tcp."""
    if tcp:
        port = free_port()
        return ("127.0.0.1", port), "127.0.0.1:%d" % port, port
    address = "unix:" + os.path.join(folder, "d.sock")
    return address, address, None


class LoggedProcess:
    """A command started in the background from a temporary folder, its
    stdout and stderr in FOLDER/LOG_NAME, which is watched in `formats`."""

    def __init__(self, prefix, log_name, formats):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.log_path = os.path.join(self.dir, log_name)
        self.log_file = open(self.log_path, "wb")
        self.watched = logs.watch(self.log_path, formats)
        self.proc = None

    def launch(self, args, stdin=subprocess.DEVNULL):
        self.proc = subprocess.Popen(args, stdin=stdin, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.watched.name = "%s (pid %d)" % (" ".join([os.path.basename(args[0])] + args[1:4]), self.proc.pid)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_for_log(self, text, timeout=5.0):
        return wait_until(lambda: text in self.log(), timeout)

    def wait(self, timeout):
        """The exit status, or None if the process still runs after timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def end(self):
        """Called by stop() once the process has ended: has the rest of the
        log checked and removes the folder."""
        self.log_file.close()
        logs.unwatch(self.watched)
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon(LoggedProcess):
    """`swiftgate serve --fastcgi ADDRESS LIBRARY [args]` in the background,
    on a UNIX socket in its folder (d.sock) or, with tcp, on a free
    loopback port. `fixture` names a C application (fixtures/) to build
    into the folder and serve instead of `library`."""

    def __init__(self, *args, library=TEST_APP, fixture=None, tcp=False):
        super().__init__("sgd-", "daemon.log", ("stderr",))
        if fixture:
            os.chmod(self.dir, 0o755)
            library = build_library(fixture, self.dir)
        self.library = library
        self.sock = os.path.join(self.dir, "d.sock")
        self.address, listen, self.port = listen_address(self.dir, tcp)
        self.launch([SWIFTGATE, "serve", "--fastcgi", listen, library, *SERVE_AS_ROOT, *args])
        if not wait_until(self.ready, START_TIMEOUT):
            self.stop()
            pytest.fail("daemon did not start listening:\n" + self.log())

    def ready(self):
        if self.proc.poll() is not None:
            pytest.fail("daemon exited with %s:\n%s" % (self.proc.returncode, self.log()))
        try:
            with fcgi.Connection(self.address, timeout=1.0):
                return True
        except OSError:
            return False

    def stop(self):
        """SIGTERM, then SIGKILL if it has not ended within STOP_TIMEOUT;
        returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(STOP_TIMEOUT) is None:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        self.end()
        return self.proc.returncode

    def request(self, method="GET", path="/", body=b"", **kwargs):
        """One request on a connection of its own; `query`, `headers` and
        `extra` go to the CGI variables, the rest to fcgi.request."""
        params = fcgi.cgi_params(method, path, body_length=len(body) if body else None,
                                 **{k: v for k, v in kwargs.items() if k in ("query", "headers", "extra")})
        return fcgi.request(self.address, params, body,
                            **{k: v for k, v in kwargs.items() if k not in ("query", "headers", "extra")})

    def authorize(self, **kwargs):
        """One AUTHORIZER request with fcgi.authorizer_params(**kwargs)."""
        return fcgi.authorize(self.address, fcgi.authorizer_params(**kwargs))


class Host(LoggedProcess):
    """One daemon_host process (fixtures/daemon_host.c, built as `binary`)
    serving libSwiftGateDaemon.so on a UNIX socket of its own, configured
    with key=value options (a list of pairs); its stdin is the control
    pipe."""

    def __init__(self, binary, options, wait_ready=True):
        # The host's log, and stderr's for what the daemon says before it has
        # the host's (a config it cannot read).
        super().__init__("sgh-", "host.log", ("host", "stderr"))
        self.sock = os.path.join(self.dir, "d.sock")
        self.address = "unix:" + self.sock
        # Tests run as root in CI: the host allows it unless told otherwise.
        if not any(key == "flags" for key, _ in options):
            options = [("flags", "1")] + options
        self.launch([binary, DAEMON_LIBRARY, self.sock] + ["%s=%s" % kv for kv in options], stdin=subprocess.PIPE)
        if wait_ready and not wait_until(self.ready, START_TIMEOUT):
            self.stop()
            pytest.fail("the daemon did not start:\n" + self.log())

    def ready(self):
        return self.proc.poll() is not None or "serving FastCGI" in self.log()

    def control(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
        if not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        self.end()

    def get(self, path, query="", extra=None, **kwargs):
        return fcgi.request(self.address, fcgi.cgi_params("GET", path, query=query, extra=extra), **kwargs)

