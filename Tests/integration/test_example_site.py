"""The example site as `make run` serves it (scripts/run-example): daemon
mode, the first admin user, /admin behind basic auth for group staff."""

import base64
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from harness import logs
from harness.env import LIBS, MODULE, REPO, free_port


@pytest.mark.expect_log("AH01617: user admin: authentication failure")
def test_make_run_serves_the_site_and_admin(tmp_path):
    root = tempfile.mkdtemp(prefix="swiftgate-example-test-")
    port = free_port()
    env = dict(os.environ, SERVER_ROOT=root, PORT=str(port), HOST="127.0.0.1", LOG_LEVEL="info")
    # Its output (express's, and Apache's error log: --log-to-terminal)
    # goes to a file the log check reads.
    out = tmp_path / "run-example.out"
    watched = logs.watch(str(out), ("stderr", "apache"), "output of scripts/run-example")
    with open(out, "wb") as sink:
        proc = subprocess.Popen([os.path.join(REPO, "scripts/run-example"), MODULE, LIBS], env=env,
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    output = b""
    try:
        import http.client

        def get(path, headers=None):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path, headers=headers or {})
                response = conn.getresponse()
                return response.status, response.read()
            finally:
                conn.close()

        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            try:
                status, _ = get("/")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200
        output = out.read_bytes()
        match = re.search(rb"as admin with password (\S+)", output)
        assert match, output
        password = match.group(1).decode()
        assert get("/admin")[0] == 401
        good = {"Authorization": "Basic " + base64.b64encode(("admin:" + password).encode()).decode()}
        bad = {"Authorization": "Basic " + base64.b64encode(b"admin:wrong-password").decode()}
        status, body = get("/admin", good)
        assert status == 200
        assert b'<strong id="viewer">admin</strong>' in body
        assert b"<td>admin</td><td>yes</td><td>staff</td>" in body
        assert get("/admin", bad)[0] == 401
        # Nothing private is readable by others: the settings, the users.
        for private in ("example-settings.json", "data", "data/users.sqlite"):
            assert not os.stat(os.path.join(root, private)).st_mode & 0o007, private
        with open(os.path.join(root, "apache", "run", "httpd.pid")) as f:
            parent = f.read().strip()
        children = subprocess.run(["pgrep", "-P", parent, "-f", r"^\(swiftgate:express\)"],
                                  capture_output=True, text=True).stdout.split()
        assert len(children) == 2  # express's default: two daemon processes
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        logs.unwatch(watched)
        shutil.rmtree(root, ignore_errors=True)
    leftovers = subprocess.run(["pgrep", "-f", root], capture_output=True, text=True).stdout.split()
    assert leftovers == []


def run_example_in(root):
    """run-example on a root it must refuse: its exit status and output."""
    env = dict(os.environ, SERVER_ROOT=root, PORT=str(free_port()), HOST="127.0.0.1")
    proc = subprocess.Popen([os.path.join(REPO, "scripts/run-example"), MODULE, LIBS], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        raise AssertionError("run-example served from a root it should refuse:\n%s" % output.decode())
    return proc.returncode, output.decode()


def test_make_run_refuses_a_root_others_can_write():
    parent = tempfile.mkdtemp(prefix="swiftgate-example-test-")
    try:
        root = os.path.join(parent, "open")
        os.mkdir(root)
        os.chmod(root, 0o777)
        status, output = run_example_in(root)
        assert status != 0
        assert "refusing %s: others can write it (mode 777)" % root in output, output
        assert os.listdir(root) == []
    finally:
        shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to another user")
def test_make_run_refuses_a_root_of_another_user():
    parent = tempfile.mkdtemp(prefix="swiftgate-example-test-")
    try:
        root = os.path.join(parent, "theirs")
        os.mkdir(root)
        os.chmod(root, 0o755)
        os.chown(root, pwd.getpwnam("nobody").pw_uid, -1)
        status, output = run_example_in(root)
        assert status != 0
        assert "refusing %s: it belongs to uid %d" % (root, pwd.getpwnam("nobody").pw_uid) in output, output
        assert os.listdir(root) == []
    finally:
        shutil.rmtree(parent, ignore_errors=True)
