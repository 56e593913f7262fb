"""libSwiftGateDaemon.so called through its C entry point, as mod_swiftgate
calls it: a small C host (fixtures/daemon_host.c) opens the library and runs
swiftgate_daemon_main with the configuration each test needs, so that
recycling, draining, stopping, library checks and application choice can be
provoked directly."""

import json
import os
import shutil
import tempfile
import time

import pytest

from harness import fcgi
from harness.daemon import Host, starting
from harness.env import EXAMPLE_SITE, TEST_APP, wait_until
from harness.fixtures import build, build_library


@pytest.fixture(scope="module")
def built():
    """The host and the C fixture libraries, compiled once."""
    folder = tempfile.mkdtemp(prefix="sg-host-")
    try:
        yield {
            "dir": folder,
            "host": build("daemon_host.c", os.path.join(folder, "daemon_host"), "-pthread", "-ldl"),
            "raw": build_library("raw_app.c", folder),
            "mismatch": build_library("abi_mismatch.c", folder),
            "slow": build_library("slow_start.c", folder),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def host(built):
    """Starts hosts with key=value options (a list of pairs); kills every
    one afterwards."""
    yield from starting(lambda *options, wait_ready=True: Host(built["host"], list(options), wait_ready))


def script(library):
    return {"SCRIPT_FILENAME": library}


@pytest.mark.expect_log("is not one of this group's application libraries")
def test_application_is_chosen_by_script_filename(host, built):
    h = host(("process_group", "g1"), ("library", TEST_APP), ("library", built["raw"]))
    assert h.get("/info", extra=script(TEST_APP)).response()[0] == 200
    # NUL-terminated names: the C application finds PATH_INFO with strcmp.
    status, headers, body = h.get("/ok", extra=script(built["raw"])).response()
    assert (status, headers["x-test"], body) == (200, "fine", b"raw ok\n")
    result = h.get("/info", extra=script("/somewhere/else.so"))
    assert result.response()[0] == 500
    assert result.response()[1]["x-swiftgate-error"] == "500"
    assert "daemon group 'g1': SCRIPT_FILENAME '/somewhere/else.so' is not one of" in h.log()
    assert h.get("/info").response()[0] == 500  # no SCRIPT_FILENAME at all


@pytest.mark.expect_log("is not one of this group's application libraries")
def test_no_library_list_allows_none(host):
    h = host()
    assert h.get("/info", extra=script(TEST_APP)).response()[0] == 500


def test_callable_and_group_from_params_and_defaults(host):
    h = host(("library", TEST_APP), ("default_callable", "second_application"))
    assert h.get("/", extra=script(TEST_APP)).response()[2] == b"second application\n"
    named = dict(script(TEST_APP), **{"swiftgate.callable_object": "swiftgate_application",
                                      "swiftgate.application_group": "other"})
    assert h.get("/info", extra=named).response()[0] == 200
    assert "callable 'swiftgate_application' group 'other'" in h.log()


@pytest.mark.expect_log("cannot start application")
def test_a_failing_start_is_500_and_logged_once(host):
    h = host(("library", TEST_APP))
    failing = dict(script(TEST_APP), **{"swiftgate.callable_object": "failing_application"})
    for _ in range(3):
        assert h.get("/", extra=failing).response()[0] == 500
    assert h.log().count("cannot start application") == 1
    assert "the test application refuses to start" in h.log()
    missing = dict(script(TEST_APP), **{"swiftgate.callable_object": "no_such_symbol"})
    assert h.get("/", extra=missing).response()[0] == 500
    assert "has no callable object 'no_such_symbol'" in h.log()


@pytest.mark.expect_log("was built for SwiftGate ABI version 999")
def test_an_abi_mismatch_names_the_library_and_both_versions(host, built):
    h = host(("library", built["mismatch"]))
    assert h.get("/", extra=script(built["mismatch"])).response()[0] == 500
    assert ("library %s was built for SwiftGate ABI version 999, this daemon speaks version 1"
            % built["mismatch"]) in h.log()


@pytest.mark.expect_log("response head refused")
def test_bad_response_fields_are_refused(host, built):
    h = host(("fixed_library", built["raw"]))
    for path in ("/crlf-value", "/nul-value", "/bad-name"):
        result = h.get(path)
        status, headers, _ = result.response()
        assert status == 500, path
        assert "x-test" not in headers and "x-injected" not in headers
    assert "response head refused" in h.log()


def test_gateway_keys_reach_the_application(host):
    if not os.path.exists(EXAMPLE_SITE):
        pytest.skip("libExampleSite.so is not built (swift build --product ExampleSite)")
    h = host(("process_group", "site9"), ("fixed_library", EXAMPLE_SITE), ("threads", "3"))
    status, _, body = h.get("/env", extra={"HTTPS": "on"}).response()
    assert status == 200
    env = json.loads(body)
    assert env["swiftgate.process_group"] == "site9"
    assert env["swiftgate.url_scheme"] == "https"
    assert env["swiftgate.multithread"] == "1"
    assert env["swiftgate.multiprocess"] == "1"
    assert env["swiftgate.version"] == "1.0"
    assert env["swiftgate.callable_object"] == "swiftgate_application"
    assert env["swiftgate.application_group"] == ""
    assert env["PATH_INFO"] == "/env"


def test_maximum_requests_recycles(host):
    h = host(("fixed_library", TEST_APP), ("maximum_requests", "3"))
    for _ in range(3):
        assert h.get("/info").response()[0] == 200
    assert h.wait(timeout=3) == 0
    assert "recycling: maximum-requests (3) reached" in h.log()
    assert "host: daemon returned 0" in h.log()


def test_inactivity_timeout_recycles(host):
    h = host(("fixed_library", TEST_APP), ("inactivity_timeout_ms", "600"))
    assert h.wait(timeout=4) == 0
    assert "recycling: no request for inactivity-timeout of 600 ms" in h.log()


def test_restart_interval_recycles(host):
    h = host(("fixed_library", TEST_APP), ("restart_interval_ms", "800"))
    assert h.wait(timeout=4) == 0
    assert "recycling: restart-interval of 800 ms passed" in h.log()


def test_a_recycle_lets_a_running_request_finish(host):
    h = host(("fixed_library", TEST_APP), ("restart_interval_ms", "300"), ("graceful_timeout_ms", "5000"))
    with fcgi.Connection(h.address) as conn:
        result = conn.request(fcgi.cgi_params("GET", "/sleep", query="ms=1200"))
    assert result.response()[2] == b"slept\n"
    assert h.wait(timeout=4) == 0


def test_drain_keeps_accepting_until_idle(host):
    h = host(("fixed_library", TEST_APP), ("control", "1"))
    with fcgi.Connection(h.address) as slow:
        slow.start(fcgi.cgi_params("GET", "/sleep", query="ms=1500"))
        slow.send(fcgi.stream(fcgi.STDIN, 1, b""))
        time.sleep(0.2)
        h.control(b"g")
        assert wait_until(lambda: "draining: exiting once idle" in h.log(), 3)
        # New connections are still served while draining.
        assert h.get("/info").response()[0] == 200
        assert h.proc.poll() is None
        assert slow.finish(1).response()[2] == b"slept\n"
    began = time.monotonic()
    assert h.wait(timeout=4) == 0
    assert time.monotonic() - began >= 0.5, "a drain waits for a quiet second"
    assert "drained: no request for 1000 ms" in h.log()


def test_stop_gives_up_on_requests_after_shutdown_timeout(host):
    h = host(("fixed_library", TEST_APP), ("control", "1"), ("shutdown_timeout_ms", "500"))
    with fcgi.Connection(h.address) as slow:
        slow.start(fcgi.cgi_params("GET", "/sleep", query="ms=5000"))
        slow.send(fcgi.stream(fcgi.STDIN, 1, b""))
        time.sleep(0.2)
        began = time.monotonic()
        h.control(b"t")
        assert h.wait(timeout=3) == 0
        assert time.monotonic() - began < 2.0
        assert slow.finish(1).cut
    assert "stopping on request; no longer accepting" in h.log()
    assert "gave up on 1 running requests" in h.log()


def test_a_connection_accepted_before_a_stop_is_still_served(host):
    h = host(("fixed_library", TEST_APP), ("control", "1"))
    with fcgi.Connection(h.address) as conn:
        time.sleep(0.3)  # accepted by a worker, no request yet
        h.control(b"t")
        assert wait_until(lambda: "stopping on request" in h.log(), 3)
        time.sleep(0.3)
        result = conn.request(fcgi.cgi_params("GET", "/info"))
        assert not result.cut
        assert result.response()[0] == 200
    assert h.wait(timeout=3) == 0


def test_the_end_of_the_control_pipe_stops_the_daemon(host):
    h = host(("fixed_library", TEST_APP), ("control", "1"))
    h.proc.stdin.close()
    assert h.wait(timeout=3) == 0
    assert "stopping: the control pipe closed" in h.log()


def test_a_changed_library_recycles(host, built):
    lib = os.path.join(built["dir"], "libCopy.so")
    shutil.copy(TEST_APP, lib)
    h = host(("library", lib), ("preload", lib + "||"), ("check_libraries", "1"))
    assert h.get("/info", extra=script(lib)).response()[0] == 200
    time.sleep(0.3)
    assert h.proc.poll() is None
    later = time.time() + 10
    os.utime(lib, (later, later))
    assert h.wait(timeout=4) == 0
    assert "%s changed on disk (modification time changed)" % lib in h.log()
    assert "recycling: 1 application libraries changed" in h.log()


@pytest.mark.expect_log("took longer than startup-timeout of 500 ms")
def test_preload_past_startup_timeout_exits_76(host, built):
    h = host(("fixed_library", built["slow"]), ("preload", built["slow"] + "||"),
             ("startup_timeout_ms", "500"), wait_ready=False)
    began = time.monotonic()
    assert h.wait(timeout=5) == 76
    assert time.monotonic() - began < 2.5
    assert "took longer than startup-timeout of 500 ms" in h.log()


def test_preload_starts_applications_before_serving(host):
    h = host(("library", TEST_APP), ("preload", TEST_APP + "|second_application|pre"))
    log = h.log()
    assert log.index("started application %s callable 'second_application' group 'pre'" % TEST_APP) \
        < log.index("serving FastCGI")


@pytest.mark.expect_log("refusing to run applications as root")
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to be refused as root")
def test_a_daemon_running_as_root_refuses_to_serve(host):
    h = host(("fixed_library", TEST_APP), ("flags", "0"), wait_ready=False)
    assert h.wait(timeout=10) == 70
    assert "refusing to run applications as root (uid 0, euid 0)" in h.log()
    assert "serving FastCGI" not in h.log()


@pytest.mark.expect_log("swiftgate_daemon_config of 64 bytes")
def test_an_older_config_struct_is_refused(host):
    h = host(("fixed_library", TEST_APP), ("struct_size", "64"), wait_ready=False)
    assert h.wait(timeout=5) == 70
    assert "swiftgate_daemon_config of 64 bytes" in h.log()
