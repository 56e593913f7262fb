"""The error logs of the servers a test starts, and the check that fails a
test whose logs have an error-level line it did not declare (httpd's own
test/pyhttpd/log.py is the model).

Every server the harness starts watches its log (`watch`) until it stops
(`unwatch`). The root conftest.py reads every watched log after each test
body, from where the last reading stopped: a line at level error or worse
that no declared pattern matches fails the test. After the test's
teardown, where scratch servers stop, the same reading makes a teardown
error. A shared, module-scoped server is read the same way, so each test
answers for the lines written while it ran, its setup included.

A test declares what it provokes with a marker,

    @pytest.mark.expect_log("SG00504", "boom: deliberate failure")

or, for errors only known as it runs, by calling `expect_errors(...)`
inside it. A pattern is a log number (SG00504, AH00561) or any other part
of the line. A server given `expected=` (Apache(..., expected=...)) accepts
those lines in every test: what its configuration makes it log whenever a
process starts, for example."""

import os
import re

# What marks a line at level error or worse, in each format a watched
# log can have.
LEVELS = {
    # Apache's error log: [Tue Dec 02 05:01:02.123456 2025] [swiftgate:error] [pid 1:tid 2] SG00504: ...
    "apache": re.compile(r"^\[[^\]]*\] \[[^:\]\s]*:(?:emerg|alert|crit|error)\] "),
    # StderrLog (Swift), the log of `swiftgate serve`, of the command line
    # and of a daemon without a host: 2025-12-02 05:01:02.123 [error] daemon: ...
    "stderr": re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[(?:emerg|alert|crit|error)\] "),
    # fixtures/daemon_host.c: the SWIFTGATE_LOG_* number (0 emerg ... 3
    # error), a space, the line.
    "host": re.compile(r"^[0-3] "),
    # nginx's error log: 2025/12/02 05:01:02 [error] 123#0: ...
    "nginx": re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(?:emerg|alert|crit|error)\] "),
}


class Log:
    """One watched log: a file, the formats of its lines, and how far it
    has been read."""

    def __init__(self, path, formats, name, expected=()):
        unknown = [f for f in formats if f not in LEVELS]
        assert not unknown, "unknown log formats %s" % unknown
        self.path = path
        self.levels = [LEVELS[f] for f in formats]
        self.name = name
        self.expected = list(expected)
        self.read_to = self._size()

    def _size(self):
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def new_lines(self):
        """The whole lines written since the last call (a line still being
        written waits for the next)."""
        try:
            with open(self.path, "rb") as f:
                f.seek(0, os.SEEK_END)
                if f.tell() < self.read_to:
                    self.read_to = 0  # the file was replaced or truncated
                f.seek(self.read_to)
                data = f.read()
        except OSError:
            return []
        end = data.rfind(b"\n") + 1
        self.read_to += end
        return data[:end].decode("utf-8", "replace").splitlines()

    def errors(self, lines):
        return [line for line in lines if any(level.match(line) for level in self.levels)]


class Check:
    """What the running test declared, the logs being watched, and the
    unexpected lines not reported yet."""

    def __init__(self):
        self.logs = []
        self.patterns = []
        self.found = []

    def begin(self, patterns):
        self.patterns = list(patterns)

    def _judge(self, log, lines):
        for line in log.errors(lines):
            if not any(pattern in line for pattern in self.patterns + log.expected):
                self.found.append((log, line))

    def take(self):
        """Reads every watched log and returns, then forgets, the
        unexpected error lines found since the last call."""
        for log in self.logs:
            self._judge(log, log.new_lines())
        found, self.found = self.found, []
        return found


_check = Check()


def watch(path, formats=("apache",), name=None, expected=()):
    """Watches a log from its present end (a file not made yet counts as
    empty); returns it for `unwatch`. `formats` are keys of LEVELS."""
    log = Log(path, tuple(formats), name or path, expected)
    _check.logs.append(log)
    return log


def unwatch(log):
    """Reads the rest of a log whose server has stopped (call before its
    files are removed) and stops watching it; what it holds is judged with
    the rest at the end of the test, or of its teardown."""
    if log in _check.logs:
        _check._judge(log, log.new_lines())
        _check.logs.remove(log)


def expect_errors(*patterns):
    """Declares, from inside a test, error lines it provokes: log numbers
    (SG00504, AH00561) or parts of the line. They count until the next
    test begins."""
    _check.patterns.extend(patterns)


def begin_test(patterns):
    """A test's setup begins: its declared patterns replace the last test's."""
    _check.begin(patterns)


def unexpected():
    """The unexpected error lines since the last call, as (log name, line)."""
    return [(log.name, line) for log, line in _check.take()]


def describe(found):
    """A report of unexpected lines, grouped by log."""
    out = []
    for name in dict.fromkeys(name for name, _ in found):
        out.append("%s:" % name)
        out.extend("    " + line for n, line in found if n == name)
    return "\n".join(out)
