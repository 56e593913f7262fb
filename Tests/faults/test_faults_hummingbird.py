"""Faults under load with a Hummingbird application (issue #14): the
adapters' Hummingbird test application, with a service beside its router,
in a daemon group. Graceful restarts and recycling lose no request, and each
daemon that ends in order shuts its services down first.

The library comes from the Hummingbird adapter's build
(SWIFTGATE_HUMMINGBIRD_LIBS; `make faults` builds it)."""

import os
import re
import shutil
import time

import pytest

from harness.env import REPO
from harness.load import Load

from test_faults import ready, report, site

LIBS = os.environ.get("SWIFTGATE_HUMMINGBIRD_LIBS", os.path.join(REPO, "Adapters/SwiftGateHummingbird/.build/debug"))
LIBRARY = os.path.join(LIBS, "libSwiftGateHummingbirdTestApp.so")


def hummingbird_site(options):
    return site(options, library="{site}/hummingbird.so")


def copy_library(server):
    if not os.path.exists(LIBRARY):
        pytest.fail("%s is missing: `make faults` builds it (Adapters/SwiftGateHummingbird)" % LIBRARY,
                    pytrace=False)
    shutil.copy(LIBRARY, os.path.join(server.site_dir, "hummingbird.so"))
    os.chmod(os.path.join(server.site_dir, "hummingbird.so"), 0o755)


def probe_pids(server, event):
    return {int(pid) for pid in re.findall(r"probe service %s in pid (\d+)" % event, server.log())}


def test_hummingbird_graceful_restarts_under_load_fail_nothing(server):
    s = server(hummingbird_site("processes=2 threads=4 graceful-timeout=10"), prepare=copy_library)
    before = set(ready(s, 2))
    # The probe logs on stderr, which the parent relays at its monitor
    # passes (every 10 s): the waits allow two.
    assert s.wait_for(lambda: before <= probe_pids(s, "started"), timeout=20), s.log()[-3000:]
    assert s.pid() not in probe_pids(s, "started")
    with Load(s.port, "/g/sleep/20", connections=24, duration=20) as load:
        time.sleep(1.5)
        s.graceful()
        time.sleep(2.0)
        s.graceful()
        time.sleep(2.5)
    after = set(s.wait_for(lambda: len(s.daemon_pids("g")) == 2 and s.daemon_pids("g")) or [])
    stopped = s.wait_for(lambda: before <= probe_pids(s, "stopped") and probe_pids(s, "stopped"), timeout=20)
    report("hummingbird graceful", "%d requests over 2 graceful restarts, %d failed %s; daemons %s -> %s; "
           "services stopped in %s" % (len(load.results), len(load.failed), load.outcomes(load.failed),
                                       sorted(before), sorted(after), sorted(stopped or [])))
    assert len(load.results) > 300
    assert load.failed == []
    assert after and not (after & before)
    # Every daemon the restarts replaced shut its service down in order.
    assert stopped and before <= stopped
    # A graceful restart replaces the processes one at a time: the last
    # replacement may have started just now.
    assert s.wait_for(lambda: after <= probe_pids(s, "started"), timeout=20)


def test_hummingbird_recycling_under_load_fails_nothing(server):
    s = server(hummingbird_site("processes=2 threads=4 maximum-requests=150"), prepare=copy_library)
    ready(s, 2)
    load = Load(s.port, "/g/sleep/5", connections=24, duration=6).run_for(6)
    # Each recycled daemon says "exiting: recycling ..." once it finished
    # its requests; its service must have stopped before that.
    exited = lambda: {int(pid) for pid in re.findall(r"\[pid (\d+)[^\]]*\][^\n]*exiting: recycling", s.log())}
    recycled = exited()
    stopped = probe_pids(s, "stopped")
    report("hummingbird maximum-requests", "%d requests, %d failed %s, %d daemons recycled, services stopped in %d"
           % (len(load.results), len(load.failed), load.outcomes(load.failed), len(recycled), len(stopped)))
    assert len(recycled) >= 4
    assert load.failed == []
    assert recycled <= stopped
