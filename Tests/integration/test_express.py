"""`swiftgate express`: a private, tuned Apache in one command."""

import base64
import http.client
import json
import os
import pwd
import shutil
import socket
import ssl
import stat
import subprocess
import time

import pytest

from harness.cli import CLI, Scratch, as_root_options, start_express
from harness.env import DAEMON_LIBRARY, MODULE, free_port


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
                     "reload-on-change=Off", 'SetEnv "GREETING" "hello world"', 'Alias "/static"'):
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


@pytest.mark.expect_log("application error in GET /fail: boom")
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


@pytest.mark.expect_log("AH01617: user ann: authentication failure", "AH01631: user bob: authorization failure")
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


# The server root and what goes into it (hardening, issue #13): other local
# users can make directories and plant links wherever they can write.

def setup_server(scratch, root, *options):
    """`express setup-server` of the example site into root."""
    return run_cli("express", "setup-server", scratch.path("libExampleSite.so"), "--server-root", root,
                   "--port", str(free_port()), "--module-path", MODULE, "--daemon-library-path", DAEMON_LIBRARY,
                   *as_root_options(), *options)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to another user")
def test_a_server_root_of_another_user_is_refused(scratch):
    root = scratch.path("theirs")
    os.mkdir(root)
    os.chmod(root, 0o755)
    nobody = pwd.getpwnam("nobody")
    os.chown(root, nobody.pw_uid, nobody.pw_gid)
    done = setup_server(scratch, root)
    assert done.returncode != 0
    assert "refusing --server-root %s: it belongs to nobody" % root in done.stderr, done.stderr
    assert os.listdir(root) == []


def test_a_server_root_others_can_write_is_refused(scratch):
    root = scratch.path("open")
    os.mkdir(root)
    os.chmod(root, 0o777)
    done = setup_server(scratch, root)
    assert done.returncode != 0
    assert "refusing --server-root %s: others can write it (mode 0777)" % root in done.stderr, done.stderr
    assert os.listdir(root) == []
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o777


def test_a_server_root_below_a_directory_others_can_write_is_refused(scratch):
    shared = scratch.path("shared")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    done = setup_server(scratch, os.path.join(shared, "root"))
    assert done.returncode != 0
    assert "others can write the directory %s above it" % shared in done.stderr, done.stderr
    assert os.listdir(shared) == []


def test_the_default_server_root_is_not_one_others_can_make_first(scratch):
    port = free_port()
    done = run_cli("express", "setup-server", scratch.path("libExampleSite.so"), "--port", str(port),
                   "--module-path", MODULE, "--daemon-library-path", DAEMON_LIBRARY, *as_root_options())
    assert done.returncode == 0, done.stdout + done.stderr
    root = done.stdout.split("server root: ", 1)[1].split("\n", 1)[0]
    try:
        assert not root.startswith("/tmp/swiftgate-express-%d-" % os.geteuid())
        if os.geteuid() == 0:
            assert root == "/run/swiftgate/express-%d" % port
        info = os.lstat(root)
        assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022
    finally:
        shutil.rmtree(root, ignore_errors=True)
        try:
            os.rmdir(os.path.dirname(root))  # swiftgate/, unless another server root is in it
        except OSError:
            pass


def test_a_link_planted_where_a_subdirectory_goes_is_refused(scratch):
    root = scratch.path("server")
    os.mkdir(root)
    os.chmod(root, 0o755)
    elsewhere = scratch.path("elsewhere")
    os.mkdir(elsewhere)
    os.symlink(elsewhere, os.path.join(root, "run"))
    done = setup_server(scratch, root)
    assert done.returncode != 0
    assert "refusing --server-root subdirectory %s/run: it is a symbolic link" % root in done.stderr, done.stderr
    assert os.listdir(elsewhere) == []


