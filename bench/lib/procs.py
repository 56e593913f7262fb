"""Processes: what they are called, how much memory they hold, and a record
of everything the benchmark started, so that all of it is stopped again —
by bench.py on the way out, or by `python3 procs.py ROOT` from bench/run's
trap when bench.py itself was killed."""

import json
import os
import signal
import sys
import time


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return None


def parent_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def children_of(parent):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and parent_of(int(entry)) == parent:
            found.append(int(entry))
    return sorted(found)


def rss_kib(pid):
    """VmRSS in KiB, or None when the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def memory_kib(pid):
    """VmRSS, RssAnon, RssFile (status) and Pss (smaps_rollup) in KiB: what
    a process holds, what of it is its own, what is mapped files (shared
    libraries, shared with every process that maps them), and its
    proportional share. None when the process is gone."""
    found = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in ("VmRSS", "RssAnon", "RssFile"):
                    found[key] = int(line.split()[1])
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    found["Pss"] = int(line.split()[1])
    except (OSError, ValueError):
        return None
    return found if "VmRSS" in found else None


def alive(pid):
    return os.path.exists("/proc/%d" % pid)


def wait_gone(pids, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return not any(alive(p) for p in pids)


def signal_if_same(pid, expected_cmdline, sig):
    """Signals pid only while it still runs the command it was recorded
    with: a pid the system has given to another process is left alone."""
    if expected_cmdline is not None and cmdline(pid) != expected_cmdline:
        return False
    try:
        os.kill(pid, sig)
        return True
    except OSError:
        return False


class Registry:
    """Processes the benchmark started, written to ROOT/started.json as they
    start, each with its command line."""

    def __init__(self, root):
        self.path = os.path.join(root, "started.json")
        self.entries = []

    def add(self, pid, role):
        self.entries.append({"pid": pid, "role": role, "cmdline": cmdline(pid)})
        self._save()

    def remove(self, pid):
        self.entries = [e for e in self.entries if e["pid"] != pid]
        self._save()

    def _save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.entries, f)
        os.replace(tmp, self.path)


def stop_recorded(root, timeout=10.0):
    """Stops every recorded process still running: SIGTERM, then SIGKILL.
    An Apache parent's children (its workers and daemons) are included."""
    try:
        with open(os.path.join(root, "started.json")) as f:
            entries = json.load(f)
    except (OSError, ValueError):
        return
    targets = []
    for e in entries:
        pid, line = e["pid"], e["cmdline"]
        if not alive(pid) or cmdline(pid) != line:
            continue
        targets.append((pid, line))
        for child in children_of(pid):
            targets.append((child, cmdline(child)))
    for pid, line in targets:
        signal_if_same(pid, line, signal.SIGTERM)
    if not wait_gone([p for p, _ in targets], timeout):
        for pid, line in targets:
            signal_if_same(pid, line, signal.SIGKILL)


if __name__ == "__main__":
    stop_recorded(sys.argv[1])


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User plus system CPU time of a process so far, or 0 when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


def machine_busy_seconds():
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        parts = f.readline().split()
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in parts[1:9])
    return (user + nice + system + irq + softirq + steal) / TICKS
