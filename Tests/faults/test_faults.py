"""Faults under load (issue #7): a daemon group (of two processes unless a
case needs one) behind a real Apache, a bounded client load of 8-32
connections, and one fault per case; each case prints what it measured.
Run with `make faults` (pytest -s, so the figures show)."""

import collections
import datetime
import http.client
import os
import signal
import socket
import threading
import time

import pytest

from harness.conf import daemon_site
from harness.env import wait_until
from harness.load import Load, send_partial_upload, wait_for_count
from harness.proc import children, footprint, socket_inodes, unix_connections

SERVING = "serving FastCGI with"

Kill = collections.namedtuple("Kill", "moment held serving replacement parent_line")


def site(options, library="{site}/libSwiftGateTestApp.so"):
    """One daemon group `g` with `options`, mounted at /g."""
    return daemon_site("g", options, "/g", library)


def report(case, text):
    print("\n[faults] %s: %s" % (case, text), flush=True)


def ready(server, processes, timeout=20):
    """Waits until the group's processes have all preloaded and serve;
    returns their pids."""
    assert wait_for_count(server.log, SERVING, processes, timeout), server.log()
    pids = server.wait_for(lambda: len(server.daemon_pids("g")) == processes and server.daemon_pids("g"))
    assert pids, "the group has not %d processes" % processes
    return pids


def log_lines(server, text):
    return [line for line in server.log().splitlines() if text in line]


def log_time(line):
    """The moment an error-log line was written, as a datetime."""
    return datetime.datetime.strptime(line[1:line.index("]")], "%a %b %d %H:%M:%S.%f %Y")


def process_age(pid):
    """Seconds since the process started."""
    with open("/proc/%d/stat" % pid) as f:
        started = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) - started / os.sysconf("SC_CLK_TCK")


def stopped(pid):
    """Whether every thread of the process is stopped (SIGSTOP took hold)."""
    states = []
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, task)) as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
        except OSError:
            continue
    return bool(states) and all(state in ("T", "t") for state in states)


def kill_9(server, victim, others):
    """Freezes the victim so that the FastCGI connections it holds can be
    counted exactly, kills it with SIGKILL, and waits until its replacement
    serves."""
    os.kill(victim, signal.SIGSTOP)
    assert wait_until(lambda: stopped(victim), 5), "process %d did not stop" % victim
    held = len(unix_connections(victim))
    moment = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    known = set(others) | {victim}
    new = server.wait_for(lambda: [p for p in server.daemon_pids("g") if p not in known], timeout=40, interval=0.01)
    assert new, "no process replaced %d" % victim
    assert wait_for_count(server.log, "%s 4 threads (pid %d)" % (SERVING, new[0]), 1, 40), server.log()
    serving = time.monotonic() - moment
    ended = log_lines(server, "process %d ended" % victim)
    return Kill(moment, held, serving, new[0], ended[0].split("SG00406: ", 1)[1] if ended else "(not logged)")


@pytest.mark.expect_log("SG00406", "SG00508", "SG00520")
def test_kill_9_fails_only_the_requests_in_flight_on_that_process(server):
    s = server(site("processes=2 threads=4"))
    first, second = ready(s, 2)
    load = Load(s.port, "/g/sleep?ms=40", connections=16, duration=30).start()
    kills = []
    try:
        time.sleep(1.5)
        # One process killed young (inside the parent's 10 s fast-death
        # window), the other once it is older than that.
        kills.append(kill_9(s, first, [second]))
        time.sleep(max(0.0, 10.5 - process_age(second)))
        kills.append(kill_9(s, second, [kills[0].replacement]))
        time.sleep(1.5)
    finally:
        load.stop()
    failed = load.failed
    for number, kill in enumerate(kills, 1):
        lost = [r for r in failed if r.outstanding_at(kill.moment)]
        first_ok = min(r.ended for r in load.results if r.ok and r.started >= kill.moment)
        report("kill -9 #%d" % number,
               "%d failed %s, all outstanding at the kill (the process held %d FastCGI connections and runs at "
               "most 4 requests at once); first success %.3f s after the kill, replacement serving after %.2f s; "
               "parent: %s"
               % (len(lost), load.outcomes(lost), kill.held, first_ok - kill.moment, kill.serving, kill.parent_line))
        # Only the requests running on the killed process may fail: no more
        # than its threads, nor than the connections it held.
        assert len(lost) <= min(kill.held, 4)
        assert first_ok - kill.moment < 2.0
    report("kill -9", "%d requests in all, %d failed" % (len(load.results), len(failed)))
    assert len(load.results) > 500
    stray = [r for r in failed if not any(r.outstanding_at(k.moment) for k in kills)]
    assert stray == [], "requests not in flight at a kill failed: %s" % load.outcomes(stray)
    # A process past the fast-death window is replaced at once.
    assert kills[1].parent_line.endswith("starting another"), kills[1].parent_line
    assert kills[1].serving < 2.0


