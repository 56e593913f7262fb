"""The Swift FastCGI daemon (libSwiftGateDaemon) through `swiftgate serve
--fastcgi`, spoken to directly with a small FastCGI client and through a
real nginx."""

import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import pytest

from harness import fcgi, logs
from harness.daemon import START_TIMEOUT, STOP_TIMEOUT, Daemon, starting
from harness.env import IS_ROOT, LIBS, SERVE_AS_ROOT, SWIFTGATE, TEST_APP, free_port, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def start_daemon():
    """Starts daemons with extra arguments; stops every one afterwards."""
    yield from starting(Daemon)


@pytest.fixture(scope="module")
def daemon():
    d = Daemon("--threads", "4")
    try:
        yield d
    finally:
        d.stop()


def test_get_info_answers_json(daemon):
    result = daemon.request("GET", "/info", query="a=1")
    assert not result.cut
    assert (result.app_status, result.protocol_status) == (0, fcgi.REQUEST_COMPLETE)
    status, headers, body = result.response()
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    info = json.loads(body)
    assert info["method"] == "GET"
    assert info["pathInfo"] == "/info"
    assert info["scriptName"] == ""
    assert info["query"] == "a=1"


def test_post_of_one_mebibyte_is_read_whole(daemon):
    body = os.urandom(1 << 20)
    status, _, text = daemon.request("POST", "/count", body).response()
    assert status == 200
    assert text == b"1048576\n"


def test_body_in_small_records_is_read_whole(daemon):
    body = b"y" * 100_000
    params = fcgi.cgi_params("POST", "/count", body_length=len(body))
    result = fcgi.request(daemon.address, params, body, chunk=1000)
    assert result.response()[2] == b"100000\n"


def test_request_headers_are_rebuilt_from_http_variables(daemon):
    result = daemon.request("GET", "/headers", headers={"X-Foo-Bar": "baz"},
                            extra={"CONTENT_TYPE": "text/x-test"})
    fields = json.loads(result.response()[2])
    assert fields["x-foo-bar"] == "baz"
    assert fields["content-type"] == "text/x-test"
    assert fields["host"] == "localhost"


@pytest.mark.expect_log("application error in GET /fail: boom")
def test_application_error_is_the_daemons_500(daemon):
    result = daemon.request("GET", "/fail")
    assert not result.cut
    assert result.protocol_status == fcgi.REQUEST_COMPLETE
    status, headers, body = result.response()
    assert status == 500
    assert headers["x-swiftgate-error"] == "500"
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert body == b"Internal Server Error\n"
    assert result.stdout.startswith(b"Status: 500 Internal Server Error\r\n")


@pytest.mark.expect_log("response body for GET /fail-midstream failed: boom")
def test_failure_after_the_head_closes_without_end_request(daemon):
    result = daemon.request("GET", "/fail-midstream")
    assert result.cut
    assert result.stdout.startswith(b"Status: 200 OK\r\n")
    assert b"partial body" in result.stdout


@pytest.mark.expect_log("declared Content-Length 100 but wrote 10 bytes")
def test_short_content_length_is_cut(daemon):
    result = daemon.request("GET", "/short-length")
    assert result.cut
    assert result.response()[2] == b"only ten\n\n"
    assert daemon.wait_for_log("declared Content-Length 100 but wrote 10 bytes")


@pytest.mark.expect_log(
    "wrote more than its Content-Length of 5 bytes",
    "failed: the body is longer than its Content-Length",
)
def test_long_content_length_is_cut_at_the_declared_length(daemon):
    result = daemon.request("GET", "/long-length")
    assert result.cut
    assert result.response()[2] == b"abcde"


@pytest.mark.expect_log(
    "declared Content-Length 100 but wrote 10 bytes",
    "wrote more than its Content-Length of 5 bytes",
    "failed: the body is longer than its Content-Length",
    "declares Content-Length 3 but its body has 9 bytes",
)
def test_wrong_lengths_before_anything_was_sent_are_500(daemon):
    for path in ("/short-unflushed", "/long-unflushed", "/wrong-length-bytes"):
        result = daemon.request("GET", path)
        assert not result.cut, path
        assert result.response()[0] == 500, path


def test_head_has_no_body(daemon):
    result = daemon.request("HEAD", "/info")
    status, headers, body = result.response()
    assert status == 200
    assert body == b""
    assert int(headers["content-length"]) > 0


