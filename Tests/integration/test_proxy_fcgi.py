"""The standalone daemon (`swiftgate serve --fastcgi`) behind Apache's stock
mod_proxy_fcgi: the standard-protocol path to other front-ends."""

import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

from apache import APACHE_MODULES, LIBS, SERVE_AS_ROOT

SWIFTGATE = os.path.join(LIBS, "swiftgate")


@pytest.fixture
def daemon():
    folder = tempfile.mkdtemp(prefix="swiftgate-fcgi-")
    os.chmod(folder, 0o755)
    sock = os.path.join(folder, "app.sock")
    proc = subprocess.Popen([SWIFTGATE, "serve", "--fastcgi", "unix:" + sock,
                             os.path.join(LIBS, "libSwiftGateTestApp.so"), "--threads", "4", *SERVE_AS_ROOT],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(sock) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert os.path.exists(sock), proc.stdout.read() if proc.poll() is not None else "no socket"
        os.chmod(sock, 0o666)  # Apache's children (www-data) connect
        yield sock
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        subprocess.run(["rm", "-rf", folder])


def test_behind_mod_proxy_fcgi(scratch_apache, daemon):
    server = scratch_apache("""
LoadModule proxy_module %(mods)s/mod_proxy.so
LoadModule proxy_fcgi_module %(mods)s/mod_proxy_fcgi.so
LoadModule setenvif_module %(mods)s/mod_setenvif.so
SetEnvIf Request_URI . proxy-fcgi-pathinfo=1
ProxyPass /fcgi/ "unix:%(sock)s|fcgi://localhost/"
<Location /fcgi/>
    Require all granted
</Location>
""" % {"mods": APACHE_MODULES, "sock": daemon})
    server.start()
    status, _, body = server.request("GET", "/fcgi/info?x=1")
    assert status == 200, body
    info = json.loads(body)
    assert info["query"] == "x=1"
    assert info["pathInfo"] == "/info"  # the backend URL's path
    assert info["method"] == "GET"
    data = os.urandom(1024 * 1024)
    status, _, body = server.request("POST", "/fcgi/count", body=data)
    assert status == 200 and body.strip() == str(len(data)).encode()
    status, _, body = server.request("GET", "/fcgi/stream-missing")
    assert status == 404
    assert server.request("GET", "/fcgi/fail")[0] == 500
