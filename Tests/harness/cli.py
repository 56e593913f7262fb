"""The command line as a user runs it: `swiftgate express start-server` (a
private Apache) and `swiftgate serve --http` (the development server), on
free loopback ports, with every wait bounded. Their output, and express's
error log, are watched by harness.logs."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

from . import logs
from .env import DAEMON_LIBRARY, IS_ROOT, LIBS, MODULE, SERVE_AS_ROOT, SWIFTGATE, free_port, http_request, wait_until
from .proc import alive, descendants

# The command line of the build under test (SWIFTGATE_LIBS).
CLI = SWIFTGATE
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


def as_root_options():
    return ["--user", "www-data", "--group", "www-data"] if IS_ROOT else []


class Scratch:
    """A folder everyone can read (Apache's children run as www-data), with
    copies of the test libraries and a settings file whose database lives
    in a folder everyone can write."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="swiftgate-express-test-")
        os.chmod(self.root, 0o755)
        self.data = os.path.join(self.root, "data")
        os.makedirs(self.data)
        os.chmod(self.data, 0o777)
        for lib in ("libExampleSite.so", "libSwiftGateTestApp.so"):
            shutil.copy(os.path.join(LIBS, lib), self.root)
            os.chmod(os.path.join(self.root, lib), 0o755)
        self.settings = self.write("settings.json",
                                   '{"site": {"title": "Express Site"}, "database": {"path": "%s/notes.sqlite"}}'
                                   % self.data)

    def path(self, name):
        return os.path.join(self.root, name)

    def write(self, name, text, mode=0o644):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


class Process:
    """A command whose output goes to a file, with HTTP helpers. The output
    is watched as the command line's log (and Apache's, which
    --log-to-terminal sends there); `logs_too` names more logs, as (path,
    formats)."""

    def __init__(self, args, port, logs_too=()):
        self.port = port
        self.output_file = tempfile.NamedTemporaryFile(prefix="swiftgate-out-", delete=False)
        name = " ".join([os.path.basename(args[0])] + args[1:3])
        self.watched = [logs.watch(self.output_file.name, ("stderr", "apache"), "output of " + name)]
        self.watched += [logs.watch(path, formats, "%s of %s" % (path, name)) for path, formats in logs_too]
        self.proc = subprocess.Popen(args, stdout=self.output_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.seen_children = set()

    def output(self):
        with open(self.output_file.name, errors="replace") as f:
            return f.read()

    def wait_ready(self, path="/"):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("exited with %s:\n%s" % (self.proc.returncode, self.output()))
            try:
                status, _, _ = self.request("GET", path, timeout=5)
                if status < 500:
                    self.seen_children.update(descendants(self.proc.pid))
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("no answer within %ss:\n%s" % (START_TIMEOUT, self.output()))

    def request(self, method, path, body=None, headers=None, timeout=30, conn=None):
        return http_request(self.port, method, path, body=body, headers=headers, timeout=timeout, conn=conn)

    def wait_for_output(self, text, timeout=15.0):
        return wait_until(lambda: text in self.output(), timeout, step=0.1)

    def stop(self, sig=signal.SIGINT):
        """Signals the command and waits; returns its exit status."""
        if self.proc.poll() is None:
            self.seen_children.update(descendants(self.proc.pid))
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def leftovers(self):
        return [pid for pid in self.seen_children if alive(pid)]

    def kill(self):
        for pid in descendants(self.proc.pid) + list(self.seen_children):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def cleanup(self):
        """Stops the command, has the rest of its logs checked and removes
        its output (not express's server root: the caller made it, or
        removes it)."""
        self.stop()
        self.kill()
        for watched in self.watched:
            logs.unwatch(watched)
        os.unlink(self.output_file.name)


def start_express(library, *options, server_root=None, wait=True, path="/"):
    """`swiftgate express start-server` on a free port."""
    port = free_port()
    root = server_root or tempfile.mkdtemp(prefix="swiftgate-express-root-")
    args = [CLI, "express", "start-server", library, "--port", str(port), "--server-root", root,
            "--module-path", MODULE, "--daemon-library-path", DAEMON_LIBRARY] + as_root_options() + list(options)
    process = Process(args, port, [(os.path.join(root, "error_log"), ("apache",))])
    process.server_root = root
    return process.wait_ready(path) if wait else process


def start_dev_server(library, *options, wait=True):
    """`swiftgate serve --http` on a free port."""
    port = free_port()
    args = [CLI, "serve", library, "--http", "127.0.0.1:%d" % port] + SERVE_AS_ROOT + list(options)
    process = Process(args, port)
    return process.wait_ready() if wait else process
