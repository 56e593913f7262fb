"""Daemon mode against a real Apache: groups, supervision, timeouts,
recycling, graceful restarts, reloads."""

import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import time

import pytest

from harness.apache import Apache
from harness.conf import daemon_site
from harness.env import IS_ROOT, wait_until

SITE = """
SwiftGateDaemonProcess site1 processes=2 threads=4 settings={root}/one.json
SwiftGateDaemonProcess site2 threads=4 settings={root}/two.json env=GREETING=hello
SwiftGateDaemonProcess strict threads=1 request-timeout=2 queue-timeout=1
SwiftGateDaemonProcess recycle processes=2 threads=4 maximum-requests=50
SwiftGateDaemonProcess idle threads=2 inactivity-timeout=2
SwiftGateDaemonProcess reload threads=2
SwiftGateDaemonProcess interval threads=2 restart-interval=2
SwiftGateDaemonProcess pair threads=2
%(nobody)s

SwiftGateScriptAlias /one {site}/libExampleSite.so process-group=site1
SwiftGateScriptAlias /two {site}/libExampleSite.so process-group=site2
SwiftGateScriptAlias /strict {site}/libSwiftGateTestApp.so process-group=strict
SwiftGateScriptAlias /recycle {site}/libSwiftGateTestApp.so process-group=recycle
SwiftGateScriptAlias /idle {site}/libSwiftGateTestApp.so process-group=idle
SwiftGateScriptAlias /reload {site}/reload/app.so process-group=reload
SwiftGateScriptAlias /interval {site}/libSwiftGateTestApp.so process-group=interval
SwiftGateScriptAlias /pair {site}/libSwiftGateTestApp.so process-group=pair
SwiftGateScriptAlias /app {site}/libSwiftGateTestApp.so
SwiftGateScriptAlias /embedded {site}/libSwiftGateTestApp.so
%(nobody_alias)s
<Location /app>
    SwiftGateProcessGroup site2
</Location>
<Directory {site}>
    Require all granted
</Directory>
"""


def settings(server, name, title):
    path = os.path.join(server.root, name)
    with open(path, "w") as f:
        json.dump({"site": {"title": title},
                   "database": {"path": os.path.join(server.root, "data", name + ".sqlite")}}, f)
    os.chmod(path, 0o644)


def make_server(mpm="event"):
    nobody = "SwiftGateDaemonProcess lowly threads=1 user=nobody group=nogroup" if IS_ROOT else ""
    nobody_alias = ("SwiftGateScriptAlias /lowly {site}/libSwiftGateTestApp.so process-group=lowly"
                    if IS_ROOT else "")
    server = Apache(SITE % {"nobody": nobody, "nobody_alias": nobody_alias}, mpm=mpm)
    settings(server, "one.json", "Site One")
    settings(server, "two.json", "Site Two")
    os.makedirs(os.path.join(server.site_dir, "reload"))
    shutil.copy(os.path.join(server.site_dir, "libSwiftGateTestApp.so"),
                os.path.join(server.site_dir, "reload", "app.so"))
    subprocess.run(["chmod", "-R", "a+rX", server.root], check=True)
    return server.start()


@pytest.fixture(scope="module")
def apache():
    server = make_server()
    yield server
    server.cleanup()


def get(apache, path, **kw):
    return apache.request("GET", path, **kw)


def test_two_sites_each_see_their_own_settings(apache):
    status, _, body = get(apache, "/one/")
    assert status == 200 and b"Site One" in body
    status, _, body = get(apache, "/two/")
    assert status == 200 and b"Site Two" in body
    one = json.loads(get(apache, "/one/env")[2])
    two = json.loads(get(apache, "/two/env")[2])
    assert one["swiftgate.process_group"] == "site1"
    assert two["swiftgate.process_group"] == "site2"
    assert one["SCRIPT_NAME"] == "/one" and one["PATH_INFO"] == "/env"
    assert one["swiftgate.multiprocess"] == "1" and two["swiftgate.multiprocess"] == "0"


