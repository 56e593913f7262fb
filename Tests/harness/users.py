"""`swiftgate users ...` run as a user would: the build under test, a
password on standard input when given, every run bounded in time."""

import subprocess

from .env import SWIFTGATE

TIMEOUT = 60
# Django's current default (6.1) for new hashes, and the lowest count the
# hidden --iterations takes: the default of the oldest supported Django
# (5.2 LTS). Tests use the lowest, to be as fast as allowed.
DEFAULT_ITERATIONS = 1_500_000
LOWEST_ITERATIONS = 1_000_000
FAST = ["--iterations", str(LOWEST_ITERATIONS)]


def users(*args, password=None, fast=True):
    """Runs `swiftgate users ARGS`; `password` goes on standard input.
    Returns (exit status, stdout, stderr)."""
    done = subprocess.run([SWIFTGATE, "users", *args, *(FAST if fast else [])],
                          input=None if password is None else password + "\n",
                          stdin=None if password is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)
    return done.returncode, done.stdout, done.stderr


def ok(*args, **kwargs):
    """users(...) that must succeed quietly; returns its stdout."""
    rc, out, err = users(*args, **kwargs)
    assert rc == 0, err
    assert err == ""
    return out