@pytest.mark.expect_log("SG00406", "SG00508", "SG00520")
def test_kill_9_does_not_carry_out_a_post_twice(server):
    # One prefork child serves the client's keep-alive connection, so the
    # POST goes over the daemon connection its first request left open.
    s = server(site("processes=1 threads=2 env=SIDE_EFFECT_LOG={root}/data/effects.log", "{site}/libside.so"),
               prepare=lambda s: s.build_fixture("side_effect.c", "libside.so"), mpm="prefork")
    effects = os.path.join(s.root, "data", "effects.log")

    def carried_out():
        try:
            with open(effects) as f:
                return f.read().splitlines()
        except OSError:
            return []

    ready(s, 1)
    conn = s.connection(timeout=20)
    result = {}

    def post():
        began = time.monotonic()
        try:
            result["status"] = s.request("POST", "/g/x?ms=3000", body=b"", conn=conn)[0]
        except (OSError, http.client.HTTPException) as e:
            result["status"] = type(e).__name__
        result["seconds"] = time.monotonic() - began

    try:
        assert s.request("GET", "/g/x", conn=conn)[0] == 200
        client = threading.Thread(target=post)
        client.start()
        assert wait_until(lambda: len(carried_out()) == 2, 10), carried_out()
        victim = s.daemon_pids("g")[0]
        os.kill(victim, signal.SIGKILL)
        client.join(25)
        assert not client.is_alive()
    finally:
        conn.close()
    posts = [line for line in carried_out() if line.startswith("POST ")]
    report("kill -9, POST in flight", "carried out %d times (%s), client got %s after %.2f s"
           % (len(posts), ", ".join(posts), result["status"], result["seconds"]))
    # A POST never rides a kept connection, so nothing sends it again.
    assert len(posts) == 1
    assert result["status"] == 502


def test_graceful_restarts_under_load_fail_nothing(server):
    s = server(site("processes=2 threads=4"))
    before = set(ready(s, 2))
    with Load(s.port, "/g/sleep?ms=20", connections=24, duration=20) as load:
        time.sleep(1.5)
        s.graceful()
        time.sleep(2.0)
        s.graceful()
        time.sleep(2.5)
    after = set(s.wait_for(lambda: len(s.daemon_pids("g")) == 2 and s.daemon_pids("g")) or [])
    report("graceful", "%d requests over 2 graceful restarts, %d failed %s; daemons %s -> %s"
           % (len(load.results), len(load.failed), load.outcomes(load.failed), sorted(before), sorted(after)))
    assert len(load.results) > 300
    assert load.failed == []
    assert after and not (after & before)


def test_maximum_requests_recycling_under_load_fails_nothing(server):
    s = server(site("processes=2 threads=4 maximum-requests=150"))
    ready(s, 2)
    load = Load(s.port, "/g/sleep?ms=5", connections=24, duration=6).run_for(6)
    recycled = len(log_lines(s, "recycling: maximum-requests (150) reached"))
    report("maximum-requests", "%d requests, %d failed %s, %d recycles"
           % (len(load.results), len(load.failed), load.outcomes(load.failed), recycled))
    assert recycled >= 4
    assert load.failed == []


@pytest.mark.expect_log("SG00507", "ran longer than request-timeout of 2000 ms")
def test_a_hanging_request_is_freed_by_request_timeout(server):
    # interrupt-timeout=0: the process is replaced at request-timeout, as
    # before cancellation (test_process_management has the cancelling cases).
    s = server(site("processes=2 threads=4 request-timeout=2 interrupt-timeout=0"))
    before = ready(s, 2)
    with Load(s.port, "/g/sleep?ms=10", connections=16, duration=20) as load:
        time.sleep(1.0)
        began = time.monotonic()
        status = s.request("GET", "/g/sleep?ms=60000")[0]
        freed = time.monotonic() - began
        time.sleep(2.0)
    replaced = [p for p in s.daemon_pids("g") if p not in before]
    timed_out = log_lines(s, "ran longer than request-timeout of 2000 ms")
    assert timed_out, s.log()
    stuck = int(timed_out[0].split("[pid ", 1)[1].split(":", 1)[0])
    ended = log_lines(s, "process %d ended (status 75)" % stuck)
    report("hang", "504 after %.2f s (request-timeout 2 s); its process replaced %s s later; %d fast requests "
           "alongside, %d failed %s, %d of them after the 504"
           % (freed, "%.2f" % (log_time(ended[0]) - log_time(timed_out[0])).total_seconds() if ended else "(not)",
              len(load.results), len(load.failed), load.outcomes(load.failed), load.count(after=began + freed)))
    assert status == 504
    assert 2.0 <= freed < 3.5
    assert ended and len(replaced) == 1
    assert load.count(after=began + freed) > 50
    assert load.failed == []