def test_notes_work_in_a_daemon(apache):
    status, headers, _ = apache.request("POST", "/one/notes", body="text=from+a+daemon",
                                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303
    assert b"from a daemon" in get(apache, "/one/notes")[2]
    assert b"from a daemon" not in get(apache, "/two/notes")[2]


def test_process_group_from_a_location(apache):
    info = json.loads(get(apache, "/app/info/x")[2])
    assert info["scriptName"] == "/app" and info["pathInfo"] == "/info/x"
    env = json.loads(get(apache, "/two/env")[2])
    assert env["swiftgate.process_group"] == "site2"


def test_embedded_and_daemon_side_by_side(apache):
    assert get(apache, "/embedded/info")[0] == 200
    assert get(apache, "/strict/info")[0] == 200


def test_request_and_response_bodies_stream_through_the_daemon(apache):
    data = os.urandom(3 * 1024 * 1024)
    status, _, body = apache.request("POST", "/one/echo", body=data,
                                     headers={"Content-Type": "application/octet-stream"})
    assert status == 200 and body == data
    status, headers, body = get(apache, "/one/stream?n=1000")
    assert status == 200 and body.decode().splitlines() == ["chunk %d" % i for i in range(1000)]


@pytest.mark.expect_log(
    "application error in GET /app/fail: boom",
    "response body for GET /app/fail-midstream failed: boom",
    "SG00508",
    "SG00309",
    "declares Content-Length 3 but its body has 9 bytes",
)
def test_errors_in_a_daemon(apache):
    assert get(apache, "/app/fail")[0] == 500
    assert apache.wait_for_log("boom: deliberate failure")
    response = apache.raw(b"GET /app/fail-midstream HTTP/1.1\r\nHost: t\r\n\r\n")
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"partial body" in body
    assert not body.endswith(b"0\r\n\r\n")
    assert get(apache, "/app/wrong-length-bytes")[0] == 500
    assert get(apache, "/app/info")[0] == 200


def test_head_through_a_daemon(apache):
    status, headers, body = apache.request("HEAD", "/one/")
    assert status == 200 and body == b""
    assert int(headers["content-length"]) == len(get(apache, "/one/")[2])


def test_display_name_and_processes(apache):
    assert len(apache.wait_for(lambda: apache.daemon_pids("site1"))) == 2
    assert len(apache.daemon_pids("site2")) == 1


@pytest.mark.expect_log("SG00406: daemon group 'site2': process")
def test_kill_9_a_daemon_and_another_serves_within_2s(apache):
    before = apache.wait_for(lambda: apache.daemon_pids("site2"))
    assert len(before) == 1
    os.kill(before[0], 9)
    started = time.monotonic()
    status = 0
    while time.monotonic() - started < 5:
        try:
            status = get(apache, "/two/")[0]
        except OSError:
            status = 0
        if status == 200:
            break
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    assert status == 200
    assert elapsed < 2.0, "took %.2fs" % elapsed
    after = apache.wait_for(lambda: apache.daemon_pids("site2"))
    assert after and after[0] != before[0]


@pytest.mark.expect_log("SG00507", "ran longer than request-timeout of 2000 ms")
def test_stuck_request_is_504_and_the_group_recovers(apache):
    started = time.monotonic()
    status = get(apache, "/strict/sleep?ms=20000")[0]
    elapsed = time.monotonic() - started
    assert status == 504
    assert elapsed < 6
    assert apache.wait_for_log("request-timeout")
    ok = apache.wait_for(lambda: get(apache, "/strict/info")[0] == 200, timeout=10)
    assert ok


def test_queue_timeout_answers_503(apache):
    # threads=1: the second request waits behind the first past queue-timeout.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        slow = pool.submit(get, apache, "/strict/sleep?ms=1800")
        time.sleep(0.3)
        queued = pool.submit(get, apache, "/strict/info")
        assert queued.result()[0] == 503
        assert slow.result()[0] == 200
    assert apache.wait_for_log("queue-timeout")


def test_maximum_requests_recycles_without_failures(apache):
    def one(i):
        try:
            return get(apache, "/recycle/info")[0]
        except OSError as e:
            return str(e)

    before = set(apache.daemon_pids("recycle"))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(500)))
    failed = [r for r in results if r != 200]
    assert failed == []
    after = set(apache.wait_for(lambda: apache.daemon_pids("recycle")))
    assert after - before, "no process was recycled"


