"""What a framework starts (Hummingbird services, Vapor's lifecycle
handlers) starts in the process that serves, after the fork — never in
Apache's parent — once per process, and is shut down when that process ends
in order: an Apache child's exit, a daemon's graceful restart."""

import re

import pytest

from harness.env import http_request

from conftest import make_server

PROBE = {"hummingbird": ("probe service started", "probe service stopped"),
         "vapor": ("probe lifecycle booted", "probe lifecycle stopped")}


def pids(server, text):
    return [int(pid) for pid in re.findall(re.escape(text) + r" in pid (\d+)", server.log())]


def serving_pid(server):
    status, _, body = http_request(server.port, "GET", "/app/pid")
    assert status == 200
    return int(body)


@pytest.mark.parametrize("framework", ["hummingbird", "vapor"])
@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_embedded_services_start_in_the_child_and_stop_when_it_exits(framework, mpm):
    started, stopped = PROBE[framework]
    server = make_server(framework, "embedded", mpm)
    try:
        parent = server.pid()
        child = serving_pid(server)
        assert server.wait_for(lambda: child in pids(server, started), timeout=10), server.log()[-3000:]
        assert parent not in pids(server, started)
        # Once per process and mount, whatever the number of requests.
        for _ in range(20):
            assert serving_pid(server) > 0
        assert pids(server, started).count(child) <= 2  # /app and /router each start one
        server.stop()
        assert child in pids(server, stopped), server.log()[-3000:]
    finally:
        server.cleanup()


@pytest.mark.parametrize("framework", ["hummingbird", "vapor"])
def test_daemon_services_stop_on_graceful_restart(framework):
    started, stopped = PROBE[framework]
    server = make_server(framework, "daemon", "event")
    try:
        old = serving_pid(server)
        assert server.wait_for(lambda: old in pids(server, started), timeout=10)
        assert server.pid() not in pids(server, started)
        server.graceful()
        assert server.wait_for(lambda: old in pids(server, stopped), timeout=20), server.log()[-3000:]
        new = server.wait_for(lambda: (lambda pid: pid if pid != old else None)(serving_pid(server)), timeout=20)
        assert new and new != old
        assert server.wait_for(lambda: new in pids(server, started), timeout=10)
    finally:
        server.cleanup()
