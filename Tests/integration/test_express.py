"""`swiftgate express`: a private, tuned Apache in one command."""

import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from apache import MODULE, free_port  # noqa: E402
from express_server import CLI, DAEMON_LIBRARY, Scratch, as_root_options, start_express  # noqa: E402


@pytest.fixture
def scratch():
    made = Scratch()
    yield made
    made.cleanup()


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.cleanup()
        shutil.rmtree(getattr(server, "server_root", ""), ignore_errors=True)


def run_cli(*args, timeout=60):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)


def test_start_server_serves_the_example_site_and_stops_cleanly(scratch, servers):
    server = start_express(scratch.path("libExampleSite.so"), "--settings", scratch.settings)
    servers.append(server)
    status, _, body = server.request("GET", "/")
    assert status == 200 and b"Express Site" in body
    status, _, body = server.request("GET", "/env?x=1")
    environ = json.loads(body)
    assert environ["swiftgate.process_group"] == "express"
    assert environ["QUERY_STRING"] == "x=1"
    assert "http://127.0.0.1:%d/" % server.port in server.output()
    assert server.seen_children, "Apache should run as a child of the command"
    assert server.stop() == 0, server.output()
    assert server.leftovers() == []
    # The port is free again.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", server.port))


def test_setup_server_writes_a_root_that_passes_configtest(scratch):
    root = os.path.join(scratch.root, "server")
    done = run_cli("express", "setup-server", scratch.path("libExampleSite.so"), "--server-root", root,
                   "--port", str(free_port()), "--module-path", MODULE, "--daemon-library-path", DAEMON_LIBRARY,
                   "--setenv", "GREETING", "hello world", "--url-alias", "/static", scratch.root,
                   *as_root_options())
    assert done.returncode == 0, done.stdout + done.stderr
    apachectl = os.path.join(root, "apachectl")
    assert os.stat(apachectl).st_mode & stat.S_IXUSR
    check = subprocess.run([apachectl, "configtest"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Syntax OK" in check.stdout + check.stderr
    with open(os.path.join(root, "httpd.conf")) as f:
        conf = f.read()
    for expected in ("processes=2", "threads=15", "request-timeout=60", "queue-timeout=45",
                     "reload-on-change=Off", 'SetEnv GREETING "hello world"', 'Alias "/static"'):
        assert expected in conf


def test_reload_on_changes_picks_up_a_rebuilt_library(scratch, servers):
    app = scratch.path("app.so")
    shutil.copy(scratch.path("libExampleSite.so"), app)
    os.chmod(app, 0o755)
    server = start_express(app, "--settings", scratch.settings, "--reload-on-changes")
    servers.append(server)
    status, _, before = server.request("GET", "/")
    assert status == 200 and b"Express Site" in before
    # "Rebuild": another library takes the file's place, as a linker's
    # rename would put it there.
    replacement = scratch.path("app.so.new")
    shutil.copy(scratch.path("libSwiftGateTestApp.so"), replacement)
    os.chmod(replacement, 0o755)
    os.rename(replacement, app)
    deadline = time.monotonic() + 30
    status, body = None, before
    while time.monotonic() < deadline:
        try:
            status, _, body = server.request("GET", "/info", timeout=5)
        except OSError:
            pass
        if status == 200 and b"routePath" in body:
            break
        time.sleep(0.3)
    assert status == 200 and b"routePath" in body, server.output()
    assert server.stop() == 0


def test_url_alias_serves_static_files(scratch, servers):
    scratch.write("static/hello.txt", "static hello\n")
    os.chmod(scratch.path("static"), 0o755)
    server = start_express(scratch.path("libExampleSite.so"), "--settings", scratch.settings,
                           "--url-alias", "/assets", scratch.path("static"))
    servers.append(server)
    status, _, body = server.request("GET", "/assets/hello.txt")
    assert (status, body) == (200, b"static hello\n")
    status, _, body = server.request("GET", "/")
    assert status == 200 and b"Express Site" in body


def test_log_to_terminal_shows_application_log_lines(scratch, servers):
    server = start_express(scratch.path("libSwiftGateTestApp.so"), "--log-to-terminal", "--embedded-mode",
                           path="/info")
    servers.append(server)
    status, _, _ = server.request("GET", "/fail")
    assert status == 500
    assert server.wait_for_output("boom: deliberate failure"), server.output()
    # The access log goes to the terminal too.
    assert server.wait_for_output('"GET /fail HTTP/1.1" 500'), server.output()


def test_missing_library_is_named(scratch):
    missing = scratch.path("libNothing.so")
    done = run_cli("express", "start-server", missing, "--port", str(free_port()), "--module-path", MODULE,
                   *as_root_options())
    assert done.returncode != 0
    assert missing in done.stderr and "not found" in done.stderr


def test_port_in_use_is_reported(scratch):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        done = run_cli("express", "start-server", scratch.path("libExampleSite.so"), "--port", str(port),
                       "--module-path", MODULE, "--server-root", os.path.join(scratch.root, "r"),
                       *as_root_options())
    assert done.returncode != 0
    assert "port %d" % port in done.stderr and "in use" in done.stderr


def test_missing_module_says_what_to_do(scratch):
    done = run_cli("express", "start-server", scratch.path("libExampleSite.so"), "--port", str(free_port()),
                   "--module-path", scratch.path("mod_none.so"), *as_root_options())
    assert done.returncode != 0 and "mod_swiftgate.so" in done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_root_without_user_is_refused(scratch):
    done = run_cli("express", "start-server", scratch.path("libExampleSite.so"), "--port", str(free_port()),
                   "--module-path", MODULE)
    assert done.returncode != 0 and "--user" in done.stderr and "--group" in done.stderr


def test_module_config_prints_load_module():
    done = run_cli("express", "module-config", "--module-path", MODULE, "--daemon-library-path", DAEMON_LIBRARY)
    assert done.returncode == 0, done.stderr
    assert 'LoadModule swiftgate_module "%s"' % os.path.realpath(MODULE) in done.stdout
    assert "SwiftGateDaemonLibrary" in done.stdout


def add_user(db, name, password, *options):
    done = subprocess.run([CLI, "users", "add", name, "--db", db, "--iterations", "1000000", *options],
                          input=password + "\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def basic(name, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (name, password)).encode()).decode()}


def test_auth_group_lets_in_only_that_groups_users(scratch, servers):
    db = os.path.join(scratch.data, "users.sqlite")
    add_user(db, "ann", "ann-password", "--group", "editors")
    add_user(db, "bob", "bob-password")
    os.chmod(db, 0o666)
    settings = scratch.write("auth.json", json.dumps({
        "site": {"title": "Express Site"},
        "database": {"path": os.path.join(scratch.data, "notes.sqlite")},
        "users": {"path": db}}))
    server = start_express(scratch.path("libExampleSite.so"), "--settings", settings, "--auth-group", "editors")
    servers.append(server)
    assert server.request("GET", "/")[0] == 401
    assert server.request("GET", "/", headers=basic("ann", "wrong-password"))[0] == 401
    assert server.request("GET", "/", headers=basic("bob", "bob-password"))[0] == 401
    status, _, body = server.request("GET", "/env", headers=basic("ann", "ann-password"))
    assert status == 200
    assert json.loads(body)["REMOTE_USER"] == "ann"


def test_https_port_serves_the_site_over_tls(scratch, servers):
    # openssl (make test installs it) makes a certificate for 127.0.0.1.
    cert, key = scratch.path("cert.pem"), scratch.path("key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o644)
    https_port = free_port()
    server = start_express(scratch.path("libExampleSite.so"), "--settings", scratch.settings,
                           "--https-port", str(https_port), "--ssl-certificate-file", cert,
                           "--ssl-certificate-key-file", key)
    servers.append(server)
    context = ssl.create_default_context(cafile=cert)
    conn = http.client.HTTPSConnection("127.0.0.1", https_port, timeout=30, context=context)
    try:
        conn.request("GET", "/env")
        response = conn.getresponse()
        environ = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 200
    assert environ["HTTPS"] == "on"
    assert environ["swiftgate.url_scheme"] == "https"
    assert "https://127.0.0.1:%d/" % https_port in server.output()
