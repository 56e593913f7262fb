"""Process management under load (issue #16): cancellation before killing,
memory limits, rolling restarts that refuse a bad deploy, the dynamic pool
and the control commands. Each case runs a bounded client load beside its
fault and prints its figures (make faults)."""

import datetime
import os
import pwd
import shutil
import socket
import subprocess
import time

import pytest

from harness.conf import SITE_ACCESS, daemon_site
from harness.env import SWIFTGATE
from harness.load import Load, wait_for_count

SERVING = "serving FastCGI with"


def site(options, library="{site}/libSwiftGateTestApp.so"):
    """One daemon group `g` with `options`, mounted at /g."""
    return daemon_site("g", options, "/g", library)


def report(case, text):
    print("\n[faults] %s: %s" % (case, text), flush=True)


def ready(server, processes, timeout=30):
    assert wait_for_count(server.log, SERVING, processes, timeout), server.log()
    pids = server.wait_for(lambda: len(server.daemon_pids("g")) == processes and server.daemon_pids("g"))
    assert pids, "the group has not %d processes" % processes
    return sorted(pids)


def log_lines(server, text):
    return [line for line in server.log().splitlines() if text in line]


def log_time(line):
    return datetime.datetime.strptime(line[1:line.index("]")], "%a %b %d %H:%M:%S.%f %Y")


def timed_get(server, path):
    began = time.monotonic()
    status, _, body = server.request("GET", path)
    return status, time.monotonic() - began, body


# ---- cancellation before killing ----


def test_a_cooperative_stuck_request_is_cancelled_and_its_process_keeps_serving(server):
    s = server(site("processes=1 threads=4 request-timeout=2 interrupt-timeout=5"))
    before = ready(s, 1)
    pid = int(s.request("GET", "/g/pid")[2])
    with Load(s.port, "/g/sleep?ms=10", connections=8, duration=20) as load:
        time.sleep(0.5)
        waited = timed_get(s, "/g/wait?ms=60000&id=coop")
        spun = timed_get(s, "/g/spin?ms=60000&id=coop-spin")
        time.sleep(0.5)
    after = s.daemon_pids("g")
    served_by = int(s.request("GET", "/g/pid")[2])
    seen = log_lines(s, "saw cancellation after")
    report("cancel, cooperative", "awaiting request %d after %.2f s, computing request %d after %.2f s "
           "(request-timeout 2 s); process %d before, %s after, serving %d; %d requests beside, %d failed %s; "
           "the tasks said: %s"
           % (waited[0], waited[1], spun[0], spun[1], pid, after, served_by, len(load.results), len(load.failed),
              load.outcomes(load.failed), "; ".join(line.split("] ", 4)[-1] for line in seen)))
    assert waited[0] == 504 and 2.0 <= waited[1] < 3.0
    assert spun[0] == 504 and 2.0 <= spun[1] < 3.0
    assert len(seen) == 2
    assert after == before and served_by == pid
    assert not log_lines(s, "ended (status")
    assert load.failed == [] and len(load.results) > 100


@pytest.mark.expect_log("SG00507", "SG00508", "did not end within interrupt-timeout")
def test_an_uncooperative_stuck_request_gets_504_and_its_process_is_replaced(server):
    s = server(site("processes=2 threads=4 request-timeout=2 interrupt-timeout=1"))
    before = ready(s, 2)
    with Load(s.port, "/g/sleep?ms=10", connections=8, duration=20) as load:
        time.sleep(0.5)
        status, took, _ = timed_get(s, "/g/block?ms=60000")
        replaced = s.wait_for(lambda: log_lines(s, "ended (status 75)"), timeout=10)
        time.sleep(1.0)
    condemned = log_lines(s, "did not end within interrupt-timeout of 1000 ms")
    report("cancel, uncooperative", "504 after %.2f s; %s; then %s; %d requests beside, %d failed %s"
           % (took, condemned[0].split("] ", 4)[-1] if condemned else "(not condemned)",
              replaced[0].split("SG00406: ", 1)[-1] if replaced else "(not replaced)", len(load.results),
              len(load.failed), load.outcomes(load.failed)))
    assert status == 504 and took < 3.5
    assert condemned and replaced
    assert set(s.daemon_pids("g")) != set(before)
    assert load.failed == []


