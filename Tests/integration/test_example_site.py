"""The example site as `make run` serves it (scripts/run-example): daemon
mode, the first admin user, /admin behind basic auth for group staff."""

import base64
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from apache import LIBS, MODULE, REPO, free_port


def test_make_run_serves_the_site_and_admin(tmp_path):
    root = tempfile.mkdtemp(prefix="swiftgate-example-test-")
    port = free_port()
    env = dict(os.environ, SERVER_ROOT=root, PORT=str(port), HOST="127.0.0.1", LOG_LEVEL="info")
    proc = subprocess.Popen([os.path.join(REPO, "scripts/run-example"), MODULE, LIBS], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
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
        os.set_blocking(proc.stdout.fileno(), False)
        output = proc.stdout.read() or b""
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
        shutil.rmtree(root, ignore_errors=True)
    leftovers = subprocess.run(["pgrep", "-f", root], capture_output=True, text=True).stdout.split()
    assert leftovers == []
