"""`swiftgate users …`: the command line over the SwiftGateUsers store,
run as a user would, on a database in a temporary folder."""

import base64
import grp
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

from harness.env import SWIFTGATE
from harness.users import DEFAULT_ITERATIONS, FAST, LOWEST_ITERATIONS, TIMEOUT, ok, users



@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "users.sqlite")


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
    assert iterations == str(DEFAULT_ITERATIONS)
    assert len(salt) == 22 and salt.isalnum()
    assert django_check(encoded, "correct horse")


@pytest.mark.parametrize("count", ["1000", str(LOWEST_ITERATIONS - 1), "10000001"])
def test_iterations_below_the_oldest_supported_django_are_refused(db, count):
    rc, _, err = users("add", "ann", "--db", db, "--iterations", count, password="correct horse", fast=False)
    assert rc != 0
    assert "--iterations must be %d to 10000000" % LOWEST_ITERATIONS in err
    assert not os.path.exists(db)


def mode(path):
    return os.lstat(path).st_mode & 0o7777


def test_a_new_database_is_0600_whatever_the_umask(db):
    # umask 0 would give SQLite's own 0644 as it is.
    rc, _, err = users_with_umask(0, "add", "ann", "--db", db, password="password1")
    assert rc == 0, err
    assert mode(db) == 0o600


def users_with_umask(umask, *args, password=None):
    done = subprocess.run([SWIFTGATE, "users", *args, *FAST], input=password + "\n", capture_output=True,
                          text=True, timeout=TIMEOUT, preexec_fn=lambda: os.umask(umask))
    return done.returncode, done.stdout, done.stderr


def test_sqlites_side_files_are_no_more_open_than_the_database(db):
    ok("add", "ann", "--db", db, password="password1")
    old = os.umask(0)
    try:
        # A journal left in place (PERSIST), then a WAL and its shared
        # memory: SQLite makes each with the database's mode.
        conn = sqlite3.connect(db)
        try:
            conn.execute("PRAGMA journal_mode=PERSIST")
            conn.execute("UPDATE users SET last_login = CURRENT_TIMESTAMP")
            conn.commit()
            assert mode(db + "-journal") == 0o600
        finally:
            conn.close()
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
            conn.execute("UPDATE users SET last_login = CURRENT_TIMESTAMP")
            conn.commit()
            assert mode(db + "-wal") == 0o600
            assert mode(db + "-shm") == 0o600
        finally:
            conn.close()
    finally:
        os.umask(old)


def test_group_readable_makes_the_database_0640_with_that_group(db):
    group = grp.getgrgid(os.getegid()).gr_name
    out = ok("add", "ann", "--db", db, "--group-readable", group, password="password1")
    assert "added user 'ann'" in out
    assert mode(db) == 0o640
    assert os.lstat(db).st_gid == os.getegid()
    # Later commands keep it so.
    ok("passwd", "ann", "--db", db, password="password2")
    assert mode(db) == 0o640 and os.lstat(db).st_gid == os.getegid()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another group needs root")
def test_group_readable_as_root_gives_the_file_to_the_daemons_group(db):
    group = "www-data"
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        pytest.skip("no www-data group")
    ok("add", "ann", "--db", db, "--group-readable", group, password="password1")
    assert mode(db) == 0o640 and os.lstat(db).st_gid == gid and os.lstat(db).st_uid == 0


def test_group_readable_with_an_unknown_group_creates_nothing(db):
    fails("add", "ann", "--db", db, "--group-readable", "no-such-group-here",
          message="--group-readable: no such group 'no-such-group-here'", password="password1")
    assert not os.path.exists(db)


def test_group_readable_on_an_existing_database_says_it_does_not_apply(db):
    ok("add", "ann", "--db", db, password="password1")
    group = grp.getgrgid(os.getegid()).gr_name
    rc, out, err = users("add", "bob", "--db", db, "--group-readable", group, password="password2")
    assert rc == 0 and "added user 'bob'" in out
    assert "--group-readable only applies when add creates it" in err
    assert mode(db) == 0o600


@pytest.mark.parametrize("target_exists", [False, True])
def test_add_refuses_a_symbolic_link(tmp_path, target_exists):
    target = tmp_path / "elsewhere.sqlite"
    if target_exists:
        ok("add", "ann", "--db", str(target), password="password1")
    before = target.read_bytes() if target_exists else None
    link = str(tmp_path / "users.sqlite")
    os.symlink(str(target), link)
    fails("add", "bob", "--db", link, message="is a symbolic link", password="password2")
    if target_exists:
        assert target.read_bytes() == before
    else:
        assert not target.exists()


def test_a_database_open_to_other_users_is_warned_about(db):
    ok("add", "ann", "--db", db, password="password1")
    os.chmod(db, 0o644)
    rc, out, err = users("list", "--db", db)
    assert rc == 0 and "ann" in out
    assert "warning: the user database at %s is open to other users (mode 644)" % db in err


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
