"""The health path a daemon answers itself, for a balancer's probe
(`swiftgate serve --health-path`, `health-path=` of a daemon group): 200
`ok` while the process serves, 503 once it drains, never the application,
and never without the secret. And FCGI_GET_VALUES, which a front-end may
send before any request, answered with a secret too."""

import os
import signal
import subprocess
import tempfile

import pytest

from harness import fcgi
from harness.conf import daemon_site
from harness.daemon import Daemon, Host, starting
from harness.env import SERVE_AS_ROOT, SWIFTGATE, TEST_APP, wait_until
from harness.fixtures import build

SECRET = "the front-end's secret"


@pytest.fixture
def secret_file():
    fd, path = tempfile.mkstemp(prefix="sg-health-secret-")
    with os.fdopen(fd, "w") as f:
        f.write(SECRET + "\n")
    os.chmod(path, 0o600)
    try:
        yield path
    finally:
        os.unlink(path)


@pytest.fixture
def start_daemon():
    yield from starting(Daemon)


def proven(method, path, query="", extra=None):
    params = fcgi.cgi_params(method, path, query=query, extra=extra)
    params["swiftgate.secret"] = SECRET
    return params


def test_the_daemon_answers_its_health_path_itself(start_daemon, secret_file):
    d = start_daemon("--health-path", "/health", "--secret-file", secret_file)
    status, headers, body = fcgi.request(d.address, proven("GET", "/health")).response()
    assert (status, body) == (200, b"ok\n")
    assert headers["content-type"].startswith("text/plain")
    assert headers["cache-control"] == "no-store"
    # The query does not matter; HEAD has no body; other methods are 405.
    assert fcgi.request(d.address, proven("GET", "/health", query="probe=1")).response()[:3:2] == (200, b"ok\n")
    status, headers, body = fcgi.request(d.address, proven("HEAD", "/health")).response()
    assert (status, body, headers["content-length"]) == (200, b"", "3")
    status, headers, _ = fcgi.request(d.address, proven("POST", "/health")).response()
    assert status == 405 and headers["allow"] == "GET, HEAD"
    # SCRIPT_NAME and PATH_INFO together, without REQUEST_URI.
    params = proven("GET", "/ignored")
    del params["REQUEST_URI"]
    params.update({"SCRIPT_NAME": "/health", "PATH_INFO": ""})
    assert fcgi.request(d.address, params).response()[2] == b"ok\n"
    # Any other path is the application's: the test app's own /healthz.
    assert fcgi.request(d.address, proven("GET", "/healthz")).response()[2] == b"healthy\n"
    assert fcgi.request(d.address, proven("GET", "/health/more")).response()[0] == 404


def test_the_health_path_alone_is_answered_without_the_secret(start_daemon, secret_file):
    d = start_daemon("--health-path", "/health", "--secret-file", secret_file)
    # A probe cannot send the secret: the fixed answer comes without it.
    for params in (fcgi.cgi_params("GET", "/health"),
                   dict(fcgi.cgi_params("GET", "/health"), **{"swiftgate.secret": "a guess"})):
        status, headers, body = fcgi.request(d.address, params).response()
        assert (status, body) == (200, b"ok\n")
    assert "did not carry" not in d.log()
    # Everything else still needs it: the application's own paths, near
    # misses of the health path, other methods.
    for params in (fcgi.cgi_params("GET", "/healthz"), fcgi.cgi_params("GET", "/health/more"),
                   dict(fcgi.cgi_params("GET", "/healthz"), **{"swiftgate.secret": "a guess"})):
        result = fcgi.unanswered(d.address, params)
        assert result.cut and result.stdout == b"", "answered without the secret"
    assert d.wait_for_log("did not carry this daemon's secret")


def test_get_values_is_answered_by_a_daemon_with_a_secret(start_daemon, secret_file):
    # Management records come before any request, so they carry no
    # parameters and cannot carry the secret: the answer reveals no more
    # than the listening socket does.
    d = start_daemon("--threads", "3", "--secret-file", secret_file, tcp=True)
    with fcgi.Connection(d.address) as conn:
        values = conn.get_values(["FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"])
        assert values == {"FCGI_MAX_CONNS": "3", "FCGI_MAX_REQS": "3", "FCGI_MPXS_CONNS": "0"}
        # The same connection then serves a proven request.
        result = conn.request(proven("GET", "/info"))
    assert result.response()[0] == 200


