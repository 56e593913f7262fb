"""The framework adapters' applications under a real Apache: Hummingbird's
and Vapor's test applications (the adapters' own packages) and the two todo
examples (examples/), each in embedded mode (event and prefork) and in a
daemon group.

SWIFTGATE_HUMMINGBIRD_LIBS and SWIFTGATE_VAPOR_LIBS name the folders the
adapter packages built into (`make test-adapters` sets them); without them,
the packages' own .build/debug is used."""

import base64
import hashlib
import json
import os
import shutil
import subprocess

import pytest

from harness.apache import Apache
from harness.env import REPO

LIBS = {
    "hummingbird": os.environ.get("SWIFTGATE_HUMMINGBIRD_LIBS",
                                  os.path.join(REPO, "Adapters/SwiftGateHummingbird/.build/debug")),
    "vapor": os.environ.get("SWIFTGATE_VAPOR_LIBS", os.path.join(REPO, "Adapters/SwiftGateVapor/.build/debug")),
}
TEST_APP = {"hummingbird": "libSwiftGateHummingbirdTestApp.so", "vapor": "libSwiftGateVaporTestApp.so"}
TODOS = {"hummingbird": "libHummingbirdTodos.so", "vapor": "libVaporTodos.so"}

# (mode, MPM) each framework is served in.
SHAPES = [("embedded", "event"), ("embedded", "prefork"), ("daemon", "event")]

USER, PASSWORD = "ada", "correct horse"

SITE = """
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
{group}
SwiftGateScriptAlias /app {site}/testapp.so {options}
SwiftGateScriptAlias /router {site}/testapp.so callable-object=swiftgate_router {options}
SwiftGateScriptAlias /api {site}/todos.so {options}
<Directory {site}>
    Require all granted
</Directory>
<Location /api/admin>
    AuthType Basic
    AuthName "Todo admin"
    AuthBasicProvider file
    AuthUserFile {root}/htpasswd
    Require valid-user
</Location>
<Location /app/whoami>
    AuthType Basic
    AuthName "Test"
    AuthBasicProvider file
    AuthUserFile {root}/htpasswd
    Require valid-user
</Location>
"""

# What the test applications log at error level on purpose: a route that
# throws an unknown error, an upgrade answered 501.
EXPECTED = ("Boom", "Protocol upgrades", "101 Switching Protocols", "cannot hand the connection over")


def basic_auth(user=USER, password=PASSWORD):
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return {"Authorization": "Basic " + token}


def write_htpasswd(path):
    """A password file for mod_authn_file with the test user ({SHA} form)."""
    digest = base64.b64encode(hashlib.sha1(PASSWORD.encode()).digest()).decode()
    with open(path, "w") as f:
        f.write("%s:{SHA}%s\n" % (USER, digest))


def make_server(framework, mode, mpm):
    for lib in (TEST_APP[framework], TODOS[framework]):
        path = os.path.join(LIBS[framework], lib)
        if not os.path.exists(path):
            pytest.fail("%s is missing: run `make test-adapters` (it builds the adapter packages and examples)"
                        % path, pytrace=False)
    # The examples keep their todos in SQLite, one file every process opens.
    if mode == "daemon":
        group = "SwiftGateDaemonProcess fw processes=2 threads=8 graceful-timeout=10 settings={root}/settings.json"
        options = "process-group=fw"
    else:
        group, options = "", "settings={root}/settings.json"
    server = Apache(SITE.replace("{group}", group).replace("{options}", options), mpm=mpm, expected=EXPECTED)
    shutil.copy(os.path.join(LIBS[framework], TEST_APP[framework]), os.path.join(server.site_dir, "testapp.so"))
    shutil.copy(os.path.join(LIBS[framework], TODOS[framework]), os.path.join(server.site_dir, "todos.so"))
    with open(os.path.join(server.root, "settings.json"), "w") as f:
        json.dump({"database": {"path": os.path.join(server.root, "data", "todos.sqlite")}}, f)
    write_htpasswd(os.path.join(server.root, "htpasswd"))
    subprocess.run(["chmod", "-R", "a+rX", server.root], check=True)
    return server.start()


@pytest.fixture(scope="module", params=[(f, m, p) for f in ("hummingbird", "vapor") for m, p in SHAPES],
                ids=lambda shape: "-".join(shape))
def apache(request):
    framework, mode, mpm = request.param
    server = make_server(framework, mode, mpm)
    server.framework = framework
    server.mode = mode
    yield server
    server.cleanup()
