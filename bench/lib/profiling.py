"""Profiles one path under load, with the same servers as the measurement:

  bench/run perf PATH [WORKLOAD]    perf record (cpu-clock, call graphs) of
                                    the whole machine during a wrk run; the
                                    report, Swift names demangled, goes to
                                    bench/.logs/perf-PATH-WORKLOAD.txt
  bench/run strace PATH [WORKLOAD]  system calls per request (strace -c) of
                                    Apache's children and of the path's
                                    daemon processes, apart
  bench/run cpu PATH [WORKLOAD]     CPU time per request (user and system,
                                    from /proc) of Apache's children and of
                                    the path's backend processes, apart:
                                    steadier than requests/s for comparing
                                    two builds on a busy machine

PATH is a key of settings.PATHS (ceiling, sg-embedded, sg-daemon, ...,
hb-embedded, hb-daemon, vapor-proxy, ...).

perf's options: BENCH_PERF_CALLGRAPH=dwarf for DWARF call graphs;
BENCH_PERF_EVENT=EVENT to record every EVENT instead of sampling the clock
(a tracepoint such as syscalls:sys_enter_futex, or a uprobe made first with
`perf probe -x /lib/x86_64-linux-gnu/libc.so.6 malloc`, then
probe_libc:malloc), and report calls per request; BENCH_KEEP_ROOT=1 keeps
the server root, so that the copied libraries' symbols resolve afterwards."""

import os
import re
import signal
import subprocess
import time

import load
import settings as S

TOOLS = ("perf", "strace", "cpu")


def _path(key):
    for p in S.PATHS:
        if p.key == key:
            return p
    raise SystemExit("unknown path %r; one of: %s" % (key, ", ".join(p.key for p in S.PATHS)))


def backend_pids(apache, key):
    """The processes outside Apache's children that serve the path."""
    groups = {"sg-daemon": "(swiftgate:hello)", "wsgi-daemon": "(wsgi:hello)",
              "hb-daemon": "(swiftgate:%s)" % S.HUMMINGBIRD_GROUP, "vapor-daemon": "(swiftgate:%s)" % S.VAPOR_GROUP}
    if key in groups:
        return apache.named_children(groups[key])
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                line = f.read().replace(b"\0", b" ")
        except OSError:
            continue
        first = line.split(b" ")[0]
        if key in ("hummingbird", "hb-proxy") and b"HelloHummingbird" in line and \
                apache.root.path.encode() in line and b"setpriv" not in first:
            found.append(int(pid))
        if key == "vapor-proxy" and b"VaporHelloServer" in line and apache.root.path.encode() in line and \
                b"setpriv" not in first:
            found.append(int(pid))
        if key == "proxy-fcgi" and b"fcgi-hello.sock" in line and b"setpriv" not in line.split(b" ")[0]:
            found.append(int(pid))
    return found


def _stop(proc):
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _demangle(text):
    try:
        done = subprocess.run(["swift", "demangle", "--simplified"], input=text, capture_output=True,
                              text=True, timeout=120)
        return done.stdout if done.returncode == 0 else text
    except OSError:
        return text


def run(apache, tool, args, logs):
    if not args:
        raise SystemExit("usage: bench/run %s PATH [WORKLOAD]" % tool)
    path = _path(args[0])
    workload = args[1] if len(args) > 1 else "hello"
    url_path = path.url_path(workload)
    why = load.verify(apache.port, url_path, workload, path.hello) if url_path else "not served"
    if why:
        raise SystemExit("%s %s: %s" % (path.key, workload, why))
    print("warming up %s %s" % (path.key, workload), flush=True)
    load.wrk("http://127.0.0.1:%d%s" % (apache.port, url_path), workload, S.WARMUP or 1)
    stem = os.path.join(logs, "%s-%s-%s" % (tool, path.key, workload))
    if tool == "perf":
        _perf(apache, url_path, workload, stem)
    elif tool == "cpu":
        _cpu(apache, path, url_path, workload)
    else:
        _strace(apache, path, url_path, workload, stem)


