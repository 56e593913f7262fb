"""`swiftgate serve --fastcgi ADDRESS --processes N`: the daemon processes
under mod_swiftgate's own supervision (swiftgate-supervise) without
Apache: N processes on one socket, a killed one replaced, recycling,
request-timeout, SIGHUP's rolling restart, the control socket, a drain on
SIGTERM, socket activation (LISTEN_FDS) and readiness (NOTIFY_SOCKET), and
the systemd unit as shipped."""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from harness import fcgi
from harness.daemon import START_TIMEOUT, STOP_TIMEOUT, LoggedProcess, listen_address, starting
from harness.env import IS_ROOT, LIBS, REPO, SWIFTGATE, TEST_APP, free_port, wait_until

SUPERVISOR = os.path.join(os.path.dirname(os.environ.get("SWIFTGATE_MODULE", os.path.join(
    REPO, ".build/module/mod_swiftgate.so"))), "swiftgate-supervise")
# Started as root, the processes need a user to run as.
AS_USER = ["--user", "www-data"] if IS_ROOT else []


def supervised_args(*args):
    return ["--processes", *args[:1], "--supervisor-path", SUPERVISOR,
            "--daemon-library-path", os.path.join(LIBS, "libSwiftGateDaemon.so"), *AS_USER, *args[1:]]


class Supervised(LoggedProcess):
    """`swiftgate serve --fastcgi unix:DIR/d.sock --processes N LIBRARY`
    (or on a free loopback port with tcp=True), waited for until every
    process serves."""

    def __init__(self, processes, *args, tcp=False, wait=True, expect_exit=False):
        super().__init__("sgs-", "serve.log", ("apache", "stderr"))
        os.chmod(self.dir, 0o755)
        self.processes = processes
        self.address, listen, self.port = listen_address(self.dir, tcp)
        self.launch([SWIFTGATE, "serve", "--fastcgi", listen, *supervised_args(str(processes), *args), TEST_APP])
        # Whatever goes wrong while waiting, nothing started is left running.
        try:
            started = not wait or wait_until(lambda: len(self.pids()) >= processes and self.answers(), START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        if not started:
            self.stop()
            pytest.fail("the processes did not start:\n" + self.log())

    def answers(self):
        if self.proc.poll() is not None:
            pytest.fail("serve exited with %s:\n%s" % (self.proc.returncode, self.log()))
        try:
            return self.get("/pid").response()[0] == 200
        except OSError:
            return False

    def get(self, path, query="", timeout=15.0):
        with fcgi.Connection(self.address, timeout=timeout) as conn:
            return conn.request(fcgi.cgi_params("GET", path, query=query))

    def pids(self):
        """The serving processes: children of serve's own pid (it became the
        supervisor) but the tick helper."""
        found = set()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open("/proc/%s/comm" % entry) as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid and fields[0] != "Z" and comm != "swiftgate-tick":
                found.add(int(entry))
        return found

    def pid_seen(self, attempts=60):
        """The pids that answered /pid over `attempts` new connections."""
        seen = set()
        for _ in range(attempts):
            status, _, body = self.get("/pid").response()
            assert status == 200
            seen.add(int(body))
        return seen

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(STOP_TIMEOUT + 10) is None:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        self.end()
        return self.proc.returncode


@pytest.fixture
def serve():
    yield from starting(Supervised)


def test_three_processes_serve_one_socket_under_the_same_pid(serve):
    s = serve(3, "--threads", "2")
    pids = s.pids()
    assert len(pids) == 3
    # serve became the supervisor: it is the processes' parent, and it is
    # not a Swift process (it never loaded the runtime).
    with open("/proc/%d/comm" % s.proc.pid) as f:
        assert f.read().strip() == "swiftgate-super"
    with open("/proc/%d/maps" % s.proc.pid) as f:
        assert "libswiftCore" not in f.read()
    assert wait_until(lambda: len(s.pid_seen(20)) >= 2, 10), "one process served every connection"
    assert s.pid_seen() <= pids
    assert "SG00802" in s.log() and "3 process(es) serving on unix:" in s.log()


@pytest.mark.expect_log("SG00406")
def test_a_killed_process_is_replaced(serve):
    s = serve(2)
    before = s.pids()
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    assert wait_until(lambda: len(s.pids()) == 2 and victim not in s.pids(), 15), s.log()
    assert wait_until(lambda: s.pid_seen(10) <= s.pids(), 10)
    assert re.search(r"process %d ended \(signal 9, incident [0-9a-f-]+\); starting another" % victim, s.log())


def test_maximum_requests_recycles_without_a_failed_request(serve):
    s = serve(2, "--option", "maximum-requests=5")
    first = s.pids()
    for _ in range(30):
        status, _, _ = s.get("/pid").response()
        assert status == 200
    assert wait_until(lambda: not (s.pids() & first) and len(s.pids()) == 2, 15), s.log()


@pytest.mark.expect_log("SG00406", "request-timeout")
def test_request_timeout_cancels_first_and_replaces_a_process_that_ignores_it(serve):
    s = serve(1, "--request-timeout", "1", "--option", "interrupt-timeout=1")
    (pid,) = s.pids()
    # A task that looks at cancellation: 504, and the process serves on.
    status, _, _ = s.get("/sleep", query="ms=6000", timeout=20).response()
    assert status == 504
    assert s.pid_seen(5) == {pid}
    # A thread that never looks: the process is replaced after
    # interrupt-timeout and the request is cut.
    assert s.get("/block", query="ms=8000", timeout=20).cut
    assert wait_until(lambda: s.pids() and pid not in s.pids() and s.answers(), 15), s.log()


def test_sigterm_lets_a_running_request_finish_then_exits(serve):
    s = serve(2, "--option", "shutdown-timeout=10")
    pids = s.pids()
    result = {}

    def slow():
        result["r"] = s.get("/sleep", query="ms=2500", timeout=20)

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.5)
    s.proc.send_signal(signal.SIGTERM)
    t.join(20)
    assert result["r"].response()[0] == 200
    assert s.wait(15) == 0, s.log()
    assert not any(os.path.exists("/proc/%d" % p) for p in pids)
    assert "SG00804" in s.log()
    # The socket no longer takes connections, and its file is gone.
    with pytest.raises(OSError):
        with fcgi.Connection(s.address, timeout=2):
            pass
    assert not os.path.exists(s.address[len("unix:"):])


