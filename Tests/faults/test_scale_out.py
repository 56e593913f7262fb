"""One site on three backend hosts behind each balancer in turn: Apache
(mod_proxy_balancer, mod_proxy_hcheck), nginx (upstream, passive checks)
and HAProxy (fcgi-app, FastCGI health checks of the daemon's health path).

The hosts are network namespaces the test makes (harness.netns), each
running `swiftgate serve --fastcgi` with the example site on TCP, with a
secret the fronts send and the daemon's health path. The user store is
shared by every host and the front. For each front: requests spread over
the three backends; `kill -9` of one under a bounded load loses at most
the requests in flight on it, and the front stops sending to it (time to
eject, from its own log); the backend restarted serves again through the
front (time to rejoin); basic auth at the front grants a user added on
another host a moment earlier. Each figure is printed (pytest -s)."""

import base64
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from harness import fcgi
from harness.backends import HEALTH_PATH, Backend
from harness.env import EXAMPLE_SITE, IS_ROOT, REPO, SWIFTGATE, http_request, wait_until
from harness.fronts import ApacheFront, HAProxyFront, NginxFront, wait_ejected
from harness.load import Load
from harness.netns import Hosts, can_make_namespaces

try:
    # The PostgreSQL fixture comes with the store's PostgreSQL backend.
    from harness import postgres
except ImportError:
    postgres = None

# The lowest password hash cost `swiftgate users` takes: the checks stay
# quick on a debug build.
ITERATIONS = "1000000"
CLIENTS = 8
# The longest each front may take to take a killed backend out: Apache
# probes every second (hcinterval=1, mod_watchdog's one-second tick), HAProxy
# every half second, nginx at the first request that fails.
EJECT_LIMIT = {"apache": 4.0, "nginx": 3.0, "haproxy": 3.0}
REJOIN_LIMIT = 15.0


def report(case, text):
    print("\n[scale-out] %s: %s" % (case, text), flush=True)