@pytest.mark.expect_log("SG00507", "ran longer than request-timeout of 2000 ms")
def test_request_timeout_lets_the_requests_beside_it_finish(server):
    s = server(site("processes=1 threads=2 request-timeout=2 env=SIDE_EFFECT_LOG={root}/data/effects.log",
                    "{site}/libside.so"), prepare=lambda s: s.build_fixture("side_effect.c", "libside.so"))
    ready(s, 1)
    effects = os.path.join(s.root, "data", "effects.log")
    results = {}

    def send(name, method, ms):
        began = time.monotonic()
        try:
            results[name] = (s.request(method, "/g/x?ms=%d" % ms, body=b"" if method == "POST" else None)[0],
                             time.monotonic() - began)
        except (OSError, http.client.HTTPException) as e:
            results[name] = (type(e).__name__, time.monotonic() - began)

    # The POST runs from 1.2 s to 2.7 s: within request-timeout (2 s) itself,
    # but past the moment the GET passes it and its process is condemned.
    stuck = threading.Thread(target=send, args=("stuck", "GET", 60000))
    beside = threading.Thread(target=send, args=("beside", "POST", 1500))
    stuck.start()
    time.sleep(1.2)
    beside.start()
    stuck.join(15)
    beside.join(15)
    assert not stuck.is_alive() and not beside.is_alive()
    with open(effects) as f:
        posts = [line for line in f.read().splitlines() if line.startswith("POST ")]
    ended = s.wait_for(lambda: log_lines(s, "ended (status 75)"), timeout=5)
    report("hang, a request beside it", "stuck GET %s after %.2f s; POST beside it %s after %.2f s, carried out %d "
           "time(s); then: %s" % (results["stuck"] + results["beside"] + (len(posts),
                                  ended[0].split("SG00406: ", 1)[1] if ended else "(no exit logged)")))
    assert results["stuck"][0] == 504
    assert results["beside"][0] == 200 and len(posts) == 1
    assert ended


@pytest.mark.expect_log("SG00406", "SG00513", "SG00417")
def test_an_application_that_crashes_at_start_is_backed_off(server):
    s = server(site("processes=2 threads=2 connect-timeout=1 request-timeout=2", "{site}/libcrash.so"),
               prepare=lambda s: s.build_fixture("crash_at_start.c", "libcrash.so"))
    load = Load(s.port, "/g/x", connections=8, duration=10, timeout=10).run_for(10)
    # Each end logged is a fork of its replacement at once (the back-off
    # is waited out in the new process), so the log times the forks.
    started = log_time(log_lines(s, "SG00410")[0])
    ends = [line for line in log_lines(s, "SG00406") if (log_time(line) - started).total_seconds() <= 10]
    report("crash at start", "%d forks in the first 10 s for processes=2 (back-off: %s); clients: %d requests %s, "
           "slowest %.2f s; log: %s"
           % (2 + len(ends), ", ".join(line.rsplit("starting another", 1)[1].strip() or "at once" for line in ends), len(load.results),
              load.outcomes(), max(r.ended - r.started for r in load.results), ends[0].split("] ", 3)[-1]))
    assert ends and all("exit signal Abort (6)" in line for line in log_lines(s, "AH00052"))
    # Each process's first early death is replaced at once, the next ones
    # after 1, 2, 4 ... s: five starts of each process in 10 s at most.
    assert not any(" in " in line.rsplit("starting another", 1)[1] for line in ends[:2])
    assert "starting another in 1 s" in ends[2] and "starting another in 2 s" in ends[4]
    assert 2 + len(ends) <= 10
    # No process ever serves, so each request waits connect-timeout for one.
    assert load.results
    assert log_lines(s, "SG00513: no process of daemon group 'g' was serving within connect-timeout")
    assert load.outcomes() == {503: len(load.results)}
    assert max(r.ended - r.started for r in load.results) < 2.0


