"""Configuration errors are caught by `apache2 -t`, with clear messages."""

import os


def check_fails(scratch_apache, site, *expected):
    server = scratch_apache(site)
    rc, out = server.configtest()
    assert rc != 0, out
    for text in expected:
        assert text in out, out
    return out


def test_missing_library(scratch_apache):
    check_fails(scratch_apache, "SwiftGateScriptAlias / {site}/libNope.so\n",
                "SwiftGateScriptAlias: library", "libNope.so not found")


def test_not_a_library(scratch_apache):
    check_fails(scratch_apache, "SwiftGateScriptAlias / {root}/httpd.conf\n",
                "is not a shared library")


def test_unknown_option(scratch_apache):
    check_fails(scratch_apache, "SwiftGateScriptAlias / {site}/libExampleSite.so procs=3\n",
                "SwiftGateScriptAlias: unknown option 'procs'")


def test_bad_callable_name(scratch_apache):
    check_fails(scratch_apache, "SwiftGateScriptAlias / {site}/libExampleSite.so callable-object=no-t\n",
                "option 'callable-object' must be a C symbol name")


def test_url_path_must_be_absolute(scratch_apache):
    check_fails(scratch_apache, "SwiftGateScriptAlias app {site}/libExampleSite.so\n",
                "URL-path must start with '/'")


def test_missing_settings_file(scratch_apache):
    check_fails(scratch_apache, "SwiftGateScriptAlias / {site}/libExampleSite.so settings={root}/none.json\n",
                "option 'settings' names no file")


def test_two_embedded_settings_are_refused(scratch_apache):
    server = scratch_apache(
        "SwiftGateScriptAlias /a {site}/libExampleSite.so settings={root}/a.json\n"
        "SwiftGateScriptAlias /b {site}/libSwiftGateTestApp.so settings={root}/b.json\n")
    for name in ("a.json", "b.json"):
        with open(os.path.join(server.root, name), "w") as f:
            f.write("{}")
    rc, out = server.configtest()
    assert rc != 0
    assert "cannot have different settings" in out and "daemon mode" in out


def test_settings_on_a_daemon_mount_are_refused(scratch_apache):
    server = scratch_apache(
        "SwiftGateDaemonProcess g\n"
        "SwiftGateScriptAlias / {site}/libExampleSite.so process-group=g settings={root}/a.json\n")
    with open(os.path.join(server.root, "a.json"), "w") as f:
        f.write("{}")
    rc, out = server.configtest()
    assert rc != 0
    assert "settings= is for embedded mode" in out and "SwiftGateDaemonProcess g" in out


def test_library_unreadable_by_the_apache_user(scratch_apache):
    if os.geteuid() != 0:
        import pytest
        pytest.skip("needs root: Apache only switches users when started as root")
    server = scratch_apache("SwiftGateScriptAlias / {site}/libExampleSite.so\n")
    os.chmod(os.path.join(server.site_dir, "libExampleSite.so"), 0o600)
    rc, out = server.configtest()
    assert rc != 0
    assert "libExampleSite.so is not readable" in out and "www-data" in out


def test_a_good_config_passes(scratch_apache):
    server = scratch_apache("SwiftGateScriptAlias / {site}/libExampleSite.so\n"
                            "<Location /x>\nSwiftGatePassAuthorization On\n"
                            "SwiftGateCallableObject other\nSwiftGateApplicationGroup %{GLOBAL}\n</Location>\n")
    rc, out = server.configtest()
    assert rc == 0, out
    assert "Syntax OK" in out