def test_keep_conn_serves_requests_on_one_connection(daemon):
    with fcgi.Connection(daemon.address) as conn:
        first = conn.request(fcgi.cgi_params("GET", "/info"), keep=True)
        second = conn.request(fcgi.cgi_params("POST", "/count", body_length=5), b"hello", keep=True)
        assert not first.cut and not second.cut
        assert first.response()[0] == 200
        assert second.response()[2] == b"5\n"
        last = conn.request(fcgi.cgi_params("GET", "/info", query="last=1"), keep=False)
        assert json.loads(last.response()[2])["query"] == "last=1"
        assert conn.closed_by_peer(timeout=5), "without KEEP_CONN the daemon closes after END_REQUEST"


def test_get_values_reports_threads_and_no_multiplexing(daemon):
    with fcgi.Connection(daemon.address) as conn:
        values = conn.get_values(["FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS", "NO_SUCH_VALUE"])
    assert values == {"FCGI_MAX_CONNS": "4", "FCGI_MAX_REQS": "4", "FCGI_MPXS_CONNS": "0"}


def test_unknown_management_record_gets_unknown_type(daemon):
    with fcgi.Connection(daemon.address) as conn:
        conn.send(fcgi.record(42, 0, b"whatever"))
        rtype, rid, content = conn.read_record()
        assert (rtype, rid, content[0]) == (fcgi.UNKNOWN_TYPE, 0, 42)
        # The connection goes on.
        assert conn.request(fcgi.cgi_params("GET", "/info")).response()[0] == 200


def test_second_request_id_is_refused_while_one_is_active(daemon):
    with fcgi.Connection(daemon.address) as conn:
        conn.send(fcgi.begin_request(1, keep=True) + fcgi.begin_request(2))
        rtype, rid, content = conn.read_record()
        assert (rtype, rid) == (fcgi.END_REQUEST, 2)
        assert struct.unpack(">IB3x", content)[1] == fcgi.CANT_MPX_CONN
        conn.send(fcgi.stream(fcgi.PARAMS, 1, fcgi.encode_pairs(fcgi.cgi_params("GET", "/info")))
                  + fcgi.stream(fcgi.STDIN, 1, b""))
        result = conn.finish(1)
        assert result.response()[0] == 200


@pytest.mark.parametrize("role", [fcgi.FILTER, 99])
def test_unknown_role_is_refused(daemon, role):
    with fcgi.Connection(daemon.address) as conn:
        conn.send(fcgi.begin_request(7, role=role, keep=True))
        rtype, rid, content = conn.read_record()
        assert (rtype, rid) == (fcgi.END_REQUEST, 7)
        assert struct.unpack(">IB3x", content)[1] == fcgi.UNKNOWN_ROLE
        # KEEP_CONN: the connection serves the next request.
        assert conn.request(fcgi.cgi_params("GET", "/info"), request_id=8).response()[0] == 200


# The front-end's ABORT_REQUEST ends the body the application is reading.
@pytest.mark.expect_log("application error in POST /count: the request body could not be read")
def test_abort_request_ends_the_request(daemon):
    with fcgi.Connection(daemon.address) as conn:
        conn.start(fcgi.cgi_params("POST", "/count", body_length=100000), keep=True)
        conn.send(fcgi.record(fcgi.STDIN, 1, b"x" * 1000) + fcgi.record(fcgi.ABORT_REQUEST, 1))
        result = conn.finish(1)
        assert not result.cut
        assert result.protocol_status == fcgi.REQUEST_COMPLETE
        assert conn.request(fcgi.cgi_params("GET", "/info"), request_id=2).response()[0] == 200


def _params_past_the_end():
    # One pair declaring a 200-byte value with only three bytes after it.
    content = bytes([4]) + struct.pack(">I", 200 | 0x80000000) + b"NAMEabc"
    return fcgi.begin_request(1) + fcgi.record(fcgi.PARAMS, 1, content) + fcgi.record(fcgi.PARAMS, 1)


def _oversized_params():
    big = fcgi.encode_pairs([("HTTP_X_BIG", "v" * 60000)])
    return fcgi.begin_request(1) + b"".join(fcgi.record(fcgi.PARAMS, 1, big) for _ in range(20))


