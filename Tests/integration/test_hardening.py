"""What another local user, another site's code in an Apache child, or a
process that reaches a daemon socket can and cannot do: each test here
would pass for the attacker before the fix it guards."""

import json
import os
import pwd
import stat
import subprocess
import tempfile

import pytest

from harness import fcgi
from harness.apache import Apache
from harness.env import APACHE, IS_ROOT
from harness.proc import children, socket_inodes

needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root: Apache switching users, other owners")

SITE = """
SwiftGateDaemonProcess guarded threads=2
SwiftGateDaemonProcess other threads=2
SwiftGateScriptAlias /guarded {site}/libSwiftGateTestApp.so process-group=guarded
SwiftGateScriptAlias /guarded-site {site}/libExampleSite.so process-group=guarded
SwiftGateScriptAlias /other {site}/libSwiftGateTestApp.so process-group=other
SwiftGateScriptAlias /embedded {site}/libSwiftGateTestApp.so
ErrorDocument 500 "the site's own error page"
<Directory {site}>
    Require all granted
</Directory>
"""


@pytest.fixture(scope="module")
def apache():
    server = Apache(SITE).start()
    try:
        assert server.wait_for(lambda: len(server.daemon_pids("guarded")) == 1
                               and len(server.daemon_pids("other")) == 1)
        # The first requests make sure every process is serving.
        assert server.request("GET", "/guarded/info")[0] == 200
        assert server.request("GET", "/other/info")[0] == 200
        yield server
    finally:
        server.cleanup()


def listening_inodes(path):
    """Inodes of the sockets listening on path, from /proc/net/unix."""
    found = set()
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split()
            if len(fields) >= 8 and fields[7] == path and int(fields[3], 16) & 0x10000:
                found.add(fields[6])
    return found


def test_no_apache_child_holds_a_daemon_listening_socket(apache):
    sockets = apache.daemon_sockets()
    assert len(sockets) == 2
    listening = set()
    for path in sockets:
        listening |= listening_inodes(path)
    assert len(listening) == 2
    daemons = apache.daemon_pids("guarded") + apache.daemon_pids("other")
    workers = [pid for pid in children(apache.pid()) if pid not in daemons]
    assert workers
    for pid in workers:
        assert not socket_inodes(pid) & listening, "Apache child %d holds a daemon socket" % pid
    # Each daemon holds its own group's socket (groups are numbered in the
    # order they are defined) and no other.
    for group, path in zip(("guarded", "other"), sockets):
        for pid in apache.daemon_pids(group):
            assert socket_inodes(pid) & listening == listening_inodes(path)


def test_a_connection_without_the_groups_secret_is_closed_and_logged(apache):
    params = fcgi.cgi_params("GET", "/info", extra={
        "REMOTE_USER": "admin", "SCRIPT_FILENAME": os.path.join(apache.site_dir, "libSwiftGateTestApp.so")})
    for path in apache.daemon_sockets():
        for sent in (params, dict(params, **{"swiftgate.secret": "0" * 64})):
            with fcgi.Connection("unix:" + path, timeout=10) as conn:
                conn.start(sent)
                assert conn.closed_by_peer()
    assert apache.wait_for_log("did not carry this daemon's secret")
    # Apache's own requests carry it.
    assert apache.request("GET", "/guarded/info")[0] == 200
    assert apache.request("GET", "/other/info")[0] == 200


def test_the_secret_is_kept_from_the_application(apache):
    status, _, body = apache.request("GET", "/guarded-site/env")
    assert status == 200
    env = json.loads(body)
    assert env["swiftgate.process_group"] == "guarded"
    assert not [key for key in env if "secret" in key.lower()]
    for pid in apache.daemon_pids("guarded"):
        with open("/proc/%d/environ" % pid, "rb") as f:
            assert b"secret" not in f.read().lower()


@needs_root
def test_daemon_sockets_are_private_to_apaches_user(apache):
    www = pwd.getpwnam("www-data").pw_uid
    for path in apache.daemon_sockets():
        info = os.lstat(path)
        assert stat.S_ISSOCK(info.st_mode)
        assert stat.S_IMODE(info.st_mode) == 0o600
        assert info.st_uid == www


@pytest.mark.expect_log("fail: boom: deliberate failure")
@pytest.mark.parametrize("mount", ["/guarded", "/embedded"])
def test_an_application_error_shows_the_sites_error_page_and_no_internal_field(apache, mount):
    status, headers, body = apache.request("GET", mount + "/fail")
    assert status == 500
    assert "x-swiftgate-error" not in headers
    assert body == b"the site's own error page"


@pytest.mark.parametrize("mount", ["/guarded", "/embedded"])
def test_an_application_cannot_set_the_internal_error_field(apache, mount):
    status, headers, body = apache.request("GET", mount + "/sets-error-field")
    assert status == 200 and body == b"a fine answer\n"
    assert "x-swiftgate-error" not in headers


def configtest(site, **kw):
    server = Apache(site, **kw)
    try:
        return server.configtest()
    finally:
        server.cleanup()


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o1777])
def test_a_socket_directory_others_can_write_is_refused(mode):
    folder = tempfile.mkdtemp(prefix="sg-sockets-")
    try:
        os.chmod(folder, mode)
        rc, out = configtest("SwiftGateSocketPrefix %s/sg\nSwiftGateDaemonProcess g\n" % folder)
        assert rc != 0
        assert "the socket directory %s is writable by its group or others" % folder in out
    finally:
        os.rmdir(folder)


@needs_root
def test_a_socket_directory_owned_by_another_user_is_refused():
    folder = tempfile.mkdtemp(prefix="sg-sockets-")
    try:
        os.chmod(folder, 0o755)
        os.chown(folder, pwd.getpwnam("nobody").pw_uid, -1)
        rc, out = configtest("SwiftGateSocketPrefix %s/sg\nSwiftGateDaemonProcess g\n" % folder)
        assert rc != 0
        assert "the socket directory %s is owned by uid" % folder in out
    finally:
        os.rmdir(folder)


def test_a_missing_socket_directory_is_refused():
    rc, out = configtest("SwiftGateSocketPrefix /nonexistent-sg/dir/sg\nSwiftGateDaemonProcess g\n")
    assert rc != 0
    assert "the socket directory /nonexistent-sg/dir does not exist" in out


@needs_root
@pytest.mark.parametrize("line", [
    "SwiftGateDaemonProcess g user=nobody group=root",
    "SwiftGateDaemonProcess g user=nobody group=0",
])
def test_group_root_is_refused(line):
    rc, out = configtest(line + "\n")
    assert rc != 0
    assert "it would run with group root (gid 0)" in out


@needs_root
def test_group_is_said_to_be_ignored_when_apache_does_not_start_as_root():
    server = Apache("SwiftGateDaemonProcess g group=nogroup\n")
    try:
        # The same configuration, checked by an unprivileged user.
        done = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                               APACHE, "-f", server.conf, "-t"],
                              capture_output=True, text=True, timeout=30)
        out = done.stdout + done.stderr
        assert done.returncode == 0, out
        assert "group=nogroup is ignored: Apache does not start as root" in out
    finally:
        server.cleanup()
