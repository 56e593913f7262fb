"""The report: the machine and versions, the tables (printed and written to
bench/RESULTS.md), the verdict on each target of issues 6 and 14 (the
framework adapters), the adapters' own cost per request, and the chart
(bench/results.png)."""

import json
import os
import platform
import re
import subprocess

import settings as S

RESULTS = os.path.join(S.BENCH, "RESULTS.md")
CHART = os.path.join(S.BENCH, "results.png")
# RESULTS.md keeps what is written below this line from one run to the next.
KEEP_MARKER = "<!-- Written by hand below this line; bench/run keeps it. -->"


def _out(argv):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (done.stdout + done.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine():
    mem = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1048576.0)
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    debian = ""
    if os.path.exists("/etc/debian_version"):
        with open("/etc/debian_version") as f:
            debian = "Debian " + f.read().strip()
    return [("nproc", _out(["nproc"])), ("memory", mem), ("CPU", cpu),
            ("system", "%s, Linux %s" % (debian, platform.release()))]


def _pinned(resolved, identity):
    """The version Package.resolved pins a package at, or "?"."""
    try:
        with open(resolved) as f:
            for pin in json.load(f).get("pins", []):
                if pin.get("identity") == identity:
                    return pin["state"].get("version", "?")
    except (OSError, ValueError):
        pass
    return "?"


def versions(apache, mod_wsgi, hummingbird_resolved, vapor_resolved=""):
    apache_v = re.search(r"Server version: (.*)", _out([apache, "-v"]))
    swift_v = _out(["swift", "--version"]).splitlines()
    wsgi_v = _out(["dpkg-query", "-W", "-f", "${Version}", "libapache2-mod-wsgi-py3"])
    py = re.search(r"libpython(\d+\.\d+)", _out(["ldd", mod_wsgi]))
    wrk_v = re.search(r"wrk (\S+)", _out(["wrk", "-v"]))
    hb = _pinned(hummingbird_resolved, "hummingbird")
    swift_line = next((l for l in swift_v if "Swift version" in l), swift_v[0] if swift_v else "?")
    return [
        ("Apache", (apache_v.group(1) if apache_v else "?") + ", event MPM"),
        ("Swift", swift_line),
        ("mod_wsgi", "libapache2-mod-wsgi-py3 %s (Python %s)" % (wsgi_v or "?", py.group(1) if py else "?")),
        ("Hummingbird", hb),
        ("Vapor", _pinned(vapor_resolved, "vapor")),
        ("wrk", wrk_v.group(1) if wrk_v else "?"),
    ]


def _num(x, fmt):
    return fmt % x if x is not None else "n/a"


def ratio(results, path, workload, reference):
    a = results.get(path, {}).get(workload) or {}
    b = results.get(reference, {}).get(workload) or {}
    if a.get("rps") and b.get("rps"):
        return a["rps"] / b["rps"]
    return None


def workload_table(results, workload):
    lines = ["| path | requests/s | p50 ms | p99 ms | × ceiling | × mod_wsgi daemon | notes |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for p in S.PATHS:
        if not p.serves(workload):
            continue
        r = results.get(p.key, {}).get(workload)
        if r is None:
            lines.append("| %s | n/a | | | | | not served by this path |" % p.label)
            continue
        note = r.get("error") or r.get("errors") or ""
        if len(r.get("rounds") or []) > 1:
            each = " / ".join("failed" if x is None else "%.0f" % x for x in r["rounds"])
            note = ("rounds: %s" % each) + ("; " + note if note else "")
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            p.label, _num(r.get("rps"), "%.0f"), _num(r.get("p50"), "%.2f"), _num(r.get("p99"), "%.2f"),
            _num(ratio(results, p.key, workload, S.CEILING), "%.2f"),
            _num(ratio(results, p.key, workload, S.WSGI_DAEMON), "%.2f"), note.replace("|", "/")))
    return "\n".join(lines)


