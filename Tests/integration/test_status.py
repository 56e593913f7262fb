"""Seeing inside a running site (issue 15) against a real Apache: the
status page in HTML, JSON and Prometheus text, request ids, slow requests,
crash reports with the Swift runtime's last words, the application's own
swift-metrics, and `swiftgate status`."""

import concurrent.futures
import json
import re
import subprocess
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.apache import Apache
from harness.env import APACHE_MODULES, SWIFTGATE, wait_until

SITE = """
SwiftGateRequestIdHeader X-Request-Id
SwiftGateDaemonProcess watched processes=2 threads=4 slow-request=1
# The crash tests kill this group again and again, so its restarts back off
# (1, 2, 4 ... s): requests may wait that out.
SwiftGateDaemonProcess crashy threads=2 connect-timeout=45
SwiftGateDaemonProcess traced threads=2 \
    env=SWIFT_BACKTRACE=enable=yes,interactive=no,output-to=stderr,threads=crashed,registers=none,images=none
SwiftGateScriptAlias /d {site}/libSwiftGateTestApp.so process-group=watched
SwiftGateScriptAlias /crashy {site}/libSwiftGateTestApp.so process-group=crashy
SwiftGateScriptAlias /traced {site}/libSwiftGateTestApp.so process-group=traced
SwiftGateScriptAlias /documented {site}/libSwiftGateTestApp.so process-group=crashy
<Location /documented>
    ErrorDocument 502 /e/environ-value?key=REDIRECT_SWIFTGATE_INCIDENT
</Location>
SwiftGateScriptAlias /e {site}/libSwiftGateTestApp.so slow-request=1
<Location /status>
    SetHandler swiftgate-status
    Require ip 127.0.0.1
</Location>
<Directory {site}>
    Require all granted
</Directory>
"""

# What the tests provoke on purpose: daemons that die (the parent's line,
# the daemon's last words, one line per request that was running), and
# slow requests.
CRASH_LINES = ("SG00406", "SG00417", "SG00520")
SLOW_LINES = ("SG00521", "SG00522", "SG00314", "SG00315")


@pytest.fixture(scope="module")
def apache():
    server = Apache(SITE, mpm="event").start()
    yield server
    server.cleanup()


def status_json(apache):
    status, _, body = apache.request("GET", "/status?json")
    assert status == 200
    return json.loads(body)


def group(doc, name):
    return next(g for g in doc["groups"] if g["name"] == name)


def served(doc, name):
    return sum(s["requests"] for s in group(doc, name)["slots"])


def metrics(apache):
    status, headers, body = apache.request("GET", "/status?metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    return {f.name: f for f in text_string_to_metric_families(body.decode())}


def sample_sum(families, family, sample, **labels):
    return sum(s.value for s in families[family].samples
               if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()))


def wait_for_count(apache, name, expected):
    """The daemon counts a request once its response is out: a status read
    right after the response may precede the count by a moment."""
    assert wait_until(lambda: served(status_json(apache), name) == expected, 5), \
        "group %s served %d, expected %d" % (name, served(status_json(apache), name), expected)


@pytest.mark.parametrize("mount,name", [("/d", "watched"), ("/e", "(embedded)")])
def test_counts_in_every_format(apache, mount, name):
    before = served(status_json(apache), name) if any(
        g["name"] == name for g in status_json(apache)["groups"]) else 0
    for i in range(7):
        status, _, _ = apache.request("GET", "%s/info/%d" % (mount, i))
        assert status == 200
    status, _, _ = apache.request("GET", mount + "/no-such-route")
    assert status == 404
    wait_for_count(apache, name, before + 8)
    doc = status_json(apache)
    slots = group(doc, name)["slots"]
    assert sum(s["status"]["2xx"] for s in slots) >= 7
    assert sum(s["status"]["4xx"] for s in slots) >= 1
    assert all(s["rss"] > 0 for s in slots if s["pid"])
    assert len([s for s in slots if s["pid"]]) >= 1
    assert all(s["library"].endswith("libSwiftGateTestApp.so") for s in slots if s["requests"])
    if name == "watched":
        info = group(doc, name)
        assert info["processes"] == 2 and info["threads"] == 4 and info["slow_request"] == 1
        assert info["queue"] == 0
        assert len([s for s in slots if s["pid"]]) == 2

    families = metrics(apache)
    total = sample_sum(families, "swiftgate_requests", "swiftgate_requests_total", group=name)
    assert total == before + 8
    assert sample_sum(families, "swiftgate_request_duration_seconds",
                      "swiftgate_request_duration_seconds_count", group=name) == before + 8
    assert sample_sum(families, "swiftgate_request_duration_seconds",
                      "swiftgate_request_duration_seconds_bucket", group=name, le="+Inf") == before + 8
    assert sample_sum(families, "swiftgate_responses", "swiftgate_responses_total",
                      group=name, **{"class": "4xx"}) >= 1
    apps = {s.labels["application"] for s in families["swiftgate_requests"].samples
            if s.labels["group"] == name and s.value}
    assert apps == {"libSwiftGateTestApp.so"}

    status, headers, page = apache.request("GET", "/status?refresh=5")
    assert status == 200 and headers["refresh"] == "5"
    assert b"<script" not in page
    text = page.decode()
    section = text.split("daemon group watched" if name == "watched" else "embedded (Apache")[1]
    rows = re.findall(r"<tr><td>[^<]*</td><td>(\d+)</td><td>[^<]*</td><td>(\d+)</td>", section.split("</table>")[0])
    assert sum(int(requests) for _, requests in rows) == before + 8


