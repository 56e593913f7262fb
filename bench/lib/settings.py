"""What bench/run measures and how long: the paths (rows), the workloads
(columns) and the load generator's settings. BENCH_QUICK=1 shortens every
measurement so that a whole run takes under two minutes after the builds."""

import os

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH)

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")

# wrk: one thread leaves the second core to Apache; 32 connections keep
# every path busy (the design notes measured with -c32 too).
WRK_THREADS = 1
CONNECTIONS = 32
DURATION = int(os.environ.get("BENCH_DURATION", "2" if QUICK else "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "1" if QUICK else "3"))
# Every workload is measured in this many rounds, each round going through
# all the paths in turn, so that a slow minute of this shared machine does
# not land on one path alone; a path's row is its median round. Rounds after
# the first warm up for one second only.
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "3")))

# The upload workload: a 10 MiB body echoed back, on few connections.
UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_CONNECTIONS = 4

# The memory check: this many MiB up and down through daemon mode.
MEMCHECK_MIB = int(os.environ.get("BENCH_MEMCHECK_MIB", "1024"))
MEMCHECK_LIMIT_MIB = 32
RSS_SAMPLE_SECONDS = 0.05

# Notes the notes-list workload reads (written once through the site).
NOTES = 20

# The daemons' sizes: the same for both gateways (the variables are for
# experiments, such as the thundering-herd check in RESULTS.md).
DAEMON_PROCESSES = int(os.environ.get("BENCH_DAEMON_PROCESSES", "2"))
DAEMON_THREADS = int(os.environ.get("BENCH_DAEMON_THREADS", "15"))

WORKLOADS = [
    # key, label, route, method
    ("hello", "hello (14 B)", "/", "GET"),
    ("64k", "64 KiB response", "/64k", "GET"),
    ("upload", "10 MiB upload, echoed", "/echo", "POST"),
    ("notes", "notes list (SQLite read)", "/notes", "GET"),
]


class Path:
    """One way of serving the hello application: a row of the table."""

    def __init__(self, key, label, prefix, notes_prefix=None, daemon=None):
        self.key = key
        self.label = label
        self.prefix = prefix              # URL prefix of the hello routes
        self.notes_prefix = notes_prefix  # URL prefix of the example site, or None
        self.daemon = daemon              # what to read RSS from (see bench.py)

    def url_path(self, workload):
        if workload == "notes":
            return None if self.notes_prefix is None else self.notes_prefix + "/notes"
        route = dict((w[0], w[2]) for w in WORKLOADS)[workload]
        return self.prefix + route


PATHS = [
    Path("ceiling", "ceiling (C handler)", "/ceiling"),
    Path("sg-embedded", "swiftgate embedded", "/sg-embedded", "/sg-embedded-notes"),
    Path("sg-daemon", "swiftgate daemon", "/sg-daemon", "/sg-daemon-notes", daemon="swiftgate"),
    Path("wsgi-embedded", "mod_wsgi embedded", "/wsgi-embedded"),
    Path("wsgi-daemon", "mod_wsgi daemon", "/wsgi-daemon", daemon="wsgi"),
    Path("hummingbird", "mod_proxy_http → Hummingbird 2", "/hummingbird", daemon="hummingbird"),
    Path("proxy-fcgi", "mod_proxy_fcgi → swiftgate serve", "/fcgi", "/fcgi-notes", daemon="serve"),
]

CEILING = "ceiling"
WSGI_DAEMON = "wsgi-daemon"