def unreachable(load, kept):
    """Every request of the load is 503 within connect-timeout (1 s) and
    some slack, except those an Apache thread sent over a daemon
    connection it kept open from before (`kept` of them were open)."""
    assert load.results
    assert set(load.outcomes()) <= {503, 200}, load.outcomes()
    assert max(r.ended - r.started for r in load.results if r.status == 503) < 2.0
    assert load.outcomes().get(503, 0) >= len(load.results) // 2
    if not kept:
        assert load.outcomes() == {503: len(load.results)}


@pytest.mark.expect_log("SG00501")
def test_an_unreachable_socket_is_503_within_connect_timeout(server):
    s = server(site("processes=2 threads=2 connect-timeout=1"))
    daemons = ready(s, 2)
    assert s.request("GET", "/g/info")[0] == 200
    paths = s.daemon_sockets()
    assert paths
    kept = sum(len(unix_connections(p)) for p in children(s.pid()) if p not in daemons)
    for path in paths:
        os.unlink(path)
    removed = Load(s.port, "/g/info", connections=8, duration=2.5).run_for(2.5)
    # In its place, a socket nobody listens on: connections are refused.
    for path in paths:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
            dead.bind(path)
        os.chmod(path, 0o666)
    refused = Load(s.port, "/g/info", connections=8, duration=2.5).run_for(2.5)
    began = time.monotonic()
    s.graceful()
    back = s.wait_for(lambda: s.request("GET", "/g/info")[0] == 200, timeout=20, interval=0.1)
    recovered = time.monotonic() - began
    for name, load in (("socket removed", removed), ("socket refusing", refused)):
        report(name, "%d requests, %s, slowest 503 after %.2f s (connect-timeout 1 s; %d daemon connections "
               "kept open from before)"
               % (len(load.results), load.outcomes(),
                  max([r.ended - r.started for r in load.results if r.status == 503] or [0]), kept))
    report("socket", "serving again %.2f s after a graceful restart" % recovered)
    unreachable(removed, kept)
    unreachable(refused, kept)
    assert s.wait_for_log("connect-timeout")
    assert back


# The test application's /count fails when the body it reads is cut off:
# the client's doing, logged at info, not as an application error.
def test_an_upload_abandoned_halfway_leaks_nothing(server):
    s = server(site("processes=2 threads=4"))
    daemons = ready(s, 2)
    # Whole uploads first, so that both processes and Apache's children
    # have made what they keep.
    body = b"y" * (32 << 20)
    for _ in range(4):
        status, _, answer = s.request("POST", "/g/count", body=body)
        assert (status, answer) == (200, b"%d\n" % len(body))
    workers = [p for p in children(s.pid()) if p not in daemons]
    before = footprint(daemons + workers)
    uploads = [send_partial_upload(s.port, "/g/count", 1 << 30, 512 << 20) for _ in range(3)]
    status, _, answer = s.request("POST", "/g/count", body=b"z" * 1000)
    # Closed connections may linger a moment in Apache's children.
    s.wait_for(lambda: all(f[1] <= before[p][1] and not f[3] for p, f in footprint(before).items()), timeout=5)
    after = footprint(before)
    report("abandoned upload", "3 times %d MiB of a declared 1 GiB sent (%s s), then closed; next request %d; %s"
           % (uploads[0][0] >> 20, ", ".join("%.1f" % u[1] for u in uploads), status, "; ".join(
               "%s %d: RSS %+d KiB, fds %+d, daemon connections %d -> %d"
               % ("daemon" if pid in daemons else "child", pid, after[pid][0] - before[pid][0],
                  after[pid][1] - before[pid][1], before[pid][2], after[pid][2])
               for pid in sorted(before) if pid in after)))
    assert (status, answer) == (200, b"1000\n")
    assert s.daemon_pids("g") == daemons
    assert log_lines(s, "reading the request body failed")
    abandoned = log_lines(s, "POST /g/count ended early: the client went away")
    assert abandoned and all(":info]" in line for line in abandoned), abandoned
    for pid in before:
        assert pid in after, "process %d ended" % pid
        assert after[pid][0] - before[pid][0] < 4096, "process %d grew" % pid
        assert after[pid][1] <= before[pid][1], "process %d holds more fds" % pid
        assert after[pid][3] == 0, "process %d holds %d connections closed at the other end" % (pid, after[pid][3])
    # Every connection a daemon holds has its other end in an Apache child
    # (one kept open between requests).
    in_children = set().union(*(socket_inodes(p) for p in children(s.pid()) if p not in daemons))
    unpaired = [i for d in daemons for i, peer in unix_connections(d).items() if peer not in in_children]
    assert unpaired == [], "daemon connections without an Apache end: %s" % unpaired