@pytest.mark.parametrize("path, message", [
    ("health", "--health-path must be a URL path starting with '/'"),
    ("/health?full=1", "--health-path must be a URL path without spaces"),
    ("/a b", "--health-path must be a URL path without spaces"),
    ("/a\tb", "--health-path must be a URL path without spaces"),
])
def test_a_bad_health_path_is_refused(path, message):
    done = subprocess.run([SWIFTGATE, "serve", "--fastcgi", "unix:/tmp/sg-never-health.sock", TEST_APP,
                           *SERVE_AS_ROOT, "--health-path", path], capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert message in done.stderr, done.stderr
    assert not os.path.exists("/tmp/sg-never-health.sock")


def test_a_health_path_needs_fastcgi():
    done = subprocess.run([SWIFTGATE, "serve", "--http", "127.0.0.1:1", TEST_APP, *SERVE_AS_ROOT,
                           "--health-path", "/health"], capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "--health-path goes with --fastcgi" in done.stderr


@pytest.fixture(scope="module")
def host_binary():
    folder = tempfile.mkdtemp(prefix="sg-health-host-")
    try:
        yield build("daemon_host.c", os.path.join(folder, "daemon_host"), "-pthread", "-ldl")
    finally:
        subprocess.run(["rm", "-rf", folder])


@pytest.fixture
def host(host_binary):
    yield from starting(lambda *options: Host(host_binary, list(options)))


def test_the_health_path_answers_503_once_the_daemon_drains(host):
    h = host(("fixed_library", TEST_APP), ("control", "1"), ("health_path", "/health"))
    assert h.get("/health").response()[:3:2] == (200, b"ok\n")
    h.control(b"g")
    assert wait_until(lambda: "draining: exiting once idle" in h.log(), 3)
    # Still accepting while it drains, but the balancer is told to go.
    status, _, body = h.get("/health").response()
    assert (status, body) == (503, b"draining\n")
    assert h.get("/info").response()[0] == 200
    assert h.wait(timeout=5) == 0


def test_a_host_struct_without_the_field_has_no_health_path(host):
    # An older host's struct ends before health_path: whatever lies beyond
    # is not read, and the path is the application's.
    h = host(("fixed_library", TEST_APP), ("health_path", "/healthz"), ("struct_size", "240"))
    assert h.get("/healthz").response()[2] == b"healthy\n"


def test_a_daemon_group_answers_its_health_path(scratch_apache):
    server = scratch_apache(daemon_site("hp", "threads=2 health-path=/hp/health", "/hp"))
    server.start()
    status, headers, body = server.request("GET", "/hp/health")
    assert (status, body) == (200, b"ok\n"), body
    assert headers["content-type"].startswith("text/plain")
    assert server.request("GET", "/hp/healthz")[2] == b"healthy\n"
    pids = server.wait_for(lambda: server.daemon_pids("hp"))
    assert len(pids) == 1
    # SIGUSR1 drains the process: it goes on accepting until idle, and
    # its health path says 503 meanwhile.
    os.kill(pids[0], signal.SIGUSR1)
    assert server.wait_for_log("draining: exiting once idle")
    assert server.request("GET", "/hp/health")[0] == 503
    # Once quiet it exits, and its replacement is healthy.
    assert server.wait_for(lambda: server.daemon_pids("hp") and server.daemon_pids("hp") != pids, timeout=15)
    assert server.wait_for(lambda: server.request("GET", "/hp/health")[0] == 200, timeout=15)


def test_supervised_processes_answer_the_health_path(secret_file):
    # --processes hands the path to the supervisor as health-path=, as a
    # SwiftGateDaemonProcess group takes it: every process answers it.
    from harness.daemon import LoggedProcess
    from harness.env import DAEMON_LIBRARY, IS_ROOT, MODULE
    served = LoggedProcess("sg-health-sup-", "serve.log", ("apache", "stderr"))
    os.chmod(served.dir, 0o755)
    sock = os.path.join(served.dir, "d.sock")
    served.launch([SWIFTGATE, "serve", "--fastcgi", "unix:" + sock, "--processes", "2", "--threads", "2",
                   "--supervisor-path", os.path.join(os.path.dirname(MODULE), "swiftgate-supervise"),
                   "--daemon-library-path", DAEMON_LIBRARY, *(["--user", "www-data"] if IS_ROOT else []),
                   "--secret-file", secret_file, "--health-path", "/health", TEST_APP])
    try:
        assert wait_until(lambda: served.log().count("serving FastCGI") >= 2, 30), served.log()
        for _ in range(6):
            status, _, body = fcgi.request("unix:" + sock, proven("GET", "/health")).response()
            assert (status, body) == (200, b"ok\n")
        assert fcgi.request("unix:" + sock, proven("GET", "/healthz")).response()[2] == b"healthy\n"
    finally:
        served.proc.send_signal(signal.SIGTERM)
        if served.wait(15) is None:
            served.proc.kill()
            served.proc.wait(10)
        served.end()