def test_sighup_replaces_every_process_one_at_a_time(serve):
    s = serve(2)
    first = s.pids()
    failures = []
    stop = threading.Event()

    def load():
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if s.get("/pid").response()[0] != 200:
                    failures.append("status")
            except (OSError, AssertionError) as e:
                failures.append(repr(e))

    t = threading.Thread(target=load)
    t.start()
    try:
        s.proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: not (s.pids() & first) and len(s.pids()) == 2, 25), s.log()
    finally:
        stop.set()
        t.join(30)
    assert failures == []
    assert "SIGHUP" in s.log()


def test_the_control_socket_takes_swiftgate_restart(serve, tmp_path):
    control = os.path.join(str(tmp_path), "control")
    os.chmod(str(tmp_path), 0o755)
    s = serve(2, "--control", control)
    first = s.pids()
    out = subprocess.run([SWIFTGATE, "restart", "serve", "--socket", control],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert wait_until(lambda: not (s.pids() & first) and len(s.pids()) == 2, 25), s.log()
    assert os.stat(control).st_mode & 0o777 == 0o600


@pytest.mark.parametrize("args, message", [
    (["--option", "procs=2"], "unknown option 'procs'"),
    (["--option", "min-processes=3"], "min-processes=3 is more than max-processes=2"),
    (["--option", "max-processes=4"], "an adaptive pool's --processes is its max-processes="),
    (["--request-timeout", "1.5"], "whole seconds"),
])
def test_bad_group_options_are_refused_before_anything_starts(args, message):
    out = subprocess.run([SWIFTGATE, "serve", "--fastcgi", "127.0.0.1:%d" % free_port(),
                          *supervised_args("2", *args), TEST_APP], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert message in out.stderr


def test_processes_refuse_root_without_a_user():
    args = ["--processes", "2", "--supervisor-path", SUPERVISOR]
    out = subprocess.run([SWIFTGATE, "serve", "--fastcgi", "127.0.0.1:%d" % free_port(), "--allow-root", *args,
                          TEST_APP], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "--allow-root does not go with --processes" in out.stderr
    if IS_ROOT:
        out = subprocess.run([SWIFTGATE, "serve", "--fastcgi", "127.0.0.1:%d" % free_port(), *args, TEST_APP],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode != 0 and "name the user the processes run as with --user" in out.stderr


# ---- systemd: socket activation, readiness, the unit as shipped ----

UNIT = os.path.join(REPO, "apache", "swiftgate@.service")
UNIT_ENV = os.path.join(REPO, "apache", "swiftgate.env.example")


def exec_start(environment):
    """The unit's ExecStart, with its environment file's variables (and
    %i) substituted as systemd does: $X splits into words, ${X} is one."""
    with open(UNIT) as f:
        line = next(l for l in f.read().splitlines() if l.startswith("ExecStart="))
    words = []
    for word in shlex.split(line[len("ExecStart="):].replace("%i", "test")):
        whole = re.fullmatch(r"\$\{(\w+)\}", word)
        split = re.fullmatch(r"\$(\w+)", word)
        if whole:
            words.append(environment[whole.group(1)])
        elif split:
            words.extend(environment[split.group(1)].split())
        else:
            words.append(word)
    return words


def read_env_file(path):
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key] = value.strip('"')
    return values


class Activated(LoggedProcess):
    """A command started the way systemd starts a socket-activated Type=notify
    service: the listening socket as descriptor 3 with LISTEN_FDS=1 and
    LISTEN_PID (set by a shell that then executes the command, keeping its
    pid), and NOTIFY_SOCKET naming a datagram socket this side reads."""

    def __init__(self, argv, listener):
        super().__init__("sga-", "serve.log", ("apache", "stderr"))
        os.chmod(self.dir, 0o755)
        self.notify_path = os.path.join(self.dir, "notify")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.settimeout(1.0)
        self.messages = []
        script = 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"'
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        fd = listener.fileno()

        def as_descriptor_3():
            os.dup2(fd, 3)
            os.close(fd)

        self.proc = subprocess.Popen(["sh", "-c", script, "sh", *argv], stdout=self.log_file,
                                     stderr=subprocess.STDOUT, pass_fds=(3,), preexec_fn=as_descriptor_3, env=env)

    def wait_message(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in m for m in self.messages):
                return True
            try:
                self.messages.append(self.notify.recv(4096).decode())
            except socket.timeout:
                if self.proc.poll() is not None:
                    return False
        return any(text in m for m in self.messages)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(STOP_TIMEOUT + 10) is None:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        self.notify.close()
        self.end()
        return self.proc.returncode


def test_the_shipped_unit_starts_socket_activated_and_reports_ready(tmp_path):
    # Files the processes' user reads: in a folder it can reach.
    tmp_path = tempfile.mkdtemp(prefix="sgu-")
    environment = read_env_file(UNIT_ENV)
    # The example's paths become this build's and this test's.
    settings = os.path.join(str(tmp_path), "settings.json")
    with open(settings, "w") as f:
        f.write("{}\n")
    os.chmod(str(tmp_path), 0o755)
    os.chmod(settings, 0o644)
    secret_file = os.path.join(str(tmp_path), "secret")
    with open(secret_file, "w") as f:
        f.write("the front's secret\n")
    os.chmod(secret_file, 0o600)
    environment.update(LIBRARY=TEST_APP, SETTINGS=settings, SECRET_FILE=secret_file, PROCESSES="2",
                       SERVE_USER="www-data" if IS_ROOT else os.environ.get("USER", "root"))
    argv = exec_start(environment)
    assert argv[0] == "/usr/local/bin/swiftgate" and argv[1:4] == ["serve", "--fastcgi", "systemd"]
    argv[0] = SWIFTGATE
    if not IS_ROOT:
        i = argv.index("--user")
        del argv[i:i + 2]
    # The unit's control socket lives in its RuntimeDirectory.
    control = os.path.join(str(tmp_path), "control")
    argv[argv.index("--control") + 1] = control
    argv[-1:-1] = ["--supervisor-path", SUPERVISOR, "--daemon-library-path",
                   os.path.join(LIBS, "libSwiftGateDaemon.so")]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    a = Activated(argv, listener)
    listener.close()
    try:
        assert a.wait_message("READY=1", START_TIMEOUT), a.log()
        assert "cannot" not in a.log(), a.log()
        ready = next(m for m in a.messages if "READY=1" in m)
        assert "STATUS=2 process(es) serving on systemd:127.0.0.1:%d" % port in ready
        params = fcgi.cgi_params("GET", "/pid")
        # Without the secret the connection closes; with it the request is
        # served, by a process that has the instance's settings.
        assert fcgi.request(("127.0.0.1", port), params).cut
        result = fcgi.request(("127.0.0.1", port), dict(params, **{"swiftgate.secret": "the front's secret"}))
        assert result.response()[0] == 200
        with open("/proc/%d/environ" % int(result.response()[2]), "rb") as f:
            assert ("SWIFTGATE_SETTINGS=" + settings).encode() in f.read().split(b"\0")
        a.proc.send_signal(signal.SIGTERM)
        assert a.wait_message("STOPPING=1", 10)
        assert a.wait(15) == 0, a.log()
    finally:
        a.stop()
        shutil.rmtree(tmp_path, ignore_errors=True)


def test_socket_activation_refuses_what_was_not_passed_to_it():
    out = subprocess.run([SWIFTGATE, "serve", "--fastcgi", "systemd", *supervised_args("2"), TEST_APP],
                         capture_output=True, text=True, timeout=30,
                         env={k: v for k, v in os.environ.items() if not k.startswith("LISTEN_")})
    assert out.returncode != 0 and "no socket was passed" in out.stderr
    out = subprocess.run([SWIFTGATE, "serve", "--fastcgi", "systemd", *supervised_args("2"), TEST_APP],
                         capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, LISTEN_FDS="1", LISTEN_PID="1"))
    assert out.returncode != 0 and "not this one" in out.stderr


def test_the_shipped_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: make test installs Debian's systemd package"
    for name in ("swiftgate@.service", "swiftgate@.socket"):
        with open(os.path.join(REPO, "apache", name)) as f:
            text = f.read()
        # The command must exist where verify looks; the rest is as shipped.
        with open(os.path.join(str(tmp_path), name), "w") as f:
            f.write(text.replace("/usr/local/bin/swiftgate", SWIFTGATE))
    out = subprocess.run([analyze, "verify", "--man=no", "./swiftgate@site.service", "./swiftgate@site.socket"],
                         cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    complaints = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    assert out.returncode == 0 and complaints == [], "\n".join(complaints)
