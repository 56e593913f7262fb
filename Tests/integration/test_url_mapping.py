"""How a mounted URL maps to its library, in both modes: SwiftGateScriptAlias
splits the URL into the library and PATH_INFO itself, and httpd's directory
walk still applies the library's <Directory> and <Files> sections and
Options FollowSymLinks to the library's path."""

import json
import os

import pytest

from harness.apache import Apache

SITE = """
MergeSlashes Off
SwiftGateDaemonProcess mapped threads=2
SwiftGateScriptAlias /app {site}/libSwiftGateTestApp.so
SwiftGateScriptAlias /daemon {site}/libSwiftGateTestApp.so process-group=mapped
SwiftGateScriptAlias /files-denied {site}/libExampleSite.so
SwiftGateScriptAlias /strict {root}/strict/lib/libSwiftGateTestApp.so
SwiftGateScriptAlias /loose {root}/loose/lib/libSwiftGateTestApp.so
<Directory {site}>
    Require all granted
</Directory>
<Files libExampleSite.so>
    Require all denied
</Files>
<Directory {root}/strict>
    Options -FollowSymLinks
    Require all granted
</Directory>
<Directory {root}/loose>
    Options FollowSymLinks
    Require all granted
</Directory>
"""


@pytest.fixture(scope="module")
def apache():
    server = Apache(SITE)
    # strict/lib and loose/lib are symbolic links to the site folder.
    for name in ("strict", "loose"):
        os.makedirs(os.path.join(server.root, name))
        os.chmod(os.path.join(server.root, name), 0o755)
        os.symlink(server.site_dir, os.path.join(server.root, name, "lib"))
    server.start()
    try:
        assert server.wait_for(lambda: len(server.daemon_pids("mapped")) == 1)
        yield server
    finally:
        server.cleanup()


def info(apache, path):
    status, _, body = apache.request("GET", path)
    assert status == 200, body
    return json.loads(body)


@pytest.mark.parametrize("mount", ["/app", "/daemon"])
def test_path_info_keeps_the_urls_own_slashes(apache, mount):
    # MergeSlashes Off: the application sees the path the client sent.
    got = info(apache, mount + "/info/a//b/")
    assert got["scriptName"] == mount
    assert got["pathInfo"] == "/info/a//b/"
    assert got["target"] == mount + "/info/a//b/"


@pytest.mark.parametrize("mount", ["/app", "/daemon"])
def test_path_info_below_the_mount(apache, mount):
    got = info(apache, mount + "/info/x%20y/z?q=1")
    assert got["scriptName"] == mount
    assert got["pathInfo"] == "/info/x y/z"
    assert got["query"] == "q=1"


@pytest.mark.expect_log("AH01630")
def test_files_section_of_the_library_applies(apache):
    status, _, _ = apache.request("GET", "/files-denied/")
    assert status == 403
    # mod_authz_core: client denied by server configuration
    assert apache.wait_for_log("AH01630: client denied by server configuration: %s/libExampleSite.so"
                               % apache.site_dir)


@pytest.mark.expect_log("AH00037")
def test_a_symlink_in_the_librarys_path_needs_follow_symlinks(apache):
    # Allowed where the link's directory has Options FollowSymLinks ...
    assert info(apache, "/loose/info/x")["pathInfo"] == "/info/x"
    # ... and refused, as for any file httpd maps, where it has not.
    status, _, _ = apache.request("GET", "/strict/info/x")
    assert status == 403
    assert apache.wait_for_log("AH00037: Symbolic link not allowed")