def test_inactivity_timeout_restarts_an_idle_process(apache):
    assert get(apache, "/idle/info")[0] == 200
    first = apache.daemon_pids("idle")
    assert len(first) == 1
    replaced = apache.wait_for(lambda: (p := apache.daemon_pids("idle")) and p != first, timeout=10)
    assert replaced
    assert get(apache, "/idle/info")[0] == 200


def test_reload_when_the_library_changes(apache):
    assert get(apache, "/reload/info")[0] == 200
    assert get(apache, "/reload/")[0] == 404  # the test application has no /
    target = os.path.join(apache.site_dir, "reload", "app.so")
    fresh = target + ".new"
    shutil.copy(os.path.join(apache.site_dir, "libExampleSite.so"), fresh)
    os.chmod(fresh, 0o755)
    os.rename(fresh, target)
    # A rolling restart: the change holds still for a tick, then the
    # replacement must serve before the old process goes; until it has
    # gone, both answer.
    ok = apache.wait_for(lambda: "daemon group 'reload': process" in apache.log()
                         and "exited (status 0); not replaced" in apache.log(), timeout=20)
    assert ok, "the group did not reload the new library"
    assert get(apache, "/reload/")[0] == 200
    assert b"mod_swiftgate example site" in get(apache, "/reload/")[2]


@pytest.mark.skipif(not IS_ROOT, reason="switching users needs Apache started as root")
def test_daemons_run_as_the_configured_user(apache):
    import grp
    import pwd
    assert get(apache, "/lowly/info")[0] == 200
    pids = apache.daemon_pids("lowly")
    assert pids
    with open("/proc/%d/status" % pids[0]) as f:
        status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
    uids = status["Uid"].split()
    gids = status["Gid"].split()
    assert set(uids) == {str(pwd.getpwnam("nobody").pw_uid)}
    assert set(gids) == {str(grp.getgrnam("nogroup").gr_gid)}
    # And by default, Apache's User.
    with open("/proc/%d/status" % apache.daemon_pids("site1")[0]) as f:
        text = f.read()
    assert "Uid:\t%d" % pwd.getpwnam("www-data").pw_uid in text


def test_socket_mode_and_owner(apache):
    found = apache.daemon_sockets()
    assert found
    for path in found:
        st = os.stat(path)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600
        if IS_ROOT:
            import pwd
            assert st.st_uid == pwd.getpwnam("www-data").pw_uid


def test_malformed_fastcgi_bytes_leave_the_daemon_serving(apache):
    env = json.loads(get(apache, "/two/env")[2])
    assert env["swiftgate.process_group"] == "site2"
    # Find site2's socket: the group's index in the file is 1.
    path = [p for p in apache.daemon_sockets() if p.endswith(".1.sock")][0]
    garbage = [b"\x00" * 64, b"GET / HTTP/1.1\r\n\r\n", b"\x01\x01\x00\x01\x00\x08\x00\x00" + b"\x00\x01" + b"\x00" * 6
               + b"\x01\x04\x00\x01\xff\xff\x00\x00\x7f", os.urandom(4096)]
    for junk in garbage:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(path)
        try:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            s.recv(65536)
        except OSError:
            pass
        finally:
            s.close()
    assert get(apache, "/two/")[0] == 200
    assert apache.daemon_pids("site2")


def test_root_is_refused(scratch_apache):
    server = scratch_apache("SwiftGateDaemonProcess bad user=root\n")
    rc, out = server.configtest()
    assert rc != 0
    assert "option 'user' is root" in out


