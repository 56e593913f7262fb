"""Processes as /proc (and ss, for the peers of UNIX sockets) shows them:
who is whose child, what a process holds open, how big it is."""

import os
import subprocess


def _stat_fields(pid):
    """The fields of /proc/PID/stat after the command name: state, ppid, ..."""
    with open("/proc/%s/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


# The Apache parent's tick helper (sg_daemon.c): a child that lives half a
# second at a time, not one of the processes a test counts.
TICKER = "swiftgate-tick"


def children(parent):
    """Pids whose parent is `parent`, from /proc, but the parent's tick
    helper."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(entry)[1])
            with open("/proc/%s/comm" % entry) as f:
                helper = f.read().strip() == TICKER
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and not helper:
            found.append(int(entry))
    return sorted(found)


def descendants(pid):
    """Every live (not zombie) descendant of pid, from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _stat_fields(entry)
            if fields[0] != "Z":
                parents.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    """Whether pid is a process that has not ended (a zombie has)."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def socket_inodes(pid):
    """The inodes of the sockets in a process's fd table."""
    found = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[len("socket:["):-1])
    return found


def unix_connections(pid):
    """The connected UNIX stream sockets a process holds, as {inode: peer
    inode}; the peer is "0" once the other end has closed. For a daemon
    process, the FastCGI connections it has accepted."""
    peers = {}
    out = subprocess.run(["ss", "-xaH"], capture_output=True, text=True, timeout=10, check=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[0] == "u_str" and fields[1] == "ESTAB":
            peers[fields[-3]] = fields[-1]
    return {inode: peers[inode] for inode in socket_inodes(pid) if inode in peers}


def rss_kib(pid):
    """Resident set size in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def footprint(pids):
    """{pid: (RSS KiB, open fds other than UNIX connections, UNIX
    connections, UNIX connections whose peer has closed)} for the pids
    still alive. UNIX connections are counted apart: Apache keeps daemon
    connections open between requests, up to one per thread."""
    out = {}
    for pid in pids:
        try:
            connections = unix_connections(pid)
            out[pid] = (rss_kib(pid), fd_count(pid) - len(connections), len(connections),
                        len([p for p in connections.values() if p == "0"]))
        except (OSError, AssertionError):
            continue
    return out