def test_queue_and_threads_are_reported(apache):
    families = metrics(apache)
    assert sample_sum(families, "swiftgate_queue_length", "swiftgate_queue_length", group="watched") == 0
    assert sample_sum(families, "swiftgate_threads", "swiftgate_threads", group="watched") == 8
    # A request in progress is a busy thread, and shows with its age.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(apache.request, "GET", "/d/sleep?ms=1500", None, {"X-Request-Id": "busy-1"})
        assert wait_until(lambda: any(r["id"] == "busy-1" for r in status_json(apache)["requests"]), 5)
        families = metrics(apache)
        assert sample_sum(families, "swiftgate_busy_threads", "swiftgate_busy_threads", group="watched") >= 1
        running = next(r for r in status_json(apache)["requests"] if r["id"] == "busy-1")
        assert running["group"] == "watched" and running["method"] == "GET"
        assert running["uri"] == "/d/sleep?ms=1500" and running["client"] == "127.0.0.1"
        assert pending.result()[0] == 200


@pytest.mark.expect_log(*SLOW_LINES)
@pytest.mark.parametrize("mount", ["/d", "/e"])
def test_slow_request_is_logged_and_listed(apache, mount):
    rid = "slow-%s-%d" % (mount.strip("/"), time.monotonic_ns())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(apache.request, "GET", mount + "/sleep?ms=2500", None, {"X-Request-Id": rid})

        def listed():
            found = [r for r in status_json(apache)["requests"] if r["id"] == rid]
            return found and found[0]["slow"]
        assert wait_until(listed, 5), "the sleeping request never showed as slow"
        page = apache.request("GET", "/status")[2].decode()
        slow_section = page.split("<h2>slow requests</h2>")[1].split("<h2>")[0]
        assert rid in slow_section and "class=slow" in slow_section
        assert apache.request("GET", "/status?metrics")[2].count(b"swiftgate_slow_requests{") >= 1
        passed, ended = ("SG00521", "SG00522") if mount == "/d" else ("SG00314", "SG00315")
        assert wait_until(lambda: any(passed in l and rid in l for l in apache.log().splitlines()), 3)
        line = next(l for l in apache.log().splitlines() if passed in l and rid in l)
        assert "GET %s/sleep?ms=2500" % mount in line and "from 127.0.0.1" in line
        assert "past slow-request (1 s)" in line
        if mount == "/d":
            assert re.search(r"daemon group 'watched' process \d+ thread \d", line)
        else:
            assert re.search(r"embedded, thread \d+", line)
        assert not any(ended in l and rid in l for l in apache.log().splitlines())
        assert pending.result()[0] == 200
    assert wait_until(lambda: any(ended in l and rid in l for l in apache.log().splitlines()), 3)


def test_request_id_reaches_the_application_and_its_log(apache):
    status, _, body = apache.request("GET", "/d/request-id", headers={"X-Request-Id": "abc-123"})
    assert (status, body) == (200, b"abc-123\n")
    assert wait_until(lambda: "request_id=abc-123" in apache.log(), 3)
    # A made-up id, never a bad one: the header is refused, another id made.
    status, _, body = apache.request("GET", "/e/request-id", headers={"X-Request-Id": "bad id"})
    assert status == 200 and body.strip() and b"bad" not in body
    ids = {apache.request("GET", "/e/request-id")[2] for _ in range(3)}
    assert len(ids) == 3