def test_unknown_option_and_bad_values(scratch_apache):
    for line, text in [
        ("SwiftGateDaemonProcess g procs=2", "SwiftGateDaemonProcess: unknown option 'procs'"),
        ("SwiftGateDaemonProcess g threads=0", "option 'threads' must be a whole number"),
        ("SwiftGateDaemonProcess g request-timeout=soon", "option 'request-timeout' must be whole seconds"),
        ("SwiftGateDaemonProcess g umask=999", "option 'umask' must be an octal mode"),
        ("SwiftGateDaemonProcess g user=no-such-user-here", "option 'user' names no user"),
        ("SwiftGateDaemonProcess g env=NOEQUALS", "option 'env' must be KEY=VALUE"),
        ("SwiftGateDaemonProcess g\nSwiftGateDaemonProcess g", "group 'g' is already defined"),
        ("SwiftGateScriptAlias / {site}/libExampleSite.so process-group=nope",
         "process-group 'nope' is not defined"),
        # Process management (issue #16).
        ("SwiftGateDaemonProcess g min-processes=3 max-processes=2",
         "SwiftGateDaemonProcess g: min-processes=3 is more than max-processes=2"),
        ("SwiftGateDaemonProcess g min-processes=2", "SwiftGateDaemonProcess g: min-processes=2 needs max-processes="),
        ("SwiftGateDaemonProcess g processes=2 max-processes=4",
         "SwiftGateDaemonProcess g: processes= is the fixed pool; give min-processes= and max-processes= instead"),
        ("SwiftGateDaemonProcess g idle-timeout=30", "SwiftGateDaemonProcess g: idle-timeout needs an adaptive pool"),
        ("SwiftGateDaemonProcess g max-processes=0", "option 'max-processes' must be a whole number"),
        ("SwiftGateDaemonProcess g memory-limit=lots", "option 'memory-limit' must be a whole number"),
        ("SwiftGateDaemonProcess g interrupt-timeout=-1", "option 'interrupt-timeout' must be whole seconds"),
        ("SwiftGateDaemonProcess g health-check=healthz",
         "SwiftGateDaemonProcess g: health-check 'healthz' must be a URL path starting with '/'"),
        ("SwiftGateDaemonProcess g health-path=health",
         "option 'health-path' must be a URL path starting with '/'"),
        ("SwiftGateDaemonProcess g health-path=/health?full=1",
         "option 'health-path' must be a URL path without spaces, control characters, '?' or '#'"),
        ('SwiftGateDaemonProcess g "health-path=/a b"',
         "option 'health-path' must be a URL path without spaces"),
    ]:
        server = scratch_apache(line + "\n")
        rc, out = server.configtest()
        assert rc != 0, line
        assert text in out, (line, out)


@pytest.mark.expect_log("SG00004")
def test_restrict_embedded(scratch_apache):
    server = scratch_apache("""
SwiftGateRestrictEmbedded On
SwiftGateDaemonProcess only threads=2
SwiftGateScriptAlias /d {site}/libSwiftGateTestApp.so process-group=only
SwiftGateScriptAlias /e {site}/libSwiftGateTestApp.so
<Directory {site}>
    Require all granted
</Directory>
""")
    server.start()
    assert server.request("GET", "/d/info")[0] == 200
    assert server.request("GET", "/e/info")[0] == 500
    assert server.wait_for_log("SwiftGateRestrictEmbedded is On")
    children = subprocess.run(["pgrep", "-P", str(server.pid())], capture_output=True, text=True).stdout.split()
    workers = [p for p in children if int(p) not in server.daemon_pids("only")]
    assert workers
    for pid in workers:
        with open("/proc/%s/maps" % pid) as f:
            assert "libswiftCore" not in f.read()


@pytest.mark.expect_log("SG00501")
def test_connect_timeout_answers_503(scratch_apache):
    server = scratch_apache(daemon_site("gone", "threads=1 connect-timeout=1", "/g"))
    server.start()
    assert server.request("GET", "/g/info")[0] == 200
    for path in server.daemon_sockets():
        os.unlink(path)
    started = time.monotonic()
    assert server.request("GET", "/g/info")[0] == 503
    assert time.monotonic() - started < 4
    assert server.wait_for_log("connect-timeout")