def rss_table(rss):
    def mib(x):
        return "%.1f" % (x / 1024.0) if x is not None else "?"

    lines = ["VmRSS is what the targets compare; RssAnon is the process's own memory, RssFile the mapped "
             "files (shared libraries, shared between processes), Pss its proportional share of everything.",
             "",
             "| process | pid | VmRSS MiB | RssAnon MiB | RssFile MiB | Pss MiB |", "|---|---:|---:|---:|---:|---:|"]
    for row in rss:
        lines.append("| %s | %d | %s | %s | %s | %s |" % (row["label"], row["pid"], mib(row["kib"]),
                                                        mib(row.get("anon")), mib(row.get("file")),
                                                        mib(row.get("pss"))))
    return "\n".join(lines)


def memcheck_table(memcheck):
    lines = ["| transfer | time s | MiB/s | process | pid | RSS before MiB | peak MiB | growth MiB |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    for t in memcheck:
        label = t["transfer"] + (" — FAILED: " + t["error"] if t["error"] else "")
        for row in t["rows"]:
            lines.append("| %s | %.1f | %s | %s | %d | %.1f | %.1f | %.1f |" % (
                label, t["seconds"], _num(t["mib_per_s"], "%.0f"), row["group"], row["pid"],
                row["baseline_kib"] / 1024.0, row["peak_kib"] / 1024.0, row["growth_kib"] / 1024.0))
    return "\n".join(lines)


def framework_table(results):
    """The framework adapters' hello rows: each path over the same
    application on the framework's own server behind mod_proxy_http."""
    lines = ["| framework | path | requests/s | p50 ms | p99 ms | × own server behind mod_proxy_http | × ceiling |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for p in S.PATHS:
        if not p.framework:
            continue
        r = results.get(p.key, {}).get("hello") or {}
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            p.framework, p.label, _num(r.get("rps"), "%.0f"), _num(r.get("p50"), "%.2f"),
            _num(r.get("p99"), "%.2f"), _num(ratio(results, p.key, "hello", p.reference), "%.2f"),
            _num(ratio(results, p.key, "hello", S.CEILING), "%.2f")))
    return "\n".join(lines)


def framework_targets(results):
    """(target, value, met) for the framework rows (issue 14)."""
    out = []
    for p in S.PATHS:
        mode = p.key.rsplit("-", 1)[-1]
        if not p.framework or mode not in S.FRAMEWORK_TARGETS:
            continue
        goal = S.FRAMEWORK_TARGETS[mode]
        x = ratio(results, p.key, "hello", p.reference)
        out.append(("%s hello app through swiftgate %s ≥ %.1f× the same app behind mod_proxy_http"
                    % (p.framework, mode, goal), "%.2f×" % x if x is not None else "n/a",
                    x is not None and x >= goal))
    return out


def costs_table(costs):
    """The adapters' in-process benchmarks: ns per request of each variant,
    and what it adds over the plain SwiftGate application."""
    lines = ["| framework | application | ns per request | over plain SwiftGate |", "|---|---|---:|---:|"]
    notes = []
    for framework, entry in costs.items():
        if entry["error"]:
            lines.append("| %s | not measured: %s | | |" % (framework, entry["error"].replace("|", "/")))
            continue
        base = next((ns for name, ns in entry["rows"] if name.startswith("plain")), None)
        for name, ns in entry["rows"]:
            if "alone" in name:
                extra = "(a part of the row above)"
            else:
                extra = "" if base is None or name.startswith("plain") else "+%d ns" % (ns - base)
            lines.append("| %s | %s | %d | %s |" % (framework, name, ns, extra))
        notes += ["%s: %s" % (framework, n) for n in entry["notes"]]
    text = "\n".join(lines)
    if notes:
        text += "\n\n" + "\n".join("- " + n for n in notes)
    return text


