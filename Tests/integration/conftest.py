"""The embedded-mode server most integration tests share, once per MPM."""

import os

import pytest

from harness.apache import Apache

# Every mount the embedded-mode tests use, in one server.
SITE = """
SwiftGateScriptAlias / {site}/libExampleSite.so settings={root}/settings.json
SwiftGateScriptAlias /sub/app {site}/libSwiftGateTestApp.so
SwiftGateScriptAlias /second {site}/libSwiftGateTestApp.so callable-object=second_application
SwiftGateScriptAlias /broken {site}/libSwiftGateTestApp.so callable-object=failing_application
SwiftGateScriptAlias /nosymbol {site}/libSwiftGateTestApp.so callable-object=no_such_symbol
SwiftGateScriptAlias /passauth {site}/libSwiftGateTestApp.so
SwiftGateScriptAlias /bydir {site}/libSwiftGateTestApp.so
SwiftGateScriptAlias /grouped {site}/libExampleSite.so application-group=reports
SwiftGateScriptAlias /raw {site}/libraw_app.so
SwiftGateScriptAlias /mismatch {site}/libabi_mismatch.so
Alias /static {root}/static

<Location /bydir>
    SwiftGateCallableObject second_application
</Location>
<Location /passauth>
    SwiftGatePassAuthorization On
</Location>
<Directory {site}>
    Require all granted
</Directory>
<Directory {root}/static>
    Require all granted
</Directory>
"""


# /broken, /nosymbol and /mismatch are broken on purpose: every child
# that starts (at any time: the MPMs start more under load) logs that it
# could not start them.
BROKEN_MOUNTS = ("SG00201", "SG00202", "SG00203")


def make_server(mpm):
    server = Apache(SITE, mpm=mpm, expected=BROKEN_MOUNTS)
    os.makedirs(os.path.join(server.root, "static"))
    with open(os.path.join(server.root, "static", "hello.txt"), "w") as f:
        f.write("static file\n")
    with open(os.path.join(server.root, "settings.json"), "w") as f:
        f.write('{"site": {"title": "Integration Site"}, "database": {"path": "%s/data/notes.sqlite"}}'
                % server.root)
    os.chmod(os.path.join(server.root, "settings.json"), 0o644)
    os.chmod(os.path.join(server.root, "static"), 0o755)
    os.chmod(os.path.join(server.root, "static", "hello.txt"), 0o644)
    return server.start()


@pytest.fixture(scope="module", params=["event", "worker", "prefork"])
def apache(request):
    server = make_server(request.param)
    yield server
    server.cleanup()