def test_graceful_restart_under_load_fails_nothing_and_replaces_daemons(scratch_apache):
    server = scratch_apache(daemon_site("g", "processes=2 threads=4", "/g"))
    server.start()
    before = set(server.wait_for(lambda: server.daemon_pids("g")))
    results = []
    stop = time.monotonic() + 6

    def load():
        while time.monotonic() < stop:
            try:
                results.append(server.request("GET", "/g/sleep?ms=20")[0])
            except OSError as e:
                results.append(str(e))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(load) for _ in range(8)]
        time.sleep(1.5)
        server.graceful()
        time.sleep(1.5)
        server.graceful()
        for f in futures:
            f.result()
    failed = [r for r in results if r != 200]
    assert len(results) > 100
    assert failed == []
    after = set(server.wait_for(lambda: len(server.daemon_pids("g")) == 2 and server.daemon_pids("g")))
    assert after and not (after & before)


def test_stop_leaves_no_daemon(scratch_apache):
    server = scratch_apache(daemon_site("g", "processes=2 threads=2 shutdown-timeout=2", "/g"))
    server.start()
    pids = server.wait_for(lambda: len(server.daemon_pids("g")) == 2 and server.daemon_pids("g"))
    assert pids
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 8
    for pid in pids:
        assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2] == "Z"
    assert not server.daemon_sockets()


def test_a_blocked_request_does_not_stall_the_others(apache):
    # pair has threads=2 in one process: one sleeps, the other serves.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        slow = pool.submit(get, apache, "/pair/sleep?ms=2500")
        time.sleep(0.3)
        started = time.monotonic()
        for _ in range(5):
            assert get(apache, "/pair/info")[0] == 200
        assert time.monotonic() - started < 1.5
        assert slow.result()[0] == 200


def test_restart_interval_recycles_while_serving(apache):
    first = apache.wait_for(lambda: apache.daemon_pids("interval"))
    results = []
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        try:
            results.append(get(apache, "/interval/info")[0])
        except OSError as e:
            results.append(str(e))
        time.sleep(0.02)
    assert [r for r in results if r != 200] == []
    now = apache.wait_for(lambda: apache.daemon_pids("interval"))
    assert now and now != first
    assert apache.wait_for_log("restart-interval")


@pytest.mark.expect_log("application error in GET /app/fail: boom")
def test_application_logs_reach_the_error_log_with_group_and_pid(apache):
    assert get(apache, "/app/fail")[0] == 500
    pids = apache.daemon_pids("site2")
    assert apache.wait_for_log("boom: deliberate failure")
    lines = [l for l in apache.log().splitlines() if "boom: deliberate failure" in l]
    assert any("daemon group 'site2'" in l and any("[pid %d:" % p in l for p in pids) for l in lines), lines
    assert any("[swiftgate:error]" in l for l in lines)


def test_the_parent_stays_swift_free_in_daemon_mode(apache):
    assert get(apache, "/one/")[0] == 200
    with open("/proc/%d/maps" % apache.pid()) as f:
        maps = f.read()
    assert "libswiftCore" not in maps and "SwiftGateDaemon" not in maps
    with open("/proc/%d/maps" % apache.daemon_pids("site1")[0]) as f:
        assert "libSwiftGateDaemon" in f.read()


