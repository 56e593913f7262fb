"""`swiftgate users …`: the command line over the SwiftGateUsers store,
run as a user would, on a database in a temporary folder."""

import base64
import hashlib
import os
import pty
import signal
import termios
import select
import sqlite3
import subprocess
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIBS = os.environ.get("SWIFTGATE_LIBS", os.path.join(REPO, ".build/debug"))
SWIFTGATE = os.path.join(LIBS, "swiftgate")
TIMEOUT = 60
# New hashes at a low iteration count keep the tests fast (a hidden option).
FAST = ["--iterations", "1000"]


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "users.sqlite")


def users(*args, password=None, fast=True):
    """Runs `swiftgate users ARGS`; `password` goes on standard input."""
    done = subprocess.run([SWIFTGATE, "users", *args, *(FAST if fast else [])],
                          input=None if password is None else password + "\n",
                          stdin=None if password is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)
    return done.returncode, done.stdout, done.stderr


def ok(*args, **kwargs):
    rc, out, err = users(*args, **kwargs)
    assert rc == 0, err
    assert err == ""
    return out


def fails(*args, message, **kwargs):
    rc, out, err = users(*args, **kwargs)
    assert rc != 0
    assert message in err, err
    return err


def listing(db):
    """{name: (status, [groups])} from `users list`."""
    rows = {}
    for line in ok("list", "--db", db).splitlines():
        name, status, groups = line.split()
        rows[name] = (status, [] if groups == "-" else groups.split(","))
    return rows


def stored_hash(db, name):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT password FROM users WHERE username = ?", (name,)).fetchone()[0]


def django_check(encoded, password):
    """Checks a hash the way Django does, with Python's hashlib."""
    algorithm, iterations, salt, key = encoded.split("$")
    assert algorithm == "pbkdf2_sha256"
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return base64.b64encode(derived).decode() == key


def test_add_reads_the_password_from_stdin_and_creates_the_database(db):
    assert not os.path.exists(db)
    assert "added user 'ann'" in ok("add", "ann", "--db", db, "--group", "staff", "--group", "admins",
                                    password="correct horse")
    assert os.path.exists(db)
    assert listing(db) == {"ann": ("active", ["admins", "staff"])}
    assert django_check(stored_hash(db, "ann"), "correct horse")
    assert not django_check(stored_hash(db, "ann"), "correct horse!")


def test_new_hashes_use_djangos_iteration_count(db):
    ok("add", "ann", "--db", db, password="correct horse", fast=False)
    encoded = stored_hash(db, "ann")
    _, iterations, salt, _ = encoded.split("$")
    assert iterations == "870000"
    assert len(salt) == 22 and salt.isalnum()
    assert django_check(encoded, "correct horse")


def test_add_inactive_and_activate(db):
    ok("add", "bob", "--db", db, "--inactive", password="password1")
    assert listing(db)["bob"][0] == "inactive"
    ok("activate", "bob", "--db", db)
    assert listing(db)["bob"][0] == "active"
    ok("deactivate", "bob", "--db", db)
    assert listing(db)["bob"][0] == "inactive"


def test_passwd_replaces_the_password(db):
    ok("add", "ann", "--db", db, password="first password")
    before = stored_hash(db, "ann")
    ok("passwd", "ann", "--db", db, password="second password")
    after = stored_hash(db, "ann")
    assert after != before
    assert django_check(after, "second password")
    assert not django_check(after, "first password")


def test_groups_are_added_and_removed(db):
    ok("add", "ann", "--db", db, password="password1")
    assert "added 'ann' to group 'staff'" in ok("add-group", "ann", "staff", "--db", db)
    assert "already in group" in ok("add-group", "ann", "staff", "--db", db)
    ok("add-group", "ann", "editors", "--db", db)
    assert listing(db)["ann"][1] == ["editors", "staff"]
    assert "removed 'ann' from group 'staff'" in ok("remove-group", "ann", "staff", "--db", db)
    assert "was not in group" in ok("remove-group", "ann", "staff", "--db", db)
    assert listing(db)["ann"][1] == ["editors"]


def test_delete_removes_the_user(db):
    ok("add", "ann", "--db", db, password="password1")
    ok("add", "bob", "--db", db, password="password2")
    assert "deleted user 'ann'" in ok("delete", "ann", "--db", db)
    assert list(listing(db)) == ["bob"]


def test_list_sorts_and_keeps_case(db):
    for name in ("bob", "Ann", "ann"):
        ok("add", name, "--db", db, password="password1")
    assert list(listing(db)) == ["Ann", "ann", "bob"]


