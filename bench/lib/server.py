"""The servers under test: one private Apache (event MPM) on 127.0.0.1
with a generated configuration that mounts every path at its own URL, and
the standalone backends behind mod_proxy (Hummingbird, Vapor, swiftgate
serve)."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import procs
import settings as S

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"
MOD_WSGI = os.path.join(APACHE_MODULES, "mod_wsgi.so")
RUN_AS = "www-data"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port=None, unix=None, timeout=30.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            if unix:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(1)
                    s.connect(unix)
            else:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Root:
    """A private server root in /tmp holding copies of everything the
    servers load, readable by the user Apache's children run as."""

    def __init__(self, artifacts):
        # bench/run makes the folder, so that its trap knows it too.
        self.path = os.environ.get("BENCH_ROOT") or tempfile.mkdtemp(prefix="swiftgate-bench-")
        os.chmod(self.path, 0o755)
        self.site = os.path.join(self.path, "site")
        self.data = os.path.join(self.path, "data")
        # Apache's runtime folder (its pid file, the daemon groups' sockets)
        # stays root's: mod_swiftgate refuses one that others can write to.
        # The backends started as www-data put their sockets in their own.
        self.run = os.path.join(self.path, "run")
        self.sockets = os.path.join(self.path, "sockets")
        self.htdocs = os.path.join(self.path, "htdocs")
        for d in (self.site, self.data, self.run, self.sockets, self.htdocs):
            os.makedirs(d)
        self.as_root = os.geteuid() == 0
        a = artifacts
        self.module = self._copy(a["module"], self.path)
        # Daemon mode looks for libSwiftGateDaemon.so beside the module.
        self._copy(a["daemon_library"], self.path)
        self.ceiling = self._copy(a["ceiling"], self.path)
        self.hello = self._copy(a["hello"], self.site)
        self.example = self._copy(a["example"], self.site)
        self.wsgi = self._copy(a["wsgi"], self.site)
        self.swiftgate = self._copy(a["swiftgate"], self.path)
        self.hummingbird = self._copy(a["hummingbird"], self.path)
        # The framework adapters' test applications and Vapor's own server.
        self.hummingbird_app = self._copy(a["hummingbird_app"], self.site)
        self.vapor_app = self._copy(a["vapor_app"], self.site)
        self.vapor_server = self._copy(a["vapor_server"], self.path)
        self.settings = os.path.join(self.path, "example-settings.json")
        with open(self.settings, "w") as f:
            f.write('{"site": {"title": "bench"}, "database": {"path": "%s/notes.sqlite"}}\n' % self.data)
        subprocess.run(["chmod", "-R", "a+rX", self.path], check=True)
        if self.as_root:
            shutil.chown(self.data, RUN_AS, RUN_AS)
            shutil.chown(self.sockets, RUN_AS, RUN_AS)
        self.registry = procs.Registry(self.path)

    @staticmethod
    def _copy(source, folder):
        target = os.path.join(folder, os.path.basename(source))
        shutil.copy2(source, target)
        return target

    def as_service_user(self, argv):
        """Backends run as Apache's children do (www-data) when we are root."""
        if not self.as_root:
            return argv
        return ["setpriv", "--reuid=" + RUN_AS, "--regid=" + RUN_AS, "--init-groups", "--"] + argv

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Backend:
    """A standalone server the Apache proxies to, started by us."""

    def __init__(self, root, role, argv, log_name, port=None, unix=None):
        self.role = role
        self.port = port
        self.unix = unix
        self.log_path = os.path.join(root.path, log_name)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(root.as_service_user(argv), stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=root.path, start_new_session=True)
        root.registry.add(self.proc.pid, role)
        self.root = root
        if not wait_listening(port=port, unix=unix, proc=self.proc):
            self.stop()
            raise RuntimeError("%s did not start:\n%s" % (role, self.output()))

    @property
    def pid(self):
        return self.proc.pid

    def output(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.root.registry.remove(self.proc.pid)


def hummingbird(root):
    port = free_port()
    return Backend(root, "hummingbird", [root.hummingbird, str(port)], "hummingbird.log", port=port)


def vapor(root):
    """The Vapor adapter's test application on Vapor's own HTTP server."""
    port = free_port()
    argv = [root.vapor_server, "serve", "--hostname", "127.0.0.1", "--port", str(port)]
    return Backend(root, "vapor", argv, "vapor.log", port=port)


def swiftgate_serve(root, name, library, settings=None):
    sock = os.path.join(root.sockets, name + ".sock")
    argv = [root.swiftgate, "serve", "--fastcgi", "unix:" + sock, library,
            "--threads", str(S.DAEMON_THREADS)]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    if settings:
        argv += ["--settings", settings]
    return Backend(root, "swiftgate serve " + name, argv, name + ".log", unix=sock)


def site_config(root, hummingbird_port, vapor_port, fcgi_hello, fcgi_notes):
    """Every path's mount, one URL prefix each (see settings.PATHS)."""
    d = S.DAEMON_PROCESSES
    t = S.DAEMON_THREADS
    return """
# ---- ceiling: a plain C handler, mounted like a SwiftGateScriptAlias
LoadModule bench_ceiling_module "{r.ceiling}"
BenchCeilingAlias /ceiling "{r.ceiling}"

# ---- mod_swiftgate: hello embedded and in a daemon group; the example
# site's notes embedded and in a group of their own
SwiftGateSocketPrefix "{r.run}/swiftgate"
SwiftGateDaemonProcess hello processes={d} threads={t}
SwiftGateDaemonProcess notes processes={d} threads={t} settings={r.settings}
SwiftGateScriptAlias /sg-embedded "{r.hello}"
SwiftGateScriptAlias /sg-daemon "{r.hello}" process-group=hello
SwiftGateScriptAlias /sg-embedded-notes "{r.example}" settings={r.settings}
SwiftGateScriptAlias /sg-daemon-notes "{r.example}" process-group=notes

# ---- the framework adapters' test applications (their /hello), embedded
# and in daemon groups sized like the hello group
SwiftGateDaemonProcess {hb_group} processes={d} threads={t}
SwiftGateDaemonProcess {vapor_group} processes={d} threads={t}
SwiftGateScriptAlias /hb-embedded "{r.hummingbird_app}"
SwiftGateScriptAlias /hb-daemon "{r.hummingbird_app}" process-group={hb_group}
SwiftGateScriptAlias /vapor-embedded "{r.vapor_app}"
SwiftGateScriptAlias /vapor-daemon "{r.vapor_app}" process-group={vapor_group}

# ---- mod_wsgi (Debian's), embedded and daemon
LoadModule wsgi_module "{wsgi}"
WSGISocketPrefix "{r.run}/wsgi"
WSGIDaemonProcess wsgihello processes={d} threads={t} display-name=(wsgi:hello)
WSGIScriptAlias /wsgi-embedded "{r.wsgi}" application-group=%{{GLOBAL}}
WSGIScriptAlias /wsgi-daemon "{r.wsgi}" process-group=wsgihello application-group=%{{GLOBAL}}

# ---- mod_proxy_http → Hummingbird, Vapor; mod_proxy_fcgi → swiftgate serve
LoadModule proxy_module "{mods}/mod_proxy.so"
LoadModule proxy_http_module "{mods}/mod_proxy_http.so"
LoadModule proxy_fcgi_module "{mods}/mod_proxy_fcgi.so"
LoadModule setenvif_module "{mods}/mod_setenvif.so"
ProxyPass /hummingbird/ http://127.0.0.1:{hb}/
ProxyPass /vapor/ http://127.0.0.1:{vapor}/
SetEnvIf Request_URI ^/fcgi proxy-fcgi-pathinfo=1
# Each socket gets a host name of its own: mod_proxy shares one worker
# between "unix:A|fcgi://localhost/" and "unix:B|fcgi://localhost/".
ProxyPass /fcgi-notes/ "unix:{fcgi_notes}|fcgi://notes/"
ProxyPass /fcgi/ "unix:{fcgi_hello}|fcgi://hello/"

<Directory "{r.site}">
    Require all granted
</Directory>
<Directory "{r.path}">
    Require all granted
</Directory>
<Location /hummingbird/>
    Require all granted
</Location>
<Location /vapor/>
    Require all granted
</Location>
<Location /fcgi/>
    Require all granted
</Location>
<Location /fcgi-notes/>
    Require all granted
</Location>
""".format(r=root, d=d, t=t, wsgi=MOD_WSGI, mods=APACHE_MODULES, hb=hummingbird_port, vapor=vapor_port,
           fcgi_hello=fcgi_hello, fcgi_notes=fcgi_notes, hb_group=S.HUMMINGBIRD_GROUP,
           vapor_group=S.VAPOR_GROUP)


class Apache:
    """One private Apache, event MPM, on 127.0.0.1. Two children with enough
    threads for every connection, so that no child starts or stops during a
    measurement; no access log; keep-alive without a request limit."""

    def __init__(self, root, site):
        self.root = root
        self.port = free_port()
        self.conf = os.path.join(root.path, "httpd.conf")
        self.error_log = os.path.join(root.path, "error.log")
        user_group = "User %s\nGroup %s" % (RUN_AS, RUN_AS) if root.as_root else ""
        with open(self.conf, "w") as f:
            f.write("""# Generated by bench/run: a private Apache for the benchmark.
ServerRoot "{r.path}"
DefaultRuntimeDir "{r.run}"
PidFile "{r.run}/httpd.pid"
Listen 127.0.0.1:{port}
ServerName 127.0.0.1:{port}
ErrorLog "{log}"
LogLevel warn
{user_group}

LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule authz_host_module {mods}/mod_authz_host.so
LoadModule alias_module {mods}/mod_alias.so
LoadModule mime_module {mods}/mod_mime.so
LoadModule swiftgate_module "{r.module}"
TypesConfig /etc/mime.types

StartServers 2
ServerLimit 2
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 1
MaxSpareThreads 128
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
Timeout 60
LimitRequestBody 0

<Directory />
    AllowOverride None
    Require all denied
</Directory>
# A document root as sites have one: the gateways' CGI variables
# (ap_add_cgi_vars) look PATH_INFO up in it for PATH_TRANSLATED.
DocumentRoot "{r.htdocs}"
<Directory "{r.htdocs}">
    Require all granted
</Directory>
{site}
""".format(r=root, port=self.port, log=self.error_log, user_group=user_group, mods=APACHE_MODULES, site=site))

    def start(self):
        check = subprocess.run([APACHE, "-f", self.conf, "-t"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("apache2 -t failed:\n" + check.stdout + check.stderr)
        subprocess.run([APACHE, "-f", self.conf, "-k", "start"], check=True, timeout=60)
        deadline = time.monotonic() + 30
        while self.pid() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.pid() is None:
            raise RuntimeError("Apache wrote no pid file:\n" + self.log())
        self.root.registry.add(self.pid(), "apache")
        if not wait_listening(port=self.port):
            raise RuntimeError("Apache did not listen:\n" + self.log())

    def pid(self):
        try:
            with open(os.path.join(self.root.run, "httpd.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def children(self):
        parent = self.pid()
        return procs.children_of(parent) if parent else []

    def named_children(self, prefix):
        """Children whose command line (their display name) starts with prefix."""
        return [p for p in self.children() if (procs.cmdline(p) or "").startswith(prefix)]

    def workers(self):
        """Apache's own children: the processes that are not daemons."""
        return [p for p in self.children() if (procs.cmdline(p) or "").startswith(APACHE)]

    def stop(self):
        parent = self.pid()
        if parent is None:
            return
        everyone = [parent] + self.children()
        subprocess.run([APACHE, "-f", self.conf, "-k", "stop"], capture_output=True, timeout=60)
        if not procs.wait_gone(everyone, 20):
            for pid in everyone:
                if procs.alive(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        self.root.registry.remove(parent)

    def log(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""