def test_log_lines_carry_the_metadata_of_a_provider_bootstrapped_later(apache):
    # The application bootstraps swift-log with a metadata provider while it
    # serves, long after the host made its logger; embedded and in a daemon.
    for mount in ("/e", "/d"):
        assert apache.request("GET", mount + "/log/bootstrapped")[0] == 200
    assert wait_until(lambda: sum("the bootstrapped-logging route logs this" in l and "bootstrapped=yes" in l
                                  for l in apache.log().splitlines()) >= 2, 3)


def test_unique_id_wins_over_the_header():
    server = Apache("LoadModule unique_id_module %s/mod_unique_id.so\n" % APACHE_MODULES + SITE,
                    mpm="event").start()
    try:
        status, _, body = server.request("GET", "/e/request-id", headers={"X-Request-Id": "from-header"})
        assert status == 200
        assert body.strip() and body != b"from-header\n"
        assert len(body.strip()) >= 20  # mod_unique_id's ids are 27 characters
    finally:
        server.cleanup()


@pytest.mark.expect_log(*CRASH_LINES)
@pytest.mark.parametrize("route,said", [
    ("/crash/fatal", r"Fatal error: the test application fails on purpose"),
    ("/crash/index", r"Fatal error: Index out of range"),
    ("/crash/precondition", r"Precondition failed: the precondition the test breaks"),
])
def test_a_trap_mid_request_is_reported(apache, route, said):
    status, _, body = apache.request("GET", "/crashy" + route, headers={"X-Request-Id": "crash-" + route[7:]})
    assert status == 502
    match = re.search(rb"incident ([0-9a-f]{8}-\d+)", body)
    assert match, body
    incident = match.group(1).decode()

    def reported():
        lines = [l for l in apache.log().splitlines() if "incident " + incident in l]
        request_line = [l for l in lines if "SG00520" in l]
        last_words = [l for l in lines if "SG00417" in l and re.search(said, l)]
        return request_line and last_words and (request_line, last_words)
    assert wait_until(reported, 10), "no crash report for %s:\n%s" % (incident, apache.log()[-3000:])
    request_line, last_words = reported()
    line = request_line[0]
    assert "daemon group 'crashy' process %s" % incident.split("-")[1] in line
    assert "killed by signal" in line and "(SIG" in line
    assert "GET /crashy%s HTTP/1.1" % route in line and "request id crash-" in line
    assert re.search(r"running \d+\.\d+ s", line)
    assert re.search(r"\w+\.swift:\d+", last_words[0]), last_words[0]
    # The next request is served by the process started in its place.
    assert wait_until(lambda: apache.request("GET", "/crashy/info")[0] == 200, 10)
    crashed = [s for s in group(status_json(apache), "crashy")["slots"] if s["last_exit"]]
    assert crashed and crashed[0]["restarts"] >= 1 and "SIG" in crashed[0]["last_exit"]["how"]


@pytest.mark.expect_log(*CRASH_LINES)
def test_an_error_document_gets_the_incident_id(apache):
    # The error document is an application page that prints the variable
    # (and answers with its own status, as a CGI script could).
    status, _, body = apache.request("GET", "/documented/crash/fatal")
    assert status in (200, 502)
    incident = body.decode().strip()
    assert re.fullmatch(r"[0-9a-f]{8}-\d+", incident), body
    assert wait_until(lambda: "SG00520: incident %s:" % incident in apache.log(), 5)


@pytest.mark.expect_log(*CRASH_LINES)
def test_every_request_running_in_a_crashing_daemon_is_reported(apache):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        sleeper = pool.submit(apache.request, "GET", "/crashy/sleep?ms=3000", None, {"X-Request-Id": "bystander"})
        assert wait_until(lambda: any(r["id"] == "bystander" for r in status_json(apache)["requests"]), 5)
        crash = apache.request("GET", "/crashy/crash/fatal")
        assert crash[0] == 502
        status, _, body = sleeper.result()
    assert status == 502 and b"incident " in body
    assert wait_until(lambda: any("SG00520" in l and "request id bystander" in l
                                  for l in apache.log().splitlines()), 5)