# Without CAP_SETUID Apache's own children cannot switch to www-data either
# (AH02162), and the parent soon exits (AH00050): what is certain is that
# every daemon that failed to switch ended, with the failure status when the
# parent saw it end, and that none ran on as root. The back-off after such
# failures is the faults suite's crash-at-start case.
@pytest.mark.expect_log("SG00403", "SG00406", "AH02162", "AH00050")
@pytest.mark.skipif(not IS_ROOT or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_a_failing_setuid_ends_the_daemon_process(scratch_apache):
    server = scratch_apache("SwiftGateDaemonProcess lowly threads=1 user=nobody\n"
                            "SwiftGateScriptAlias /d {site}/libSwiftGateTestApp.so process-group=lowly\n")
    assert server.configtest()[0] == 0
    # Apache started by root that may change groups but not its user id.
    subprocess.run(["setpriv", "--bounding-set=-setuid", "--inh-caps=-setuid",
                    "/usr/sbin/apache2", "-f", server.conf, "-k", "start"], check=True, timeout=30)
    assert server.wait_for_log("SG00403: daemon group 'lowly': cannot switch to user nobody", timeout=10)

    def failed_pids():
        return [int(re.search(r"\[pid (\d+)", line).group(1))
                for line in server.log().splitlines() if "SG00403" in line]

    def gone(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True

    assert wait_until(lambda: all(gone(pid) for pid in failed_pids()), 10)
    ended = re.findall(r"ended \(status (\d+)\)", server.log())
    assert all(status == "70" for status in ended), ended
    assert "(status 17920)" not in server.log()


@pytest.mark.expect_log("SG00504")
def test_a_response_head_past_the_limit_is_a_502_and_logged(apache):
    assert get(apache, "/pair/big-header?bytes=70000")[0] == 502
    assert apache.wait_for_log("SG00504: daemon group 'pair' sent a response head over 65536 bytes")
    status, headers, _ = get(apache, "/pair/big-header?bytes=1000")
    assert status == 200 and headers["x-big"] == "b" * 1000


def test_an_oversized_request_header_never_reaches_the_daemon(apache):
    assert get(apache, "/pair/info", headers={"X-Huge": "h" * 9000})[0] == 400
    assert apache.wait_for_log("AH00561: Request header exceeds LimitRequestFieldSize: X-Huge")
    assert get(apache, "/pair/info")[0] == 200


def daemon_connections(pid):
    """Connected sockets a daemon process holds (its listening socket
    aside)."""
    sockets = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                sockets += 1
        except OSError:
            pass
    return sockets - 1


def test_apache_keeps_its_daemon_connection_between_requests(scratch_apache):
    # One Apache worker thread: every request goes through one connection.
    server = scratch_apache("""
StartServers 1
MinSpareServers 1
MaxSpareServers 1
MaxRequestWorkers 1
""" + daemon_site("kept", "threads=2", "/k"), mpm="prefork").start()
    conn = server.connection()
    try:
        for _ in range(20):
            assert server.request("GET", "/k/info", conn=conn)[0] == 200
        [pid] = server.wait_for(lambda: server.daemon_pids("kept"))
        assert daemon_connections(pid) == 1
    finally:
        conn.close()


def test_idle_kept_connections_do_not_hold_daemon_threads(scratch_apache):
    # Many Apache threads each keep a connection to a one-thread daemon:
    # the next request on any of them is still served at once.
    server = scratch_apache(daemon_site("single", "threads=1 socket-timeout=30", "/s")).start()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for _ in range(5):
            started = time.monotonic()
            statuses = list(pool.map(lambda _: server.request("GET", "/s/info")[0], range(16)))
            assert statuses == [200] * 16
            assert time.monotonic() - started < 10
    [pid] = server.wait_for(lambda: server.daemon_pids("single"))
    assert daemon_connections(pid) > 1


def test_daemons_end_when_the_apache_parent_dies(scratch_apache):
    server = scratch_apache(daemon_site("orphan", "processes=2 threads=2", "/o")).start()
    assert server.request("GET", "/o/info")[0] == 200
    daemons = server.wait_for(lambda: len(server.daemon_pids("orphan")) == 2 and server.daemon_pids("orphan"))
    os.kill(server.pid(), signal.SIGKILL)
    try:
        # SIGTERM on the parent's death (and the monitor's own check): the
        # daemons stop instead of serving on for nobody.
        assert wait_until(lambda: not any(os.path.exists("/proc/%d" % p) and
                                          open("/proc/%d/stat" % p).read().split()[2] != "Z"
                                          for p in daemons), 10)
    finally:
        for p in daemons:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