def targets(results, rss, memcheck):
    """(target, value, met) for each target of issue 6, then of issue 14."""
    def fmt_ratio(x):
        return "%.2f×" % x if x is not None else "n/a"

    out = []
    x = ratio(results, "sg-embedded", "hello", S.CEILING)
    out.append(("swiftgate embedded hello ≥ 0.95× ceiling", fmt_ratio(x), x is not None and x >= 0.95))
    x = ratio(results, "sg-daemon", "hello", S.WSGI_DAEMON)
    out.append(("swiftgate daemon hello ≥ 2× mod_wsgi daemon", fmt_ratio(x), x is not None and x >= 2.0))
    x = ratio(results, "sg-daemon", "hello", "hummingbird")
    out.append(("swiftgate daemon hello ≥ 1.3× mod_proxy_http → Hummingbird", fmt_ratio(x),
                x is not None and x >= 1.3))
    daemon_growth = [row["growth_kib"] for t in memcheck for row in t["rows"] if row["group"].startswith("(swiftgate:")]
    apache_growth = [row["growth_kib"] for t in memcheck for row in t["rows"] if not row["group"].startswith("(swiftgate:")]
    failed = [t for t in memcheck if t["error"]]
    if daemon_growth and not failed:
        worst = max(daemon_growth) / 1024.0
        apache_worst = max(apache_growth) / 1024.0 if apache_growth else 0.0
        out.append(("%d MiB up and down through daemon mode: < %d MiB RSS growth"
                    % (S.MEMCHECK_MIB, S.MEMCHECK_LIMIT_MIB),
                    "daemon %.1f MiB, Apache child %.1f MiB" % (worst, apache_worst),
                    max(worst, apache_worst) < S.MEMCHECK_LIMIT_MIB))
    else:
        out.append(("%d MiB up and down through daemon mode: < %d MiB RSS growth"
                    % (S.MEMCHECK_MIB, S.MEMCHECK_LIMIT_MIB), "transfer failed", False))
    sg = [r for r in rss if r["path"] == "sg-daemon"]
    wsgi = [r for r in rss if r["path"] == "wsgi-daemon"]
    if sg and wsgi:
        def largest(rows, key):
            values = [r.get(key) for r in rows if r.get(key) is not None]
            return max(values) / 1024.0 if values else float("nan")

        a, b = largest(sg, "kib"), largest(wsgi, "kib")
        out.append(("swiftgate daemon process RSS ≤ mod_wsgi daemon process RSS (largest of each)",
                    "VmRSS %.1f MiB vs %.1f MiB (RssAnon %.1f vs %.1f MiB)"
                    % (a, b, largest(sg, "anon"), largest(wsgi, "anon")), a <= b))
    else:
        out.append(("swiftgate daemon process RSS ≤ mod_wsgi daemon process RSS", "not measured", False))
    return out + framework_targets(results)


def targets_table(rows):
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    for name, value, met in rows:
        lines.append("| %s | %s | %s |" % (name, value, "met" if met else "**missed**"))
    return "\n".join(lines)


def tables(results, rss, memcheck, costs):
    parts = []
    for key, label, _, _ in S.WORKLOADS:
        parts.append("### %s\n\n%s" % (label, workload_table(results, key)))
    parts.append("### Framework applications (issue 14): hello through swiftgate and on their own servers\n\n"
                 "Each framework's hello (GET /hello, \"Hello, world!\\n\") is one route of the adapter's test "
                 "application (SwiftGateHummingbirdTestApp, SwiftGateVaporTestApp): served by swiftgate "
                 "embedded and in a daemon group sized like the hello group, and on the framework's own "
                 "server behind mod_proxy_http (HelloHummingbird's /hello, the same handler and router "
                 "options; VaporHelloServer, the same configure(app)). Measured in the same rounds as the "
                 "hello rows above.\n\n" + framework_table(results))
    parts.append("### The adapters' own cost per request, next to the native SwiftGate app's\n\n"
                 "In process, without a host (Adapters/*/Sources/*Bench/main.swift, release build): the same "
                 "hello request answered by a plain SwiftGate application and through the adapter, in a "
                 "loop on one task.\n\n" + costs_table(costs))
    parts.append("### Resident memory after the run\n\n" + rss_table(rss))
    parts.append("### Memory check: %d MiB through daemon mode\n\n%s" % (S.MEMCHECK_MIB, memcheck_table(memcheck)))
    parts.append("### Targets (issues 6 and 14)\n\n" + targets_table(targets(results, rss, memcheck)))
    return "\n\n".join(parts)


