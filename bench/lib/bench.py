"""bench/run's measuring half: starts the servers, checks every path's
answers, measures each workload on each path with wrk, reads the daemons'
memory, runs the memory check, writes bench/RESULTS.md and
bench/results.png and prints the tables. Everything it starts is stopped
on the way out, whatever the way out is.

bench/run builds the artifacts and names them in the environment:
BENCH_MODULE, BENCH_DAEMON_LIBRARY, BENCH_EXAMPLE, BENCH_SWIFTGATE,
BENCH_HELLO, BENCH_WSGI, BENCH_CEILING, BENCH_HUMMINGBIRD,
BENCH_HUMMINGBIRD_RESOLVED, the framework adapters' BENCH_HUMMINGBIRD_APP,
BENCH_VAPOR_APP, BENCH_VAPOR_SERVER, BENCH_VAPOR_RESOLVED and their
in-process benchmarks BENCH_HUMMINGBIRD_MICRO and BENCH_VAPOR_MICRO;
BENCH_COMMAND is the command line to report."""

import datetime
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse

import load
import memcheck
import profiling
import report
import procs
import server
import settings as S

LOGS = os.path.join(S.BENCH, ".logs")


def artifacts():
    names = dict(module="BENCH_MODULE", daemon_library="BENCH_DAEMON_LIBRARY", example="BENCH_EXAMPLE",
                 swiftgate="BENCH_SWIFTGATE", hello="BENCH_HELLO", wsgi="BENCH_WSGI",
                 ceiling="BENCH_CEILING", hummingbird="BENCH_HUMMINGBIRD",
                 hummingbird_app="BENCH_HUMMINGBIRD_APP", vapor_app="BENCH_VAPOR_APP",
                 vapor_server="BENCH_VAPOR_SERVER")
    found = {}
    for key, var in names.items():
        path = os.environ.get(var, "")
        if not os.path.isfile(path):
            sys.exit("bench: %s names no file (%r); run bench/run, which builds everything" % (var, path))
        found[key] = path
    return found


def wait_until(what, check, timeout=60.0):
    deadline = time.monotonic() + timeout
    why = None
    while time.monotonic() < deadline:
        why = check()
        if why is None:
            return
        time.sleep(0.2)
    raise RuntimeError("%s: %s" % (what, why))


def seed_notes(port):
    """Writes the notes the notes-list workload reads, through the site's
    daemon group (retried while its processes start). None, or why not."""
    def first():
        return _post_note(port, 1)

    try:
        wait_until("the example site's daemons", first, timeout=30)
        for i in range(2, S.NOTES + 1):
            why = _post_note(port, i)
            if why:
                return why
    except RuntimeError as e:
        return str(e)
    return None


def _post_note(port, i):
    body = urllib.parse.urlencode({"text": "Benchmark note %d: the quick brown fox" % i})
    try:
        status, data = load.request(port, "POST", "/sg-daemon-notes/notes", body,
                                    {"Content-Type": "application/x-www-form-urlencoded"})
    except OSError as e:
        return str(e)
    return None if status == 303 else "status %d: %r" % (status, data[:200])


def measure_all(apache):
    """Every workload on every path, in S.ROUNDS interleaved rounds; a
    path's result is its median round (its latencies too), with every
    round's requests/s kept in "rounds"."""
    results = {}
    os.makedirs(os.path.join(LOGS, "wrk"), exist_ok=True)
    for workload, label, _, _ in S.WORKLOADS:
        print("\n== %s" % label, flush=True)
        runs = {}
        for round_index in range(S.ROUNDS):
            if S.ROUNDS > 1:
                print("  -- round %d of %d" % (round_index + 1, S.ROUNDS), flush=True)
            for p in S.PATHS:
                url_path = p.url_path(workload)
                if url_path is None:
                    continue
                why = load.verify(apache.port, url_path, workload, p.hello)
                if why:
                    result = load.Result(error="wrong answer: " + why)
                    output = ""
                else:
                    result, output = load.measure(apache.port, url_path, workload,
                                                  warmup=None if round_index == 0 else min(S.WARMUP, 1))
                with open(os.path.join(LOGS, "wrk", "%s-%s-%d.txt" % (workload, p.key, round_index + 1)),
                          "w") as f:
                    f.write(output)
                runs.setdefault(p.key, []).append(result.as_dict())
                if result.error:
                    print("  %-34s FAILED: %s" % (p.label, result.error), flush=True)
                else:
                    print("  %-34s %9.0f req/s   p50 %7.2f ms   p99 %7.2f ms  %s" % (
                        p.label, result.rps, result.p50 or 0, result.p99 or 0, result.errors), flush=True)
        for key, rounds in runs.items():
            results.setdefault(key, {})[workload] = median_round(rounds)
    return results