def test_links_planted_at_file_names_are_never_followed(scratch):
    root = scratch.path("server")
    os.mkdir(root)
    os.chmod(root, 0o755)
    victim = scratch.write("victim.conf", "precious\n", mode=0o600)
    # Links at the files' names and at their temporary names (NAME.tmpPID:
    # the shell plants them for the pid it then becomes the command in):
    # replaced or left alone, never written through.
    for name in ("httpd.conf", "apachectl"):
        os.symlink(victim, os.path.join(root, name))
    plant = 'ln -s "$1" "$2/httpd.conf.tmp$$" && ln -s "$1" "$2/apachectl.tmp$$" && shift 2 && exec "$@"'
    done = subprocess.run(
        ["sh", "-c", plant, "sh", victim, root, CLI, "express", "setup-server", scratch.path("libExampleSite.so"),
         "--server-root", root, "--port", str(free_port()), "--module-path", MODULE,
         "--daemon-library-path", DAEMON_LIBRARY, *as_root_options()],
        capture_output=True, text=True, timeout=60)
    with open(victim) as f:
        assert f.read() == "precious\n"
    assert stat.S_IMODE(os.stat(victim).st_mode) == 0o600
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("httpd.conf", "apachectl"):
        assert stat.S_ISREG(os.lstat(os.path.join(root, name)).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (--user)")
def test_a_settings_copy_belongs_to_the_user_and_nobody_else_reads_it(scratch, servers):
    # A settings file www-data cannot reach in place (its folder is root's,
    # mode 0700): express copies it for the daemons.
    private = scratch.path("private")
    os.mkdir(private)
    os.chmod(private, 0o700)
    settings = os.path.join(private, "settings.json")
    shutil.copy(scratch.settings, settings)
    os.chmod(settings, 0o644)
    library = os.path.join(private, "libExampleSite.so")
    shutil.copy(scratch.path("libExampleSite.so"), library)
    server = start_express(library, "--settings", settings)
    servers.append(server)
    status, _, body = server.request("GET", "/")
    assert status == 200 and b"Express Site" in body  # the daemons (www-data) read both copies
    root = server.server_root
    www_data = pwd.getpwnam("www-data")
    copy = os.path.join(root, "app", "settings.json")
    info = os.stat(copy)
    assert info.st_uid == www_data.pw_uid
    assert stat.S_IMODE(info.st_mode) in (0o600, 0o640)
    # The library copy: root's, readable by Apache's Group alone.
    info = os.stat(os.path.join(root, "app", "libExampleSite.so"))
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, www_data.pw_gid, 0o640)
    with open(os.path.join(root, "httpd.conf")) as f:
        assert '"settings=%s"' % copy in f.read()
    # Nothing in the root is writable by others; run/ (the pid file, the
    # daemons' sockets) and the root are root's.
    for directory in (root, os.path.join(root, "run")):
        info = os.lstat(directory)
        assert info.st_uid == 0 and not info.st_mode & 0o022
    for folder, directories, files in os.walk(root):
        for name in directories + files:
            info = os.lstat(os.path.join(folder, name))
            assert stat.S_ISSOCK(info.st_mode) or not info.st_mode & 0o002, os.path.join(folder, name)
    assert not os.stat(os.path.join(root, "httpd.conf")).st_mode & 0o077


INJECTED = "\nLoadModule evil_module /tmp/evil.so"


@pytest.mark.parametrize("option", [
    ["--mount-point", "/x" + INJECTED],
    ["--callable-object", "swiftgate_application" + INJECTED],
    ["--auth-group", "staff" + INJECTED],
    ["--log-level", "trace1" + INJECTED],
    ["--host", "127.0.0.1" + INJECTED],
    ["--setenv", "GREETING", "hello" + INJECTED],
    ["--mount-point", "/a b"],
    ["--log-level", "trace9"],
], ids=["mount-point", "callable-object", "auth-group", "log-level", "host", "setenv", "space", "level"])
def test_an_option_value_that_would_add_a_directive_is_refused_before_anything_is_written(scratch, option):
    root = scratch.path("server")
    done = setup_server(scratch, root, *option)
    assert done.returncode != 0
    assert option[0] in done.stderr, done.stderr
    assert not os.path.exists(root)


def test_values_with_spaces_quotes_and_backslashes_are_quoted(scratch, servers):
    folder = scratch.path("my settings")
    os.mkdir(folder)
    os.chmod(folder, 0o755)
    settings = os.path.join(folder, "settings.json")
    shutil.copy(scratch.settings, settings)
    os.chmod(settings, 0o644)
    greeting = 'say "hi" \\ now\\'
    server = start_express(scratch.path("libExampleSite.so"), "--settings", settings, "--setenv", "GREETING",
                           greeting)
    servers.append(server)
    status, _, body = server.request("GET", "/")
    assert status == 200 and b"Express Site" in body
    status, _, body = server.request("GET", "/env")
    assert status == 200
    assert json.loads(body)["GREETING"] == greeting
