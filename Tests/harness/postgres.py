"""PostgreSQL: a private server from Debian's postgresql package, on a free
loopback port, its data and socket in a directory of its own.

    pg = postgres.start(tmp_path)   # running; pg.url is postgres://...
    pg.stop()                       # down (the data stays)
    pg.start()                      # up again on the same port
    pg.close()                      # down for good, directory removed

initdb and pg_ctl refuse to run as root, so under root the server runs as
`nobody`, in a 0700 directory under /tmp that `nobody` owns (pytest's own
temporary directories are root's alone). Local socket logins are trusted;
TCP logins need the password, so `url` (TCP) exercises a password in the
URL. `tmpdir` keeps a copy of the server log when the server is closed."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile

from harness.env import free_port

USER = "swiftgate"
PASSWORD = "pg-secret-7f3a"
DATABASE = "swiftgate"


def bin_dir():
    """The newest /usr/lib/postgresql/N/bin, or None when not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def available():
    return bin_dir() is not None


class Postgres:
    def __init__(self, tmpdir=None, run_as="nobody"):
        self.bin = bin_dir()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install -y postgresql)")
        self.tmpdir = str(tmpdir) if tmpdir else None
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="sg-postgres-")
        self.data = os.path.join(self.root, "data")
        self.socket_dir = os.path.join(self.root, "run")
        self.log = os.path.join(self.root, "postgres.log")
        self.account = pwd.getpwnam(run_as) if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        os.mkdir(self.socket_dir, 0o700)
        for path in (self.root, self.socket_dir):
            os.chown(path, self.account.pw_uid, self.account.pw_gid)
        self.running = False
        self._initdb()

    # -- URLs ---------------------------------------------------------------

    @property
    def url(self):
        """TCP on loopback, with the password in the URL."""
        return "postgres://%s:%s@127.0.0.1:%d/%s" % (USER, PASSWORD, self.port, DATABASE)

    @property
    def socket_url(self):
        """The local socket (trusted; no password)."""
        return "postgresql://%s@/%s?host=%s&port=%d" % (USER, DATABASE, self.socket_dir, self.port)

    # -- processes ----------------------------------------------------------

    def _as_owner(self):
        uid, gid = self.account.pw_uid, self.account.pw_gid

        def drop():
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)

        return drop

    def _run(self, *args, timeout=120):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.root, "LC_ALL": "C.UTF-8"}
        return subprocess.run(
            args,
            preexec_fn=self._as_owner(),
            env=env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    def _initdb(self):
        pwfile = os.path.join(self.root, "pwfile")
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(PASSWORD + "\n")
        os.chown(pwfile, self.account.pw_uid, self.account.pw_gid)
        try:
            self._run(
                os.path.join(self.bin, "initdb"),
                "-D", self.data,
                "-U", USER,
                "--pwfile", pwfile,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E", "UTF8",
                "--no-sync",
            )
        finally:
            os.unlink(pwfile)
        self.start()
        self.psql("postgres", "CREATE DATABASE %s" % DATABASE)

    def start(self):
        """Starts the server and waits until it takes connections."""
        options = "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" % (
            self.port,
            self.socket_dir,
        )
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start")
        self.running = True

    def stop(self):
        """Stops the server (fast: open sessions are ended)."""
        if self.running:
            self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")
            self.running = False

    def close(self):
        """Stops the server and removes its directory (keeping a copy of
        the log in tmpdir, if given)."""
        try:
            self.stop()
        finally:
            if self.tmpdir and os.path.exists(self.log):
                shutil.copy(self.log, os.path.join(self.tmpdir, "postgres.log"))
            shutil.rmtree(self.root, ignore_errors=True)

    def psql(self, database, sql):
        """Runs sql through the local socket; returns its output (unaligned,
        tuples only)."""
        return self._run(
            "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", self.socket_dir, "-p", str(self.port), "-U", USER, "-d", database, "-c", sql,
        ).stdout

    def query(self, sql):
        """psql on the test database."""
        return self.psql(DATABASE, sql)


def start(tmpdir=None):
    """A running private PostgreSQL; close() it when done."""
    return Postgres(tmpdir)