def median_round(rounds):
    """The round with the median requests/s, the lower of the middle two
    for an even count (a failed round counts as the worst); the result of a
    path with any failed round carries its error."""
    ordered = sorted(rounds, key=lambda r: -1 if r.get("error") else (r.get("rps") or 0))
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    failed = [r for r in rounds if r.get("error")]
    if failed and not chosen.get("error"):
        chosen["error"] = "%d of %d rounds failed: %s" % (len(failed), len(rounds), failed[0]["error"])
    chosen["rounds"] = [None if r.get("error") else r.get("rps") for r in rounds]
    return chosen


def resident_memory(apache, backends):
    rows = []

    def add(path, label, pids):
        for pid in pids:
            mem = procs.memory_kib(pid)
            if mem is not None:
                rows.append(dict(path=path, label=label, pid=pid, kib=mem["VmRSS"], anon=mem.get("RssAnon"),
                                 file=mem.get("RssFile"), pss=mem.get("Pss")))

    add("sg-daemon", "swiftgate daemon (swiftgate:hello)", apache.named_children("(swiftgate:hello)"))
    add("sg-daemon-notes", "swiftgate daemon (swiftgate:notes), example site", apache.named_children("(swiftgate:notes)"))
    add("wsgi-daemon", "mod_wsgi daemon (wsgi:hello)", apache.named_children("(wsgi:hello)"))
    add("hummingbird", "Hummingbird 2 server (both Hummingbird proxy rows)", [backends["hummingbird"].pid])
    add("hb-daemon", "swiftgate daemon (swiftgate:%s), Hummingbird app" % S.HUMMINGBIRD_GROUP,
        apache.named_children("(swiftgate:%s)" % S.HUMMINGBIRD_GROUP))
    add("vapor-proxy", "Vapor 4 server (VaporHelloServer)", [backends["vapor"].pid])
    add("vapor-daemon", "swiftgate daemon (swiftgate:%s), Vapor app" % S.VAPOR_GROUP,
        apache.named_children("(swiftgate:%s)" % S.VAPOR_GROUP))
    add("proxy-fcgi", "swiftgate serve (hello)", [backends["fcgi-hello"].pid])
    add("proxy-fcgi-notes", "swiftgate serve (example site)", [backends["fcgi-notes"].pid])
    add("apache", "Apache child (embedded paths, the framework apps' too, run here)", apache.workers())
    return rows


def other_cpu(busy_before, apache, backends, elapsed):
    """The share of the machine (percent of all cores) that processes other
    than the benchmark's used while it ran: 2 cores shared with other work
    make every number noisier, so the report says how much there was."""
    ours = sum(procs.cpu_seconds(p) for p in [apache.pid()] + apache.children())
    ours += sum(procs.cpu_seconds(b.pid) for b in backends.values())
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, curl
    mine = resource.getrusage(resource.RUSAGE_SELF)
    ours += usage.ru_utime + usage.ru_stime + mine.ru_utime + mine.ru_stime
    busy = procs.machine_busy_seconds() - busy_before
    return max(0.0, busy - ours) / (elapsed * (os.cpu_count() or 1)) * 100.0


class Servers:
    """Everything under test, started on entry and stopped on exit (also on
    an exception or a signal): the backends, then Apache with every mount."""

    def __init__(self):
        self.root = server.Root(artifacts())
        self.backends = {}
        self.apache = None

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self):
        t0 = time.monotonic()
        root, backends = self.root, self.backends
        print("bench: server root %s%s" % (root.path, " (BENCH_QUICK=1)" if S.QUICK else ""), flush=True)
        backends["hummingbird"] = server.hummingbird(root)
        backends["vapor"] = server.vapor(root)
        backends["fcgi-hello"] = server.swiftgate_serve(root, "fcgi-hello", root.hello)
        backends["fcgi-notes"] = server.swiftgate_serve(root, "fcgi-notes", root.example, root.settings)
        site = server.site_config(root, backends["hummingbird"].port, backends["vapor"].port,
                                  backends["fcgi-hello"].unix, backends["fcgi-notes"].unix)
        self.apache = server.Apache(root, site)
        self.apache.start()
        port = self.apache.port
        for url_path in ("/sg-daemon/", "/wsgi-daemon/"):
            wait_until("waiting for " + url_path, lambda: load.verify(port, url_path, "hello"))
        for p in S.PATHS:
            if p.key.endswith("-daemon") and p.framework:
                url_path = p.url_path("hello")
                wait_until("waiting for " + url_path, lambda: load.verify(port, url_path, "hello", p.hello))
        why = seed_notes(port)
        if why:
            print("bench: could not write the notes (%s); the notes rows will fail" % why, flush=True)
        print("bench: servers up after %.1f s" % (time.monotonic() - t0), flush=True)

    def __exit__(self, *exc):
        if self.apache is not None:
            try:
                shutil.copy(self.apache.error_log, os.path.join(LOGS, "error.log"))
            except OSError:
                pass
            self.apache.stop()
        for b in self.backends.values():
            b.stop()
        procs.stop_recorded(self.root.path)
        if os.environ.get("BENCH_KEEP_ROOT"):
            print("bench: kept %s" % self.root.path)
        else:
            self.root.remove()
        return False