def test_an_existing_user_is_refused(db):
    ok("add", "ann", "--db", db, password="password1")
    fails("add", "ann", "--db", db, message="user 'ann' already exists", password="password2")
    assert django_check(stored_hash(db, "ann"), "password1")


@pytest.mark.parametrize("command", [
    ["passwd", "zed"], ["delete", "zed"], ["add-group", "zed", "staff"], ["remove-group", "zed", "staff"],
    ["activate", "zed"], ["deactivate", "zed"],
])
def test_an_unknown_user_is_refused(db, command):
    ok("add", "ann", "--db", db, password="password1")
    fails(*command, "--db", db, message="no user 'zed'", password="password2")


@pytest.mark.parametrize("command", [
    ["list"], ["passwd", "ann"], ["delete", "ann"], ["add-group", "ann", "staff"],
    ["remove-group", "ann", "staff"], ["activate", "ann"], ["deactivate", "ann"],
])
def test_a_missing_database_is_refused_and_not_created(db, command):
    err = fails(*command, "--db", db, message="no user database at %s" % db, password="password1")
    assert "swiftgate users add" in err
    assert not os.path.exists(db)


def test_an_empty_password_is_refused(db):
    fails("add", "ann", "--db", db, message="passwords must not be empty", password="")
    # No input at all is no password either.
    fails("add", "ann", "--db", db, message="passwords must not be empty")
    assert listing(db) == {}


def test_a_short_password_is_refused(db):
    fails("add", "ann", "--db", db, message="at least 8 characters", password="seven77")
    ok("add", "ann", "--db", db, password="eight888")
    fails("passwd", "ann", "--db", db, message="at least 8 characters", password="short")
    assert django_check(stored_hash(db, "ann"), "eight888")


@pytest.mark.parametrize("name,reason", [("a:b", "':'"), ("a,b", "','"), ("tab\there", "control character")])
def test_a_bad_name_is_refused(db, name, reason):
    err = fails("add", name, "--db", db, message="invalid user name", password="password1")
    assert reason in err
    assert not os.path.exists(db)


def test_a_bad_group_is_refused(db):
    ok("add", "ann", "--db", db, password="password1")
    fails("add-group", "ann", "a,b", "--db", db, message="invalid group name")
    fails("add", "bob", "--db", db, "--group", "x,y", message="invalid group name", password="password1")


def run_on_terminal(args, answers, timeout=TIMEOUT):
    """Runs the command with a pseudo-terminal as stdin, typing each answer
    after a prompt; returns (exit status, what the terminal showed, stderr
    without the terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([SWIFTGATE, "users", *args, *FAST], stdin=slave, stdout=subprocess.PIPE,
                            stderr=slave, close_fds=True)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + timeout
    pending = list(answers)
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                shown += chunk
                # Answer each prompt once, after it has shown.
                prompts = shown.count(b"New password for ") + shown.count(b"Repeat the password: ")
                if pending and prompts > len(answers) - len(pending) and shown.endswith(b": "):
                    os.write(master, pending.pop(0).encode() + b"\n")
            elif proc.poll() is not None:
                break
        proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        os.close(master)
    return proc.returncode, shown.decode("utf-8", "replace"), proc.stdout.read().decode()


def test_terminal_password_is_asked_twice_without_echo(db):
    rc, shown, out = run_on_terminal(["add", "ann", "--db", db], ["typed secret", "typed secret"])
    assert rc == 0, shown
    assert "New password for ann:" in shown
    assert "Repeat the password:" in shown
    assert "typed secret" not in shown
    assert "added user 'ann'" in out
    assert django_check(stored_hash(db, "ann"), "typed secret")


def test_terminal_passwords_that_differ_are_refused(db):
    rc, shown, _ = run_on_terminal(["add", "ann", "--db", db], ["typed secret", "other secret"])
    assert rc != 0
    assert "the two passwords differ" in shown
    assert "secret" not in shown.replace("other secret", "")  # neither entry was echoed
    assert listing(db) == {}


def test_ctrl_c_at_the_prompt_gives_the_terminal_its_echo_back(db):
    master, slave = pty.openpty()
    proc = subprocess.Popen([SWIFTGATE, "users", "add", "ann", "--db", db, *FAST], stdin=slave,
                            stdout=subprocess.DEVNULL, stderr=slave, close_fds=True)
    os.close(slave)
    shown = b""
    try:
        deadline = time.monotonic() + TIMEOUT
        while b"New password for ann: " not in shown and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                shown += os.read(master, 4096)
        assert b"New password for ann: " in shown
        assert not termios.tcgetattr(master)[3] & termios.ECHO  # asking: echo off
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == -signal.SIGINT
        assert termios.tcgetattr(master)[3] & termios.ECHO
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        os.close(master)
    assert listing(db) == {}
