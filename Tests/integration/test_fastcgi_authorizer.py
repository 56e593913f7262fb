"""The FastCGI AUTHORIZER role of the Swift daemon (`swiftgate serve
--fastcgi`), with an application written in C against swiftgate.h
(fixtures/auth_app.c): spoken to directly, and used by Apache's stock
mod_authnz_fcgi as a Basic auth provider."""

import base64
import os
import subprocess
import time

import pytest

from harness import fcgi
from harness.daemon import Daemon as ServeDaemon
from harness.env import wait_until


class Daemon(ServeDaemon):
    """`swiftgate serve --fastcgi` with two threads serving a C fixture
    (fixtures/), on a UNIX socket or on a loopback TCP port."""

    def __init__(self, fixture, tcp=False):
        super().__init__("--threads", "2", fixture=fixture, tcp=tcp)

    def last_check(self):
        """What the fixture's last check was given, from its responder."""
        status, _, body = fcgi.request(self.address, fcgi.cgi_params("GET", "/last-check")).response()
        assert status == 200
        lines = body.decode().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.fixture(scope="module")
def daemon():
    d = Daemon("auth_app.c")
    try:
        yield d
    finally:
        d.stop()


def outcome(result):
    """(status, headers, body) of a whole, properly ended response."""
    assert not result.cut
    assert (result.app_status, result.protocol_status) == (0, fcgi.REQUEST_COMPLETE)
    return result.response()


@pytest.mark.parametrize("user,password,status", [
    ("ann", "secret", 200),
    ("ann", "wrong", 401),
    ("bob", "secret", 401),
    ("nobody", "secret", 404),
    ("err", "secret", 500),
])
def test_password_check_outcomes(daemon, user, password, status):
    got, headers, body = outcome(daemon.authorize(apache_role="AUTHENTICATOR", user=user, password=password))
    assert got == status
    assert body == b""
    assert ("variable-remote_user" in headers) == (status == 200)


def test_granted_password_carries_the_canonical_name(daemon):
    _, headers, _ = outcome(daemon.authorize(apache_role="AUTHENTICATOR", user="ann", password="secret"))
    assert headers["variable-remote_user"] == "Ann"
    assert headers["content-type"] == "text/plain"
    assert "x-swiftgate-error" not in headers


def test_granted_without_a_canonical_name_sends_no_variable(daemon):
    status, headers, _ = outcome(daemon.authorize(apache_role="AUTHENTICATOR", user="eve", password="secret"))
    assert status == 200
    assert "variable-remote_user" not in headers


@pytest.mark.expect_log("granted access under a name that cannot be sent")
def test_a_canonical_name_that_cannot_be_sent_is_an_error(daemon):
    result = daemon.authorize(apache_role="AUTHENTICATOR", user="dan", password="secret")
    status, headers, _ = outcome(result)
    assert status == 500
    assert b"X-Injected" not in result.stdout


def test_groups_check_lists_the_groups(daemon):
    status, headers, body = outcome(daemon.authorize(apache_role="AUTHORIZER", user="ann", check="groups"))
    assert status == 200
    assert headers["variable-swiftgate_groups"] == "staff,admins"
    assert body == b""
    assert daemon.last_check()["kind"] == "2"


def test_groups_that_cannot_travel_are_left_out(daemon):
    result = daemon.authorize(apache_role="AUTHORIZER", user="carl", check="groups")
    status, headers, _ = outcome(result)
    assert status == 200
    assert headers["variable-swiftgate_groups"] == "ok,fine"
    assert b"bad" not in result.stdout


def test_groups_of_an_unknown_user_is_404(daemon):
    assert outcome(daemon.authorize(apache_role="AUTHORIZER", user="nobody", check="groups"))[0] == 404


@pytest.mark.parametrize("apache_role", [None, "AUTHORIZER", "ACCESS_CHECKER"])
def test_access_check(daemon, apache_role):
    status, headers, _ = outcome(daemon.authorize(apache_role=apache_role, user="ann"))
    assert status == 200
    assert not any(name.startswith("variable-") for name in headers)
    assert daemon.last_check()["kind"] == "3"
    denied = daemon.authorize(apache_role=apache_role, extra={"REMOTE_ADDR": "10.9.9.9"})
    assert outcome(denied)[0] == 401