def users(host, *args, password=None):
    """`swiftgate users ARGS` run on `host` (inside its namespace)."""
    done = subprocess.run(host.command([SWIFTGATE, "users", *args]), input=(password + "\n") if password else None,
                          stdin=None if password else subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def shared_postgres(hosts):
    """A private PostgreSQL that the hosts reach on `hosts.service_address`
    (and the front on the same address): its fixture's server, restarted
    to listen there too, with password logins allowed from the hosts."""
    pg = postgres.start()
    try:
        with open(os.path.join(pg.data, "pg_hba.conf"), "a") as f:
            f.write("host all all 10.%d.0.0/16 scram-sha-256\n" % hosts.octet)
        pg.stop()
        options = "-p %d -k %s -c listen_addresses=127.0.0.1,%s -c fsync=off -c max_connections=100" % (
            pg.port, pg.socket_dir, hosts.service_address)
        pg._run(os.path.join(pg.bin, "pg_ctl"), "-D", pg.data, "-l", pg.log, "-o", options, "-w", "-t", "60", "start")
        pg.running = True
        return pg
    except BaseException:
        pg.close()
        raise


class Cluster:
    """Three hosts, the shared secret and user store, a backend on each."""

    def __init__(self):
        assert IS_ROOT and can_make_namespaces(), "the scale-out faults make network namespaces: run them as root"
        self.dir = tempfile.mkdtemp(prefix="sg-scale-out-")
        os.chmod(self.dir, 0o711)
        self.secret = secrets.token_hex(24)
        self.secret_file = os.path.join(self.dir, "secret")
        with open(os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(self.secret + "\n")
        self.hosts = Hosts(3)
        self.backends = []
        self.postgres = None
        try:
            self.store, self.store_args, add_options = self.shared_store()
            report("store", "the hosts share %s" % ("PostgreSQL at %s:%d" % (self.hosts.service_address,
                                                                          self.postgres.port)
                                                    if self.postgres else "one SQLite file"))
            users(self.hosts[0], "add", "alice", *self.store_args, "--iterations", ITERATIONS, *add_options,
                  password="alice-password")
            self.backends = [Backend(host, "h%d" % i, self.secret_file, self.store)
                             for i, host in enumerate(self.hosts)]
            for b in self.backends:
                b.start(wait=False)
            for b in self.backends:
                assert wait_until(b.ready, 30, step=0.05), b.log()
            # The front's own daemons read the site from a folder www-data
            # can reach.
            self.library = os.path.join(self.dir, "site", "libExampleSite.so")
            os.makedirs(os.path.dirname(self.library))
            shutil.copy(EXAMPLE_SITE, self.library)
            subprocess.run(["chmod", "-R", "a+rX", os.path.dirname(self.library)], check=True)
            self.auth_settings = os.path.join(self.dir, "site", "front-auth.json")
            with open(os.open(self.auth_settings, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640), "w") as f:
                json.dump({"users": self.store}, f)
            shutil.chown(self.auth_settings, "root", "www-data")
        except BaseException:
            self.remove()
            raise

    def shared_store(self):
        """The user store every host and the front check: one PostgreSQL
        server (harness.postgres, with the store's PostgreSQL backend) on
        the root namespace's service address; without it, one SQLite file
        on the disk the namespaces share, readable by the front's daemons
        (www-data). Returns the settings' `users`, `--db` and what `users
        add` needs besides."""
        if postgres is not None and postgres.available():
            self.postgres = shared_postgres(self.hosts)
            url = "postgres://%s:%s@%s:%d/%s" % (postgres.USER, postgres.PASSWORD, self.hosts.service_address,
                                                 self.postgres.port, postgres.DATABASE)
            return {"url": url}, ["--db", url], []
        store_dir = os.path.join(self.dir, "users")
        os.mkdir(store_dir, 0o750)
        shutil.chown(store_dir, "root", "www-data")
        path = os.path.join(store_dir, "users.sqlite")
        return {"path": path}, ["--db", path], ["--group-readable", "www-data"]

    def remove(self):
        names = [h.name for h in self.hosts]
        try:
            for b in self.backends:
                b.remove()
        finally:
            try:
                if self.postgres:
                    self.postgres.close()
            finally:
                self.hosts.remove()
                shutil.rmtree(self.dir, ignore_errors=True)
        assert not self.hosts.leftovers(names), "namespaces left behind"

    def front(self, kind):
        if kind == "apache":
            return ApacheFront(self.backends, self.secret, self.library, self.auth_settings)
        if kind == "nginx":
            return NginxFront(self.backends, self.secret)
        return HAProxyFront(self.backends, self.secret)


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    try:
        yield c
    finally:
        c.remove()


def test_hosts_reach_the_root_namespace_and_not_each_other(cluster):
    # What the database will listen on: every host reaches it; a host
    # does not reach another host.
    import socket
    with socket.socket() as server:
        server.bind((cluster.hosts.service_address, 0))
        server.listen(4)
        port = server.getsockname()[1]
        probe = ("import socket,sys\ntry:\n socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)"
                 "\nexcept OSError: sys.exit(1)")
        for host in cluster.hosts:
            done = subprocess.run(host.command(["python3", "-c", probe, cluster.hosts.service_address, str(port)]),
                                  timeout=20)
            assert done.returncode == 0, "%s does not reach %s" % (host.name, cluster.hosts.service_address)
        other = cluster.backends[1].endpoint
        done = subprocess.run(cluster.hosts[0].command(["python3", "-c", probe, other[0], str(other[1])]), timeout=20)
        assert done.returncode == 1, "one host reaches another"


def test_a_backend_serves_only_requests_with_the_secret(cluster):
    b = cluster.backends[0]
    params = fcgi.cgi_params("GET", "/")
    result = fcgi.unanswered(b.endpoint, params)
    assert result.cut and result.stdout == b"", "a backend answered a request without the secret"
    assert b.wait_for_log("did not carry this daemon's secret")
    params["swiftgate.secret"] = cluster.secret
    status, headers, _ = fcgi.request(b.endpoint, params).response()
    assert status == 200 and headers["x-served-by"] == "h0"
    params.update({"PATH_INFO": HEALTH_PATH, "REQUEST_URI": HEALTH_PATH})
    assert fcgi.request(b.endpoint, params).response()[2] == b"ok\n"
    report("secret", "a request without the secret: connection closed unanswered; with it: 200")


def served_by(front, count=60, timeout=15.0):
    """Which backends answer `/` through the front, over up to `count`
    requests."""
    seen = {}
    deadline = time.monotonic() + timeout
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        status, headers, _ = http_request(front.port, "GET", "/", timeout=10)
        if status == 200:
            seen[headers.get("x-served-by")] = seen.get(headers.get("x-served-by"), 0) + 1
    return seen


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


@pytest.mark.parametrize("kind", ["apache", "nginx", "haproxy"])
def test_a_front_balances_ejects_and_rejoins(cluster, kind):
    front = cluster.front(kind).start()
    try:
        names = {b.name for b in cluster.backends}
        assert wait_until(lambda: set(served_by(front, 12)) == names, 15, step=0.2), \
            "not every backend answers through %s:\n%s" % (kind, front.log()[-3000:])

        # Requests spread over the three backends.
        spread = Load(front.port, "/", connections=CLIENTS, duration=2.0, limit=2000).run_for(2.0)
        shares = {}
        for r in spread.results:
            shares[r.served_by] = shares.get(r.served_by, 0) + 1
        report(kind, "spread: %d requests, %d failed, per backend %s"
               % (len(spread.results), len(spread.failed), dict(sorted(shares.items(), key=str))))
        assert not spread.failed, spread.outcomes()
        for name in names:
            assert shares.get(name, 0) >= len(spread.results) * 0.15, shares

        # What the backends see of a request.
        status, _, body = http_request(front.port, "GET", "/env?q=1", headers={"X-Forwarded-For": "203.0.113.9"})
        assert status == 200, body
        env = json.loads(body)
        seen = {k: env.get(k) for k in ("SCRIPT_NAME", "PATH_INFO", "REQUEST_URI", "QUERY_STRING", "REMOTE_ADDR",
                                          "HTTP_X_FORWARDED_FOR", "HTTP_HOST", "SERVER_PORT")}
        report(kind, "the backend sees %s" % seen)
        assert env.get("SCRIPT_NAME", "") == "" and env["PATH_INFO"] == "/env", seen
        assert env["REMOTE_ADDR"] == "127.0.0.1", seen
        assert "swiftgate.secret" not in env

        # kill -9 of one backend under load.
        victim = cluster.backends[1]
        load = Load(front.port, "/", connections=CLIENTS, duration=40.0, limit=40000, timeout=10.0).start()
        try:
            time.sleep(1.0)
            killed = time.monotonic()
            victim.kill9()
            eject = wait_ejected(front, victim, killed, EJECT_LIMIT[kind] + 2)
            assert eject is not None, "%s never took %s out:\n%s" % (kind, victim.name, front.log()[-3000:])
            time.sleep(1.0)
            victim.start()
            restarted = time.monotonic()
            assert wait_until(lambda: any(r.served_by == victim.name and r.started >= restarted
                                          for r in list(load.results)), REJOIN_LIMIT, step=0.05), \
                "%s did not send to %s again:\n%s" % (kind, victim.name, front.log()[-3000:])
            rejoin = min(r.ended for r in list(load.results)
                         if r.served_by == victim.name and r.started >= restarted) - restarted
            time.sleep(0.5)
        finally:
            load.stop()
        in_flight = [r for r in load.results if r.outstanding_at(killed)]
        failed = load.failed
        report(kind, "kill -9 of %s under %d clients: %d requests, %d failed %s, %d in flight at the kill; "
               "time to eject %.2f s, time to rejoin %.2f s"
               % (victim.name, CLIENTS, len(load.results), len(failed), load.outcomes(failed), len(in_flight),
                  eject, rejoin))
        assert eject <= EJECT_LIMIT[kind], eject
        assert len(failed) <= len(in_flight), load.outcomes(failed)
        late = [r for r in failed if r.started > killed + eject + 0.5]
        assert not late, "requests failed after %s was taken out: %s" % (victim.name, load.outcomes(late))
        assert any(r.served_by == victim.name for r in load.results if r.ended < killed), "the victim served"
        if kind == "haproxy":
            # Its probes ask the health path over FastCGI, without the
            # secret, and the daemon answers them itself.
            assert re.search(r"swiftgate/%s is UP.*Layer7 check passed, code: 200" % victim.name, front.log()), \
                front.log()[-3000:]

        # A backend stopped (SIGTERM: it stops accepting and finishes what
        # it runs) under load costs nothing: a request its closing
        # connections did not answer is tried on another backend.
        stopped = cluster.backends[2]
        load = Load(front.port, "/", connections=CLIENTS, duration=20.0, limit=40000, timeout=10.0).start()
        try:
            time.sleep(1.0)
            began = time.monotonic()
            stopped.proc.send_signal(signal.SIGTERM)
            status = stopped.wait(15)
            took = time.monotonic() - began
            time.sleep(1.0)
        finally:
            load.stop()
        report(kind, "SIGTERM of %s under %d clients: exit status %s after %.2f s; %d requests, %d failed %s"
               % (stopped.name, CLIENTS, status, took, len(load.results), len(load.failed),
                  load.outcomes(load.failed)))
        assert status == 0, stopped.log()[-2000:]
        assert not load.failed, load.outcomes(load.failed)
        stopped.start()
        assert wait_until(lambda: "h2" in served_by(front, 12), 15, step=0.2), "h2 did not come back"

        # Basic auth at the front: a user added on another host a moment
        # ago is let in.
        user, password = "user-%s" % kind, "password-%s" % kind
        path = "/auth" if kind == "haproxy" else "/admin"
        status = http_request(front.port, "GET", path, headers=basic(user, password))[0]
        assert status == 401, status
        users(cluster.hosts[2], "add", user, *cluster.store_args, "--iterations", ITERATIONS, password=password)
        added = time.monotonic()
        status, headers, body = http_request(front.port, "GET", path, headers=basic(user, password))
        granted = time.monotonic() - added
        assert http_request(front.port, "GET", path, headers=basic(user, "wrong"))[0] == 401
        assert http_request(front.port, "GET", path)[0] == 401
        if kind == "haproxy":
            assert status == 204 and headers["x-remote-user"] == user, (status, body)
            how = "checked by a backend's /auth (HAProxy has no auth subrequest)"
        else:
            assert status == 200 and ('id="viewer">%s<' % user).encode() in body, (status, body[:500])
            how = ("AuthBasicProvider swiftgate through a local daemon group" if kind == "apache"
                   else "auth_request to a backend's /auth")
        report(kind, "basic auth: %s added on %s, granted %.2f s later, %s"
               % (user, cluster.hosts[2].name, granted, how))
    finally:
        front.stop()


def test_the_guide_shows_the_configs_the_tests_run():
    with open(os.path.join(REPO, "docs", "deployment.md")) as f:
        guide = f.read()
    for name in ("balancer.conf.in", "nginx.conf.in", "haproxy.cfg.in"):
        with open(os.path.join(REPO, "apache", "fronts", name)) as f:
            template = f.read()
        assert template in guide, "docs/deployment.md does not show apache/fronts/%s as it is" % name
