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


# What the hello workload answers: bench's own hello applications (Swift,
# WSGI, the C ceiling, HelloHummingbird's "/") say HELLO; the framework
# adapters' test applications, and their servers, answer FRAMEWORK_HELLO at
# /hello.
HELLO = b"Hello, World!\n"
FRAMEWORK_HELLO = b"Hello, world!\n"


class Path:
    """One way of serving the hello application: a row of the table.

    workloads names the workloads the path serves (None: all that it has a
    prefix for); routes maps a workload to the path's own route for it
    (else the workload's route below prefix); hello is the body its hello
    route answers; framework, for the framework adapters' rows, is the
    framework's name and reference the key of the path the framework's own
    server behind mod_proxy_http is measured on."""

    def __init__(self, key, label, prefix, notes_prefix=None, daemon=None, workloads=None, routes=None,
                 hello=HELLO, framework=None, reference=None):
        self.key = key
        self.label = label
        self.prefix = prefix              # URL prefix of the hello routes
        self.notes_prefix = notes_prefix  # URL prefix of the example site, or None
        self.daemon = daemon              # what to read RSS from (see bench.py)
        self.workloads = workloads
        self.routes = routes or {}
        self.hello = hello
        self.framework = framework
        self.reference = reference

    def serves(self, workload):
        return self.workloads is None or workload in self.workloads

    def url_path(self, workload):
        if not self.serves(workload):
            return None
        if workload == "notes":
            return None if self.notes_prefix is None else self.notes_prefix + "/notes"
        route = self.routes.get(workload) or dict((w[0], w[2]) for w in WORKLOADS)[workload]
        return self.prefix + route


def framework_paths(framework, name, group, proxy_key, proxy_label, proxy_prefix):
    """The three rows of a framework's hello application: on its own server
    behind mod_proxy_http, through swiftgate embedded and daemon mode."""
    common = dict(workloads=("hello",), routes={"hello": "/hello"}, hello=FRAMEWORK_HELLO, framework=name,
                  reference=proxy_key)
    return [
        Path(proxy_key, proxy_label, proxy_prefix, daemon=proxy_key, **common),
        Path(framework + "-embedded", "swiftgate embedded → %s app" % name, "/%s-embedded" % framework, **common),
        Path(framework + "-daemon", "swiftgate daemon → %s app" % name, "/%s-daemon" % framework, daemon=group,
             **common),
    ]


# The framework adapters' daemon groups, sized like the hello group.
HUMMINGBIRD_GROUP = "hummingbird"
VAPOR_GROUP = "vapor"

PATHS = [
    Path("ceiling", "ceiling (C handler)", "/ceiling"),
    Path("sg-embedded", "swiftgate embedded", "/sg-embedded", "/sg-embedded-notes"),
    Path("sg-daemon", "swiftgate daemon", "/sg-daemon", "/sg-daemon-notes", daemon="swiftgate"),
    Path("wsgi-embedded", "mod_wsgi embedded", "/wsgi-embedded"),
    Path("wsgi-daemon", "mod_wsgi daemon", "/wsgi-daemon", daemon="wsgi"),
    Path("hummingbird", "mod_proxy_http → Hummingbird 2", "/hummingbird", daemon="hummingbird"),
    Path("proxy-fcgi", "mod_proxy_fcgi → swiftgate serve", "/fcgi", "/fcgi-notes", daemon="serve"),
] + framework_paths("hb", "Hummingbird", HUMMINGBIRD_GROUP, "hb-proxy",
                    "mod_proxy_http → Hummingbird 2 (adapter's hello)", "/hummingbird") + \
    framework_paths("vapor", "Vapor", VAPOR_GROUP, "vapor-proxy", "mod_proxy_http → Vapor 4 (VaporHelloServer)",
                    "/vapor")

CEILING = "ceiling"
WSGI_DAEMON = "wsgi-daemon"

# The framework rows' targets (issue 14): the application through swiftgate
# over the same application on its own server behind mod_proxy_http.
FRAMEWORK_TARGETS = {"daemon": 1.3, "embedded": 1.8}