def _perf(apache, url_path, workload, stem):
    data = stem + ".data"
    # BENCH_PERF_CALLGRAPH=dwarf unwinds through libraries built without
    # frame pointers (libc, Apache) at the price of much larger data.
    mode = os.environ.get("BENCH_PERF_CALLGRAPH", "fp")
    # BENCH_PERF_EVENT=probe_libc:malloc (after `perf probe -x <libc> malloc`)
    # records every call instead of sampling the clock: the report's sample
    # counts divided by the requests are calls per request.
    event = os.environ.get("BENCH_PERF_EVENT", "cpu-clock")
    rate = ["-F", "499" if mode == "dwarf" else "1999"] if event == "cpu-clock" else ["-c", "1"]
    graph = (["--call-graph", "dwarf,16384"] if mode == "dwarf" else ["-g"]) + rate
    recorder = subprocess.Popen(["perf", "record", "-a", "-e", event, "-o", data] + graph,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        result, out = load.wrk("http://127.0.0.1:%d%s" % (apache.port, url_path), workload, S.DURATION)
    finally:
        _stop(recorder)
    # --no-inline: resolving inlined frames runs addr2line over every
    # sampled binary (a compiler running meanwhile takes hours).
    base = ["perf", "report", "--no-inline", "-i", data, "--stdio"]
    requests = max(result.requests, 1)
    sections = [
        ("CPU by process and library (self)", ["--no-children", "-g", "none", "--sort", "comm,dso",
                                                "--percent-limit", "0.3"]),
        ("Apache children: functions, inclusive (children) and self",
         ["--comm", "apache2", "--children", "-g", "none", "--sort", "sym", "--percent-limit", "0.7",
          "--percentage", "relative"]),
    ]
    daemon_comms = sorted({c for c in _comms(base) if c not in ("apache2", "wrk", "perf", "swift-frontend",
                                                                 "swift-driver", "python3")})
    for comm in daemon_comms[:3]:
        sections.append(("%s: functions, inclusive (children) and self" % comm,
                         ["--comm", comm, "--children", "-g", "none", "--sort", "sym", "--percent-limit", "0.7",
                          "--percentage", "relative"]))
    report = ["%d requests measured; perf sampled every core (%s)." % (requests, event)]
    if event != "cpu-clock":
        sections.insert(0, ("%s calls by process (samples column / %d requests = calls per request)"
                            % (event, requests), ["--no-children", "-g", "none", "-n", "--sort", "comm"]))
    for title, args in sections:
        done = subprocess.run(base + args, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
        lines = [l for l in done.stdout.splitlines() if l.strip() and not l.startswith("#")]
        report.append("== %s\n%s" % (title, _demangle("\n".join(lines))))
    with open(stem + ".txt", "w") as f:
        f.write(out + "\n" + "\n\n".join(report) + "\n")
    print(out)
    print("\n\n".join(report)[:8000])
    print("\nperf report: %s.txt (data: %s)" % (stem, data))


def _comms(base):
    done = subprocess.run(base + ["--no-children", "-g", "none", "--sort", "comm", "--percent-limit", "1"],
                          capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    return [l.split()[-1] for l in done.stdout.splitlines() if l.strip() and not l.startswith("#")]


def _strace(apache, path, url_path, workload, stem):
    groups = {"apache-children": apache.workers()}
    daemons = backend_pids(apache, path.key)
    if daemons:
        groups["daemons"] = daemons
    tracers = {}
    for name, pids in groups.items():
        argv = ["strace", "-c", "-f", "-o", "%s-%s.txt" % (stem, name)]
        for pid in pids:
            argv += ["-p", str(pid)]
        tracers[name] = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        result, out = load.wrk("http://127.0.0.1:%d%s" % (apache.port, url_path), workload, S.DURATION)
    finally:
        for proc in tracers.values():
            _stop(proc)
    print(out)
    requests = max(result.requests, 1)
    for name in groups:
        print("\n== %s: system calls per request (%d requests, strace attached)" % (name, requests))
        with open("%s-%s.txt" % (stem, name)) as f:
            for line in f:
                m = re.match(r"\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(\d+)?\s*(\w+)\s*$", line)
                if m and m.group(6) != "total":
                    print("  %-20s %8.2f per request  (%s%% of system time)" % (
                        m.group(6), int(m.group(4)) / requests, m.group(1)))
                elif m:
                    print("  %-20s %8.2f per request" % ("total", int(m.group(4)) / requests))


def _cpu_ticks(pids):
    """(utime, stime, minor faults, context switches) of the processes:
    times in clock ticks, all their threads."""
    user = system = faults = switches = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        switches += int(line.split()[1])
        except OSError:
            continue
        user += int(fields[11])
        system += int(fields[12])
        faults += int(fields[7])
    return user, system, faults, switches


def _machine_ticks():
    """The machine's /proc/stat cpu line: user nice system idle iowait irq
    softirq steal, in clock ticks."""
    with open("/proc/stat") as f:
        return [int(v) for v in f.readline().split()[1:9]]


def _cpu(apache, path, url_path, workload):
    groups = {"apache-children": apache.workers()}
    daemons = backend_pids(apache, path.key)
    if daemons:
        groups["backend"] = daemons
    tick = os.sysconf("SC_CLK_TCK")
    machine_before = _machine_ticks()
    before = {name: _cpu_ticks(pids) for name, pids in groups.items()}
    result, out = load.wrk("http://127.0.0.1:%d%s" % (apache.port, url_path), workload, S.DURATION)
    after = {name: _cpu_ticks(pids) for name, pids in groups.items()}
    machine = [a - b for a, b in zip(_machine_ticks(), machine_before)]
    print(out)
    requests = max(result.requests, 1)
    print("%s %s: %d requests, %.0f requests/s" % (path.key, workload, requests, result.rps))
    for name in groups:
        user, system, faults, switches = ((a - b) / requests for a, b in zip(after[name], before[name]))
        user, system = user * 1e6 / tick, system * 1e6 / tick
        print("  %-16s %7.1f us CPU per request (user %.1f, system %.1f); per request %.2f page faults, "
              "%.2f context switches (main threads)" % (name, user + system, user, system, faults, switches))
    total = max(sum(machine), 1)
    print("  machine: %.0f%% idle, %.0f%% stolen by the hypervisor, %.0f%% in interrupts, during the measurement"
          % (100.0 * (machine[3] + machine[4]) / total, 100.0 * machine[7] / total,
             100.0 * (machine[5] + machine[6]) / total))