def write_results(results, rss, memcheck, costs, info, command, started):
    kept = ""
    if os.path.exists(RESULTS):
        with open(RESULTS) as f:
            text = f.read()
        if KEEP_MARKER in text:
            kept = text.split(KEEP_MARKER, 1)[1]
    setup = ("wrk -t%d -c%d -d%ds --latency after a %ds warm-up, in %d round%s: each round measures every path "
             "in turn, and a path's row is its median round (every round's requests/s in the notes); "
             "the upload workload: wrk -c%d POSTing "
             "%d MiB (bench/lib/upload.lua). Apache: event MPM, 2 children × 64 threads, keep-alive "
             "without a request limit, no access log. Daemons: processes=%d threads=%d for both gateways; "
             "`swiftgate serve --threads %d` behind mod_proxy_fcgi (no connection reuse, as the README "
             "configures it); Hummingbird on 127.0.0.1 behind mod_proxy_http (pooled keep-alive "
             "connections, mod_proxy's default), Vapor's own server (VaporHelloServer) likewise. The "
             "framework adapters' daemon groups are sized like the hello group."
             % (S.WRK_THREADS, S.CONNECTIONS, S.DURATION, S.WARMUP, S.ROUNDS, "" if S.ROUNDS == 1 else "s",
                S.UPLOAD_CONNECTIONS,
                S.UPLOAD_BYTES // 1048576, S.DAEMON_PROCESSES, S.DAEMON_THREADS, S.DAEMON_THREADS))
    head = ["# make bench: mod_swiftgate against its peers", "",
            "Generated by `bench/run` on %s%s. Command: `%s`." % (
                started, " (BENCH_QUICK=1: short measurements)" if S.QUICK else "", command), "",
            "| machine | |", "|---|---|"]
    head += ["| %s | %s |" % kv for kv in info]
    head += ["", setup, "", "![requests per second by path](results.png)", "",
             "Ratios are requests/s of the path over requests/s of the ceiling, or of mod_wsgi daemon mode, "
             "for the same workload. Latencies are wrk's percentiles over the measurement.", ""]
    with open(RESULTS, "w") as f:
        f.write("\n".join(head) + "\n" + tables(results, rss, memcheck, costs) + "\n\n" + KEEP_MARKER
                + (kept if kept else "\n"))


def chart(results):
    """Requests/s by path, one panel per workload; None, or why not."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        return "no chart: %s" % e
    fig, axes = plt.subplots(2, 2, figsize=(14, 10), gridspec_kw={"height_ratios": [2, 1]})
    colors = {"ceiling": "#555555", "sg-embedded": "#e8590c", "sg-daemon": "#f08c00",
              "proxy-fcgi": "#fcc419", "wsgi-embedded": "#1c7ed6", "wsgi-daemon": "#74c0fc",
              "hummingbird": "#2f9e44", "hb-proxy": "#2f9e44", "hb-embedded": "#8ce99a", "hb-daemon": "#b2f2bb",
              "vapor-proxy": "#6741d9", "vapor-embedded": "#b197fc", "vapor-daemon": "#d0bfff"}
    for ax, (key, label, _, _) in zip(axes.flat, S.WORKLOADS):
        names, values, cols = [], [], []
        for p in S.PATHS:
            if not p.serves(key):
                continue
            r = results.get(p.key, {}).get(key)
            names.append(p.label)
            values.append((r or {}).get("rps") or 0)
            cols.append(colors.get(p.key, "#888888"))
        y = range(len(names))
        ax.barh(list(y), values, color=cols)
        ax.set_yticks(list(y))
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("requests/s")
        top = max(values) if any(values) else 1
        for i, v in enumerate(values):
            ax.text(v + top * 0.01, i, ("%.0f" % v) if v else "n/a", va="center", fontsize=8)
        ax.set_xlim(0, top * 1.18)
    fig.suptitle("mod_swiftgate and its peers behind one Apache (event MPM), wrk on loopback%s"
                 % (" — BENCH_QUICK" if S.QUICK else ""), fontsize=11)
    fig.tight_layout()
    fig.savefig(CHART, dpi=100)
    plt.close(fig)
    return None