def disconnect_after(port, path, seconds):
    """Sends GET path, waits, closes the connection; returns when it closed
    (wall clock, as the error log's times)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(("GET %s HTTP/1.1\r\nHost: faults\r\n\r\n" % path).encode())
        time.sleep(seconds)
        closed = datetime.datetime.now()
    return closed


@pytest.mark.parametrize("mode", ["daemon", "embedded"])
def test_a_client_that_disconnects_has_its_task_cancelled_within_a_second(server, mode):
    if mode == "daemon":
        s = server(site("processes=1 threads=4"))
        ready(s, 1)
        prefix = "/g"
    else:
        s = server("SwiftGateScriptAlias /e {site}/libSwiftGateTestApp.so\n" + SITE_ACCESS)
        prefix = "/e"
    with Load(s.port, prefix + "/sleep?ms=10", connections=8, duration=20) as load:
        time.sleep(0.5)
        delays = {}
        for route in ("wait", "spin") if mode == "daemon" else ("wait",):
            tag = "%s-%s" % (mode, route)
            closed = disconnect_after(s.port, "%s/%s?ms=30000&id=%s" % (prefix, route, tag), 1.0)
            seen = s.wait_for(lambda: log_lines(s, "%s %s saw cancellation" % (route, tag)), timeout=5)
            assert seen, s.log()
            delays[tag] = (log_time(seen[0]) - closed).total_seconds()
    report("client gone, %s" % mode, "tasks saw cancellation %s after the client closed; %d requests beside, "
           "%d failed %s" % (", ".join("%s %.3f s" % kv for kv in sorted(delays.items())), len(load.results),
                             len(load.failed), load.outcomes(load.failed)))
    assert all(d < 1.0 for d in delays.values()), delays
    assert load.failed == []


# ---- memory limit by drain ----


def test_a_leaking_process_past_memory_limit_is_drained_and_replaced(server):
    s = server(site("processes=2 threads=4 memory-limit=120"))
    before = ready(s, 2)
    leak = Load(s.port, "/g/leak?mib=2", connections=4, duration=10)
    beside = Load(s.port, "/g/sleep?ms=5", connections=8, duration=10)
    with leak, beside:
        replaced = s.wait_for(lambda: len(log_lines(s, "ended (status 78)")) >= 2, timeout=10)
    crossed = log_lines(s, "passed memory-limit of 120 MiB")
    ended = log_lines(s, "ended (status 78)")
    report("memory-limit", "%d recycles (%s); processes %s -> %s; leaking requests %d, %d failed %s; "
           "requests beside %d, %d failed %s"
           % (len(ended), "; ".join(line.split("recycling: ", 1)[-1] for line in crossed[:3]), before,
              sorted(s.daemon_pids("g")), len(leak.results), len(leak.failed), leak.outcomes(leak.failed),
              len(beside.results), len(beside.failed), beside.outcomes(beside.failed)))
    assert replaced and crossed
    assert all(":info]" in line for line in ended)
    assert leak.failed == [] and beside.failed == []
    assert len(beside.results) > 200


# ---- rolling restarts, control ----


def control(server, *args, user=None):
    """Runs `swiftgate ARGS --socket` against the server; (rc, output)."""
    command = [SWIFTGATE, *args, "--socket", os.path.join(server.root, "run", "swiftgate.control")]
    if user:
        command = ["runuser", "-u", user, "--"] + command
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    return done.returncode, (done.stdout + done.stderr).strip()


def test_a_rolling_restart_of_three_processes_fails_nothing(server):
    s = server(site("processes=3 threads=4 health-check=/healthz"))
    before = ready(s, 3)
    with Load(s.port, "/g/sleep?ms=20", connections=16, duration=40) as load:
        time.sleep(1.0)
        began = time.monotonic()
        rc, said = control(s, "restart", "g")
        done = s.wait_for(lambda: log_lines(s, "rolling restart (swiftgate restart by uid 0"), timeout=5)
        finished = s.wait_for(lambda: log_lines(s, ") done: 3 process(es) replaced"), timeout=40)
        took = time.monotonic() - began
        time.sleep(1.0)
    after = sorted(s.daemon_pids("g"))
    steps = log_lines(s, "SG00421")
    report("rolling restart", "swiftgate restart said %r; %s; steps: %s; processes %s -> %s; %d requests, %d failed %s"
           % (said, finished[0].split("SG00423: ", 1)[-1] if finished else "(not done)",
              "; ".join(line.split("': ", 1)[-1] for line in steps), before, after, len(load.results),
              len(load.failed), load.outcomes(load.failed)))
    assert rc == 0 and done and finished, s.log()
    assert len(steps) == 3 and took < 40
    assert len(after) == 3 and not set(after) & set(before)
    assert load.failed == [] and len(load.results) > 300


def deploy(server, source):
    """Puts `source` (a file in the site folder) in place of the group's
    library the way a deploy should: a copy beside it, renamed over it."""
    target = os.path.join(server.site_dir, "app", "libapp.so")
    staged = target + ".new"
    shutil.copy(os.path.join(server.site_dir, source), staged)
    os.chmod(staged, 0o755)
    os.rename(staged, target)


def prepare_deploys(server):
    os.makedirs(os.path.join(server.site_dir, "app"))
    shutil.copy(os.path.join(server.site_dir, "libSwiftGateTestApp.so"),
                os.path.join(server.site_dir, "app", "libapp.so"))
    server.build_fixture("crash_at_start.c", "libcrash.so")
    server.build_fixture("unhealthy.c", "libunhealthy.so")
    subprocess.run(["chmod", "-R", "a+rX", server.site_dir], check=True)


@pytest.mark.expect_log("SG00424", "SG00417", "AH00052", "health check failed", "cannot start application")
def test_a_bad_deploy_is_refused_and_the_old_processes_keep_serving(server):
    s = server(site("processes=2 threads=4 health-check=/healthz", "{site}/app/libapp.so"), prepare=prepare_deploys)
    first = ready(s, 2)
    refusals = {}
    with Load(s.port, "/g/sleep?ms=10", connections=12, duration=60) as load:
        time.sleep(1.0)
        # A good deploy rolls through.
        deploy(s, "libSwiftGateTestApp.so")
        assert s.wait_for(lambda: log_lines(s, ") done: 2 process(es) replaced"), timeout=40), s.log()
        second = s.wait_for(lambda: len(s.daemon_pids("g")) == 2 and sorted(s.daemon_pids("g")), timeout=10)
        assert second and not set(second) & set(first)
        # Two bad ones are refused.
        for bad, why in (("libcrash.so", "did not come to serve"), ("libunhealthy.so", "its health check failed")):
            count = len(log_lines(s, "SG00424"))
            deploy(s, bad)
            assert s.wait_for(lambda: len(log_lines(s, "SG00424")) > count, timeout=30), s.log()
            refusals[bad] = log_lines(s, "SG00424")[-1].split("SG00424: ", 1)[-1]
            assert why in refusals[bad]
            time.sleep(3.0)  # nothing retries the refused file
            assert len(log_lines(s, "SG00424")) == count + 1
            assert sorted(s.daemon_pids("g")) == second
        time.sleep(0.5)
    report("bad deploys", "good deploy rolled %s -> %s; %s; processes still %s; %d requests, %d failed %s"
           % (first, second, "; ".join("%s: %s" % kv for kv in refusals.items()), sorted(s.daemon_pids("g")),
              len(load.results), len(load.failed), load.outcomes(load.failed)))
    assert "refused application library %s/app/libapp.so" % s.site_dir in refusals["libunhealthy.so"]
    assert load.failed == [] and len(load.results) > 300


@pytest.mark.expect_log("SG00430")
def test_control_commands_are_logged_with_who_asked_and_refused_to_others(server):
    s = server(site("min-processes=1 max-processes=3 threads=2 idle-timeout=300"))
    ready(s, 1)
    rc, said = control(s, "scale", "g", "3")
    assert rc == 0, said
    assert s.wait_for(lambda: len(s.daemon_pids("g")) == 3, timeout=20)
    scaled = log_lines(s, "scaled from 1 to 3 processes, asked by uid 0 (root)")
    rc_out, out_of_range = control(s, "scale", "g", "4")
    rc_nogroup, no_group = control(s, "restart", "nosuch")
    rc_nobody, nobody = control(s, "restart", "g", user="nobody")
    # Even a socket whose mode let everyone in takes no command from them.
    os.chmod(os.path.join(s.root, "run", "swiftgate.control"), 0o666)
    rc_opened, opened = control(s, "restart", "g", user="nobody")
    refused = s.wait_for(lambda: log_lines(s, "SG00430"), timeout=5) or []
    report("control", "scale 3: %s; scale 4: %r; restart nosuch: %r; as nobody: %r; as nobody, socket mode 0666: "
           "%r; log: %s" % (said, out_of_range, no_group, nobody, opened,
                            refused[0].split("SG00430: ", 1)[-1] if refused else "(none)"))
    assert scaled
    assert rc_out != 0 and "outside min-processes=1 and max-processes=3" in out_of_range
    assert rc_nogroup != 0 and "no daemon group 'nosuch'" in no_group
    assert rc_nobody != 0 and "Permission denied" in nobody
    assert rc_opened != 0 and "only root and Apache's User" in opened
    assert refused and "uid %d (nobody)" % pwd.getpwnam("nobody").pw_uid in refused[0]
    assert not log_lines(s, "rolling restart asked by uid %d" % pwd.getpwnam("nobody").pw_uid)


# ---- the adaptive pool ----


def test_an_adaptive_pool_grows_to_max_under_load_and_shrinks_when_idle(server):
    s = server(site("min-processes=1 max-processes=3 threads=2 idle-timeout=3"))
    ready(s, 1)
    sizes = []
    began = time.monotonic()
    with Load(s.port, "/g/sleep?ms=200", connections=12, duration=30) as load:
        grown = s.wait_for(lambda: sizes.append(len(s.daemon_pids("g"))) or len(s.daemon_pids("g")) == 3,
                           timeout=20, interval=0.25)
        grew_in = time.monotonic() - began
        time.sleep(1.0)
    idle_since = time.monotonic()
    shrunk = s.wait_for(lambda: len(log_lines(s, "SG00427")) == 2 and len(s.daemon_pids("g")) == 1, timeout=20)
    shrank_in = time.monotonic() - idle_since
    growing, shrinking = log_lines(s, "SG00426"), log_lines(s, "SG00427")
    report("adaptive pool", "1 -> 3 processes in %.1f s under 12 clients of 200 ms requests (sizes seen %s); back to %d process(es) "
           "%.1f s after the load ended (idle-timeout 3 s); log: %s | %s; %d requests, %d failed %s"
           % (grew_in, sorted(set(sizes)), len(s.daemon_pids("g")), shrank_in,
              growing[0].split("': ", 1)[-1] if growing else "(no growth)",
              shrinking[0].split("': ", 1)[-1] if shrinking else "(no shrink)", len(load.results),
              len(load.failed), load.outcomes(load.failed)))
    assert grown and len(growing) == 2
    assert shrunk and len(shrinking) == 2
    assert load.failed == [] and len(load.results) > 40


@pytest.mark.expect_log("SG00424", "health check failed")
def test_a_graceful_restart_with_a_bad_library_keeps_the_old_processes_serving(server):
    # reload-on-change=Off: only the graceful restart picks the file up.
    s = server(site("processes=2 threads=4 health-check=/healthz reload-on-change=Off", "{site}/app/libapp.so"),
               prepare=prepare_deploys)
    before = ready(s, 2)
    with Load(s.port, "/g/sleep?ms=10", connections=12, duration=40) as load:
        time.sleep(1.0)
        deploy(s, "libunhealthy.so")
        s.graceful()
        refused = s.wait_for(lambda: log_lines(s, "SG00424"), timeout=30)
        time.sleep(2.0)
        during = sorted(s.daemon_pids("g"))
        # Fixed, and a second graceful restart rolls it in.
        deploy(s, "libSwiftGateTestApp.so")
        s.graceful()
        done = s.wait_for(lambda: log_lines(s, "rolling restart (apachectl graceful) done"), timeout=30)
        time.sleep(1.0)
    after = sorted(s.daemon_pids("g"))
    report("graceful, bad library", "%s; processes %s -> %s while refused -> %s after the fix; %d requests, %d failed %s"
           % (refused[0].split("SG00424: ", 1)[-1] if refused else "(not refused)", before, during, after,
              len(load.results), len(load.failed), load.outcomes(load.failed)))
    assert refused and "its health check failed" in refused[0]
    assert during == before
    assert done and not set(after) & set(before)
    assert load.failed == [] and len(load.results) > 300