@pytest.mark.expect_log(*CRASH_LINES)
def test_the_swift_backtrace_is_logged_under_the_incident(apache):
    status, _, body = apache.request("GET", "/traced/crash/fatal")
    assert status == 502
    incident = re.search(rb"incident ([0-9a-f]{8}-\d+)", body).group(1).decode()

    def backtrace():
        said = [l.split(" said: ", 1)[1] for l in apache.log().splitlines()
                if "SG00417: incident %s:" % incident in l]
        return any("crashed" in l for l in said) and any("Backtrace took" in l for l in said) and said
    said = wait_until(backtrace, 15) and backtrace()
    assert said, "\n".join(l for l in apache.log().splitlines() if incident in l)[-6000:]
    assert any("Fatal error: the test application fails on purpose" in l for l in said)
    # A frame of the application, with its source file.
    assert any("TestApp+Observability.swift" in l and "libSwiftGateTestApp.so" in l for l in said)


def test_application_metrics_are_summed_over_the_group(apache):
    families = metrics(apache)
    before = sample_sum(families, "testapp_bumps", "testapp_bumps_total", group="watched") \
        if "testapp_bumps" in families else 0
    for n in (3, 4, 5, 6):
        assert apache.request("GET", "/d/metrics/bump?n=%d" % n)[0] == 200
    families = metrics(apache)
    assert sample_sum(families, "testapp_bumps", "testapp_bumps_total", group="watched", route="bump") \
        == before + 18
    assert families["testapp_bump_seconds"].type == "summary"
    assert sample_sum(families, "testapp_bump_seconds", "testapp_bump_seconds_count", group="watched") >= 4
    assert families["testapp_last_bump"].type == "gauge"
    # In embedded mode too, under its own group label.
    assert apache.request("GET", "/e/metrics/bump?n=2")[0] == 200
    families = metrics(apache)
    assert sample_sum(families, "testapp_bumps", "testapp_bumps_total", group="(embedded)") >= 2


def test_swiftgate_status_prints_the_table(apache):
    url = "http://127.0.0.1:%d/status" % apache.port
    for _ in range(3):
        apache.request("GET", "/d/info")
    out = subprocess.run([SWIFTGATE, "status", url], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    doc = status_json(apache)
    assert "watched" in out.stdout and "crashy" in out.stdout
    header = next(l for l in out.stdout.splitlines() if "PID" in l)
    assert "REQUESTS" in header and "BUSY" in header
    for slot in group(doc, "watched")["slots"]:
        if slot["pid"]:
            row = next(l for l in out.stdout.splitlines() if re.search(r"\b%d\b" % slot["pid"], l))
            assert re.search(r"\b%d\b" % slot["requests"], row) or slot["requests"] > 0
    watched = subprocess.run([SWIFTGATE, "status", "--watch", "--interval", "1", "--count", "2", url],
                             capture_output=True, text=True, timeout=30)
    assert watched.returncode == 0 and watched.stdout.count("watched") >= 2
    bad = subprocess.run([SWIFTGATE, "status", "http://127.0.0.1:1/status"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode != 0 and "127.0.0.1:1" in bad.stderr


def shared_writable(pid):
    """The sizes of a process's shared, writable memory mappings."""
    with open("/proc/%d/maps" % pid) as f:
        fields = [line.split() for line in f]
    return [int(f[0].split("-")[1], 16) - int(f[0].split("-")[0], 16) for f in fields if f[1].startswith("rw-s")]


@pytest.mark.expect_log(*CRASH_LINES)
def test_a_daemon_keeps_only_its_own_slot(apache):
    # An Apache child holds httpd's scoreboard and the whole of ours; a
    # daemon, which runs the site's code as another user, holds its own
    # slot (and the group's serving flags): not the parent's records, not
    # other processes' slots, not httpd's scoreboard. A daemon started
    # while Apache runs (here: after a crash) is forked after httpd made its
    # scoreboard, so it inherits that too, and must drop it.
    first = group(status_json(apache), "crashy")["slots"][0]["pid"]
    assert apache.request("GET", "/crashy/crash/fatal")[0] == 502

    def replaced():
        pid = group(status_json(apache), "crashy")["slots"][0]["pid"]
        return pid and pid != first and pid
    assert wait_until(replaced, 40)
    assert wait_until(lambda: apache.request("GET", "/crashy/info")[0] == 200, 40)
    doc = status_json(apache)
    child = next(s["pid"] for s in group(doc, "(embedded)")["slots"] if s["pid"])
    in_child, in_daemon = shared_writable(child), shared_writable(replaced())
    slot = 8 * 4096  # a slot of 2 threads, page-rounded, with room to spare
    assert sum(in_child) > 10 * slot, in_child
    assert all(size <= slot for size in in_daemon), in_daemon
    assert sum(in_daemon) <= 2 * slot, in_daemon