# Bytes no front-end should send, each with the reason the daemon logs.
MALFORMED = {
    "garbage": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "unsupported FastCGI version 71"),
    "bad-version": (fcgi.record(fcgi.BEGIN_REQUEST, 1, struct.pack(">HB5x", 1, 0), version=2),
                    "unsupported FastCGI version 2"),
    "params-length-past-the-end": (_params_past_the_end(),
                                   "name-value pair at offset 0 declares 197 bytes past the end of the data"),
    "oversized-params": (_oversized_params(), "PARAMS larger than 1048576 bytes"),
    "short-begin-request": (fcgi.record(fcgi.BEGIN_REQUEST, 1, b"\x00\x01"), "BEGIN_REQUEST body of 2 bytes"),
    "stdin-before-params-end": (fcgi.begin_request(1) + fcgi.record(fcgi.STDIN, 1, b"body"),
                                "unexpected record of type 5"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_input_closes_only_that_connection(daemon, name):
    data, reason = MALFORMED[name]
    with fcgi.Connection(daemon.address) as bystander:
        bystander.start(fcgi.cgi_params("GET", "/info"), keep=True)
        with fcgi.Connection(daemon.address) as conn:
            try:
                conn.send(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert conn.closed_by_peer(timeout=5), name
        # A request in progress on another connection is unaffected...
        bystander.send(fcgi.stream(fcgi.STDIN, 1, b""))
        assert bystander.finish(1).response()[0] == 200
    # ...and so is the next one.
    assert daemon.request("GET", "/info").response()[0] == 200
    assert daemon.wait_for_log("closing a FastCGI connection: malformed FastCGI input: " + reason)
    assert daemon.proc.poll() is None


def test_queue_timeout_answers_503(start_daemon):
    daemon = start_daemon("--queue-timeout", "1")
    late = str(int((time.time() - 2) * 1_000_000))
    result = daemon.request("GET", "/info", extra={"swiftgate.request_start": late})
    status, headers, body = result.response()
    assert status == 503
    assert headers["x-swiftgate-error"] == "503"
    assert body == b"Service Unavailable\n"
    fresh = str(int(time.time() * 1_000_000))
    assert daemon.request("GET", "/info", extra={"swiftgate.request_start": fresh}).response()[0] == 200
    assert daemon.wait_for_log("longer than queue-timeout")


@pytest.mark.expect_log("ran longer than request-timeout of 1000 ms")
def test_request_timeout_exits_with_status_75(start_daemon):
    daemon = start_daemon("--request-timeout", "1")
    conn = fcgi.Connection(daemon.address)
    try:
        conn.start(fcgi.cgi_params("GET", "/sleep", query="ms=5000"))
        conn.send(fcgi.stream(fcgi.STDIN, 1, b""))
        assert daemon.wait(timeout=4.0) == 75
        # interrupt-timeout 0: the monitor cancels the task and exits in the
        # same tick. The exit usually comes first (a cut, which Apache
        # answers with 504); when the worker runs first, the cancelled
        # request has answered 504 itself. Never a normal response.
        result = conn.finish(1)
        assert result.cut or result.response()[0] == 504, result.stdout[:200]
    finally:
        conn.close()
    assert "ran longer than request-timeout of 1000 ms" in daemon.log()
    assert "GET /sleep?ms=5000" in daemon.log()


def test_sigterm_exits_0_promptly_even_with_an_idle_keep_alive_connection(start_daemon):
    daemon = start_daemon()
    with fcgi.Connection(daemon.address) as idle:
        assert idle.request(fcgi.cgi_params("GET", "/info"), keep=True).response()[0] == 200
        began = time.monotonic()
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=3.0) == 0
        assert time.monotonic() - began < 3.0
        assert idle.closed_by_peer(timeout=1)
    assert not os.path.exists(daemon.sock)
    assert "exiting: stopping on request" in daemon.log()


def test_sigterm_lets_a_running_request_finish(start_daemon):
    daemon = start_daemon()
    with fcgi.Connection(daemon.address) as conn:
        conn.start(fcgi.cgi_params("GET", "/sleep", query="ms=1000"))
        conn.send(fcgi.stream(fcgi.STDIN, 1, b""))
        time.sleep(0.3)
        daemon.proc.send_signal(signal.SIGTERM)
        result = conn.finish(1)
        assert not result.cut
        assert result.response()[2] == b"slept\n"
    assert daemon.wait(timeout=STOP_TIMEOUT) == 0


def test_a_blocked_request_does_not_stall_the_others(start_daemon):
    daemon = start_daemon("--threads", "2")
    with fcgi.Connection(daemon.address) as slow:
        slow.start(fcgi.cgi_params("GET", "/sleep", query="ms=3000"))
        slow.send(fcgi.stream(fcgi.STDIN, 1, b""))
        began = time.monotonic()
        for _ in range(5):
            assert daemon.request("GET", "/info").response()[0] == 200
        assert time.monotonic() - began < 2.0
        assert slow.finish(1).response()[2] == b"slept\n"


def test_other_callable_and_application_group(start_daemon):
    daemon = start_daemon("--callable", "second_application", "--application-group", "g2")
    assert daemon.request("GET", "/").response()[2] == b"second application\n"
    assert "callable 'second_application' group 'g2'" in daemon.log()


def test_one_connection_switches_between_applications(start_daemon):
    """A connection reuses its last choice of application only while the
    request names the same callable and application group."""
    daemon = start_daemon("--application-group", "g1")

    def info(conn, extra):
        result = conn.request(fcgi.cgi_params("GET", "/info", extra=extra), keep=True)
        return result.response()[2]

    second = {"swiftgate.callable_object": "second_application"}
    with fcgi.Connection(daemon.address) as conn:
        assert json.loads(info(conn, {}))["applicationGroup"] == "g1"
        assert json.loads(info(conn, {}))["applicationGroup"] == "g1"
        assert info(conn, second) == b"second application\n"
        assert json.loads(info(conn, {}))["applicationGroup"] == "g1"
        assert json.loads(info(conn, {"swiftgate.application_group": "g2"}))["applicationGroup"] == "g2"
        assert json.loads(info(conn, {"swiftgate.application_group": ""}))["applicationGroup"] == ""
        assert json.loads(info(conn, {}))["applicationGroup"] == "g1"
        assert info(conn, second) == b"second application\n"
    assert "group 'g2'" in daemon.log()


def run_cli(*args):
    return subprocess.run([SWIFTGATE, *args, *SERVE_AS_ROOT], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=30)


def test_cli_reports_a_missing_library():
    missing = "/nonexistent/libNope.so"
    result = run_cli("serve", "--fastcgi", "unix:/tmp/sg-never.sock", missing)
    assert result.returncode != 0
    assert "application library not found" in result.stderr
    assert missing in result.stderr


def test_cli_reports_an_address_in_use():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli("serve", "--fastcgi", "127.0.0.1:%d" % port, TEST_APP)
    assert result.returncode != 0
    assert "address in use: 127.0.0.1:%d" % port in result.stderr


@pytest.mark.parametrize("address", ["nowhere", "127.0.0.1:http", "127.0.0.1:70000", "unix:"])
def test_cli_reports_a_bad_address(address):
    result = run_cli("serve", "--fastcgi", address, TEST_APP)
    assert result.returncode != 0
    assert "bad address" in result.stderr


def test_tcp_listening(start_daemon):
    daemon = start_daemon(tcp=True)
    port = daemon.port

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    assert wait_until(up, START_TIMEOUT)
    result = fcgi.request(("127.0.0.1", port), fcgi.cgi_params("GET", "/info"))
    assert result.response()[0] == 200
    # SIGTERM: a clean exit.
    assert daemon.stop() == 0


NGINX_CONF = """{user}
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_NAME "";
            fastcgi_param PATH_INFO $uri;
            fastcgi_pass unix:{sock};
        }}
    }}
}}
"""


@pytest.fixture
def nginx(start_daemon):
    assert os.path.exists(NGINX), "nginx is not installed (make test installs it)"
    daemon = start_daemon()
    os.chmod(daemon.dir, 0o755)
    os.chmod(daemon.sock, 0o777)
    root = tempfile.mkdtemp(prefix="sg-nginx-")
    port = free_port()
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(user="user root;" if os.geteuid() == 0 else "", dir=root,
                                  port=port, sock=daemon.sock))
    watched = logs.watch(os.path.join(root, "error.log"), ("nginx",), "nginx's error log")
    proc = subprocess.Popen([NGINX, "-c", conf, "-p", root, "-e", os.path.join(root, "error.log")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def up():
        if proc.poll() is not None:
            pytest.fail("nginx exited: %s" % proc.stderr.read().decode())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    try:
        assert wait_until(up, START_TIMEOUT), "nginx did not start"
        yield port, daemon
    finally:
        if proc.poll() is None:
            subprocess.run([NGINX, "-c", conf, "-p", root, "-e", os.path.join(root, "error.log"), "-s", "stop"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=STOP_TIMEOUT)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT)
        proc.stderr.close()
        logs.unwatch(watched)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.expect_log("application error in GET /fail: boom")
def test_behind_nginx(nginx):
    port, daemon = nginx
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("GET", "/info/deeper?x=1")
        response = conn.getresponse()
        info = json.loads(response.read())
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json"
        assert info["scriptName"] == ""
        assert info["pathInfo"] == "/info/deeper"
        assert info["query"] == "x=1"

        body = os.urandom(300_000)
        conn.request("POST", "/count", body=body, headers={"Content-Type": "application/octet-stream"})
        response = conn.getresponse()
        assert response.status == 200
        assert response.read() == b"300000\n"

        conn.request("GET", "/fail")
        response = conn.getresponse()
        response.read()
        assert response.status == 500
        assert response.getheader("X-SwiftGate-Error") == "500"
    finally:
        conn.close()


needs_root = pytest.mark.skipif(not IS_ROOT, reason="only root can be refused as root or switch users")


@needs_root
def test_cli_refuses_root_without_a_user():
    result = subprocess.run([SWIFTGATE, "serve", "--fastcgi", "unix:/tmp/sg-never-root.sock", TEST_APP],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "refusing to run an application as root" in result.stderr
    assert not os.path.exists("/tmp/sg-never-root.sock")


@needs_root
def test_cli_switches_to_the_user_before_loading_the_application():
    d = Daemon("--user", "nobody")
    try:
        assert d.request("GET", "/info").response()[0] == 200
        with open("/proc/%d/status" % d.proc.pid) as f:
            ids = {line.split(":")[0]: line.split()[1:] for line in f if line.startswith(("Uid", "Gid"))}
        nobody = pwd.getpwnam("nobody")
        assert ids["Uid"] == [str(nobody.pw_uid)] * 4
        assert ids["Gid"] == [str(nobody.pw_gid)] * 4
    finally:
        d.stop()


@needs_root
@pytest.mark.skipif(not shutil.which("setpriv"), reason="setpriv (util-linux) is not installed")
def test_a_failing_setuid_ends_the_cli():
    # Without CAP_SETUID root can still change groups, but not its user id.
    result = subprocess.run(["setpriv", "--bounding-set=-setuid", "--inh-caps=-setuid",
                             SWIFTGATE, "serve", "--fastcgi", "unix:/tmp/sg-never-setuid.sock", TEST_APP,
                             "--user", "nobody"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    nobody = pwd.getpwnam("nobody")
    assert result.returncode != 0
    assert ("cannot switch to user nobody (uid %d, gid %d): setuid: Operation not permitted"
            % (nobody.pw_uid, nobody.pw_gid)) in result.stderr
    assert "serving" not in result.stderr


def write_secret(mode, text="a secret only the front-end knows\n"):
    fd, path = tempfile.mkstemp(prefix="sg-secret-")
    os.write(fd, text.encode())
    os.close(fd)
    os.chmod(path, mode)
    return path


def test_a_secret_file_makes_the_daemon_serve_only_who_knows_it(start_daemon):
    path = write_secret(0o600)
    try:
        d = start_daemon("--secret-file", path)
        params = fcgi.cgi_params("GET", "/info")
        with fcgi.Connection(d.address) as conn:
            conn.start(params)
            assert conn.closed_by_peer()
        assert d.wait_for_log("did not carry this daemon's secret")
        with fcgi.Connection(d.address) as conn:
            conn.start(dict(params, **{"swiftgate.secret": "a guess"}))
            assert conn.closed_by_peer()
        proven = dict(params, **{"swiftgate.secret": "a secret only the front-end knows"})
        result = fcgi.request(d.address, proven)
        status, _, body = result.response()
        assert status == 200 and json.loads(body)["pathInfo"] == "/info"
    finally:
        os.unlink(path)


def test_the_secret_never_reaches_the_application(start_daemon):
    # Without --secret-file nothing is checked, and a front-end's secret
    # parameter is still kept from the application.
    d = start_daemon(library=os.path.join(LIBS, "libExampleSite.so"))
    result = d.request("GET", "/env", extra={"swiftgate.secret": "whatever"})
    status, _, body = result.response()
    assert status == 200
    env = json.loads(body)
    assert "swiftgate.secret" not in env and env["REQUEST_METHOD"] == "GET"


@pytest.mark.parametrize("mode, text, message", [
    (0o644, "s3cret\n", "can be read by others"),
    (0o600, "\n", "is empty"),
])
def test_an_unsafe_or_empty_secret_file_is_refused(mode, text, message):
    path = write_secret(mode, text)
    try:
        done = subprocess.run([SWIFTGATE, "serve", "--fastcgi", "unix:/tmp/sg-never-secret.sock", TEST_APP,
                               *SERVE_AS_ROOT, "--secret-file", path],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        assert done.returncode != 0
        assert message in done.stderr
        assert not os.path.exists("/tmp/sg-never-secret.sock")
    finally:
        os.unlink(path)