def test_the_environ_holds_no_password(daemon):
    credentials = base64.b64encode(b"ann:secret").decode()
    result = daemon.authorize(apache_role="AUTHENTICATOR", user="ann", password="secret",
                              extra={"HTTP_AUTHORIZATION": "Basic " + credentials, "HTTP_X_OTHER": "kept"})
    assert outcome(result)[0] == 200
    seen = daemon.last_check()
    assert seen["kind"] == "1"
    assert seen["user"] == "ann"
    assert seen["password"] == "secret"
    assert seen["REMOTE_USER"] == "ann"
    assert seen["HTTP_X_OTHER"] == "kept"
    assert seen["FCGI_APACHE_ROLE"] == "AUTHENTICATOR"
    assert "REMOTE_PASSWD" not in seen
    assert "HTTP_AUTHORIZATION" not in seen
    assert "secret" not in "".join(v for k, v in seen.items() if k != "password")


@pytest.mark.parametrize("role", [fcgi.FILTER, 99])
def test_an_unknown_role_is_still_refused(daemon, role):
    with fcgi.Connection(daemon.address) as conn:
        result = conn.request(fcgi.cgi_params(), role=role)
    assert result.protocol_status == fcgi.UNKNOWN_ROLE
    assert result.stdout == b""


def test_checks_and_responses_share_a_kept_connection(daemon):
    with fcgi.Connection(daemon.address) as conn:
        for request_id, (user, status) in enumerate([("ann", 200), ("bob", 401), ("nobody", 404)], start=1):
            params = fcgi.authorizer_params("AUTHENTICATOR", user, "secret")
            assert outcome(conn.authorize(params, request_id=request_id, keep=True))[0] == status
        result = conn.request(fcgi.cgi_params("GET", "/last-check"), request_id=9, keep=True)
        assert b"user=nobody" in outcome(result)[2]


def test_the_connection_closes_right_after_a_check(daemon):
    # No body follows an authorizer request: the daemon must not wait for one.
    with fcgi.Connection(daemon.address) as conn:
        conn.start(fcgi.authorizer_params("AUTHENTICATOR", "ann", "secret"), role=fcgi.AUTHORIZER)
        started = time.monotonic()
        assert outcome(conn.finish())[0] == 200
        assert conn.closed_by_peer(timeout=5.0)
        assert time.monotonic() - started < 1.0


@pytest.mark.expect_log("does not answer access checks")
def test_a_library_without_swiftgate_check_answers_500():
    d = Daemon("raw_app.c")
    try:
        status, _, body = outcome(d.authorize(apache_role="AUTHENTICATOR", user="ann", password="secret"))
        assert status == 500
        assert body == b""
        assert wait_until(lambda: "does not answer access checks" in d.log(), 5.0), d.log()
        assert "libraw_app.so" in d.log()
    finally:
        d.stop()


# ---- Apache's mod_authnz_fcgi in front ----

AUTHNZ_SITE = """
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
LoadModule authnz_fcgi_module /usr/lib/apache2/modules/mod_authnz_fcgi.so

AuthnzFcgiDefineProvider authn myauth fcgi://127.0.0.1:{port}/

Alias /static {root}/static
<Directory {root}/static>
    AuthType Basic
    AuthName "swiftgate test"
    AuthBasicProvider myauth
    Require valid-user
</Directory>
"""


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


@pytest.mark.expect_log("AH01617: user ann: authentication failure", "AH01617: user bob: authentication failure")
def test_mod_authnz_fcgi_uses_the_daemon_as_authenticator(scratch_apache):
    d = Daemon("auth_app.c", tcp=True)
    try:
        server = scratch_apache(AUTHNZ_SITE.replace("{port}", str(d.port)))
        static = os.path.join(server.root, "static")
        os.makedirs(static)
        with open(os.path.join(static, "hello.txt"), "w") as f:
            f.write("behind basic auth\n")
        subprocess.run(["chmod", "-R", "a+rX", static], check=True)
        server.start()
        status, headers, _ = server.request("GET", "/static/hello.txt")
        assert status == 401
        assert headers["www-authenticate"].startswith("Basic")
        status, _, body = server.request("GET", "/static/hello.txt", headers=basic("ann", "secret"))
        assert status == 200, server.log() + d.log()
        assert body == b"behind basic auth\n"
        assert server.request("GET", "/static/hello.txt", headers=basic("ann", "wrong"))[0] == 401
        assert server.request("GET", "/static/hello.txt", headers=basic("bob", "secret"))[0] == 401
        # The daemon saw Apache's request, without the password in the environ.
        seen = d.last_check()
        assert seen["FCGI_APACHE_ROLE"] == "AUTHENTICATOR"
        assert seen["user"] == "bob"
        assert "REMOTE_PASSWD" not in seen and "HTTP_AUTHORIZATION" not in seen
    finally:
        d.stop()