MICRO_LINE = re.compile(r"^(.*?): (\d+) ns per request")


def adapter_costs():
    """The framework adapters' in-process benchmarks (their own main.swift):
    the same hello answered by a plain SwiftGate application and through the
    adapter, without a host. {framework: {"rows": [(name, ns)], "notes":
    [line], "error": why or None}}."""
    requests = {"Hummingbird": 20000 if S.QUICK else 200000, "Vapor": 20000 if S.QUICK else 100000}
    found = {}
    for name, var in (("Hummingbird", "BENCH_HUMMINGBIRD_MICRO"), ("Vapor", "BENCH_VAPOR_MICRO")):
        entry = found[name] = {"rows": [], "notes": [], "error": None}
        program = os.environ.get(var, "")
        if not os.path.isfile(program):
            entry["error"] = "%s names no file (%r)" % (var, program)
            continue
        try:
            done = subprocess.run([program, str(requests[name])], capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            entry["error"] = str(e)
            continue
        with open(os.path.join(LOGS, "adapter-cost-%s.txt" % name.lower()), "w") as f:
            f.write(done.stdout + done.stderr)
        if done.returncode != 0:
            entry["error"] = "exit status %d: %s" % (done.returncode, (done.stderr or done.stdout).strip()[-300:])
            continue
        for line in done.stdout.splitlines():
            m = MICRO_LINE.match(line)
            if m and not m.group(1).startswith("warm-up"):
                entry["rows"].append((m.group(1), int(m.group(2))))
            elif line.strip() and not m:
                entry["notes"].append(line.strip())
        print("  %s: %s" % (name, "; ".join("%s %d ns" % r for r in entry["rows"])), flush=True)
    return found


def run(command):
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    print("== the adapters' own cost per request, in process (no host)", flush=True)
    costs = adapter_costs()
    t0 = time.monotonic()
    busy_before = procs.machine_busy_seconds()
    with Servers() as servers:
        apache, backends = servers.apache, servers.backends
        results = measure_all(apache)
        rss = resident_memory(apache, backends)
        print("\n== memory check: %d MiB up and down through daemon mode" % S.MEMCHECK_MIB, flush=True)
        checked = memcheck.run(apache, servers.root, "/sg-daemon", "(swiftgate:hello)")
        for t in checked:
            worst = max((r["growth_kib"] for r in t["rows"]), default=0) / 1024.0
            print("  %-34s %s in %.1f s, largest RSS growth %.1f MiB" % (
                t["transfer"], "FAILED: " + t["error"] if t["error"] else "ok", t["seconds"], worst), flush=True)
        elapsed = time.monotonic() - t0
        others = other_cpu(busy_before, apache, backends, elapsed)
    print("bench: measured in %.0f s; other processes used %.0f%% of the machine meanwhile"
          % (elapsed, others), flush=True)
    info = report.machine()
    info.append(("CPU used by other processes during the run", "%.0f%% of %d cores" % (others, os.cpu_count())))
    info += report.versions(server.APACHE, server.MOD_WSGI, os.environ.get("BENCH_HUMMINGBIRD_RESOLVED", ""),
                            os.environ.get("BENCH_VAPOR_RESOLVED", ""))
    report.write_results(results, rss, checked, costs, info, command, started)
    why = report.chart(results)
    print("\n" + report.tables(results, rss, checked, costs))
    print("\nWritten: %s%s" % (report.RESULTS, ", " + report.CHART if why is None else " (" + why + ")"))


def main():
    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    # Started in the background by bench/run, we may have inherited an
    # ignored SIGINT: take it back so that Ctrl-C stops us too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.makedirs(LOGS, exist_ok=True)
    if len(sys.argv) > 1 and sys.argv[1] in profiling.TOOLS:
        with Servers() as servers:
            profiling.run(servers.apache, sys.argv[1], sys.argv[2:], LOGS)
    elif len(sys.argv) > 1:
        sys.exit("usage: bench/run [perf|strace PATH [WORKLOAD]]")
    else:
        run(os.environ.get("BENCH_COMMAND", "bench/run"))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("bench: interrupted; everything it started is stopped")
