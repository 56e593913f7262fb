"""The user store in PostgreSQL: `swiftgate users … --db postgres://…`, and
Apache's basic auth against it in embedded and daemon mode, with the
database stopped and started again under a running Apache (503, never
"denied"; the pools reconnect)."""

import base64
import hashlib
import json
import os
import uuid

import pytest

from harness import postgres
from harness.apache import Apache
from harness.env import free_port, http_request
from harness.users import ok, users



@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    server = postgres.start(tmp_path_factory.mktemp("postgres"))
    yield server
    server.close()


@pytest.fixture(autouse=True)
def running(pg):
    """Every test starts with the database up."""
    if not pg.running:
        pg.start()


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def django_check(encoded, password):
    algorithm, iterations, salt, key = encoded.split("$")
    assert algorithm == "pbkdf2_sha256"
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return base64.b64encode(derived).decode() == key


def stored(pg, sql):
    return pg.query(sql).strip()


# -- the command line -------------------------------------------------------

def test_add_list_passwd_groups_delete(pg):
    name = unique("ann")
    assert "added user '%s'" % name in ok("add", name, "--db", pg.url, "--group", "staff", password="first-pass")
    encoded = stored(pg, "SELECT password FROM users WHERE username = '%s'" % name)
    assert django_check(encoded, "first-pass")
    assert encoded.split("$")[1] == "1000000"
    listed = {line.split()[0]: line.split()[1:] for line in ok("list", "--db", pg.url).splitlines()}
    assert listed[name] == ["active", "staff"]

    ok("passwd", name, "--db", pg.url, password="second-pass")
    assert django_check(stored(pg, "SELECT password FROM users WHERE username = '%s'" % name), "second-pass")

    ok("add-group", name, "editors", "--db", pg.url)
    ok("deactivate", name, "--db", pg.url)
    listed = {line.split()[0]: line.split()[1:] for line in ok("list", "--db", pg.url).splitlines()}
    assert listed[name] == ["inactive", "editors,staff"]
    ok("remove-group", name, "staff", "--db", pg.url)
    assert stored(pg, "SELECT string_agg(g.name, ',') FROM memberships m JOIN groups g ON g.id = m.group_id "
                      "JOIN users u ON u.id = m.user_id WHERE u.username = '%s'" % name) == "editors"

    ok("delete", name, "--db", pg.url)
    assert stored(pg, "SELECT count(*) FROM users WHERE username = '%s'" % name) == "0"
    rc, _, err = users("delete", name, "--db", pg.url)
    assert rc != 0 and "no user '%s'" % name in err


def test_the_socket_url_and_a_second_add_of_a_name(pg):
    name = unique("bob")
    ok("add", name, "--db", pg.socket_url, password="bob-pass")
    rc, _, err = users("add", name, "--db", pg.url, password="other")
    assert rc != 0 and "already exists" in err


def test_the_schema_is_sqlites_in_postgresql(pg):
    ok("add", unique("schema"), "--db", pg.url, password="schema-pass")
    columns = stored(pg, "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) "
                         "FROM information_schema.columns WHERE table_name = 'users'")
    assert columns == ("id:bigint,username:text,password:text,is_active:boolean,"
                       "created_at:timestamp with time zone,last_login:timestamp with time zone")
    assert stored(pg, "SELECT count(*) FROM information_schema.tables WHERE table_name IN "
                      "('users', 'groups', 'memberships')") == "3"


def test_a_database_that_is_down_is_told_without_the_password(pg):
    port = free_port()
    url = "postgres://swiftgate:%s@127.0.0.1:%d/swiftgate" % (postgres.PASSWORD, port)
    rc, out, err = users("list", "--db", url)
    assert rc != 0
    assert "the user database is unavailable" in err
    assert "postgres://swiftgate:***@127.0.0.1:%d/swiftgate" % port in err
    assert postgres.PASSWORD not in err + out


def test_a_wrong_password_in_the_url_is_refused_and_not_printed(pg):
    url = pg.url.replace(postgres.PASSWORD, "not-the-password-91c2")
    rc, out, err = users("list", "--db", url)
    assert rc != 0
    assert "password authentication failed" in err
    assert "not-the-password-91c2" not in err + out


# -- Apache -----------------------------------------------------------------

# The example site, its /admin behind basic auth against the store, in
# embedded mode (/e) and in a daemon group (/d). Both keep notes in the
# same database.
SITE = """
SwiftGateDaemonProcess pgd threads=4 settings={root}/pg-settings.json
SwiftGateScriptAlias /e {site}/libExampleSite.so settings={root}/pg-settings.json
SwiftGateScriptAlias /d {site}/libExampleSite.so process-group=pgd
<Location /e/admin>
    AuthType Basic
    AuthName "PostgreSQL users"
    AuthBasicProvider swiftgate
    SwiftGateAuthUserScript {site}/libExampleSite.so
    SwiftGateAuthGroupScript {site}/libExampleSite.so
    Require swiftgate-group staff
</Location>
<Location /d/admin>
    AuthType Basic
    AuthName "PostgreSQL users"
    AuthBasicProvider swiftgate
    SwiftGateAuthUserScript {site}/libExampleSite.so process-group=pgd
    SwiftGateAuthGroupScript {site}/libExampleSite.so process-group=pgd
    Require swiftgate-group staff
</Location>
<Directory {site}>
    Require all granted
</Directory>
"""


@pytest.fixture(scope="module")
def apache(pg):
    server = Apache(SITE)
    settings = os.path.join(server.root, "pg-settings.json")
    with open(settings, "w") as f:
        json.dump({"users": {"url": pg.url}, "database": {"url": pg.url}}, f)
    os.chmod(settings, 0o644)
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(params=["/e", "/d"], ids=["embedded", "daemon"])
def prefix(request):
    return request.param


def basic(name, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (name, password)).encode()).decode()}


def get(apache, path, headers=None):
    return http_request(apache.port, "GET", path, headers=headers, timeout=60)


@pytest.mark.expect_log("AH01617", "AH01618")
def test_a_user_added_while_apache_runs_is_granted(apache, pg, prefix):
    name = unique("staff")
    # Unknown until added: 401.
    assert get(apache, prefix + "/admin", basic(name, "right-pass"))[0] == 401
    ok("add", name, "--db", pg.url, "--group", "staff", password="right-pass")
    status, _, body = get(apache, prefix + "/admin", basic(name, "right-pass"))
    assert status == 200, body
    assert b'<strong id="viewer">' + name.encode() + b"</strong>" in body
    assert get(apache, prefix + "/admin", basic(name, "wrong-pass"))[0] == 401
    # The site makes new hashes with Django's current count: the check
    # replaced the weaker one `users add --iterations` stored.
    encoded = stored(pg, "SELECT password FROM users WHERE username = '%s'" % name)
    assert encoded.split("$")[1] == "1500000"
    assert django_check(encoded, "right-pass")


@pytest.mark.expect_log("AH01631")
def test_groups_come_from_the_store(apache, pg, prefix):
    name = unique("outsider")
    ok("add", name, "--db", pg.url, password="pw-outsider")
    assert get(apache, prefix + "/admin", basic(name, "pw-outsider"))[0] == 401
    ok("add-group", name, "staff", "--db", pg.url)
    assert get(apache, prefix + "/admin", basic(name, "pw-outsider"))[0] == 200


@pytest.mark.expect_log("SG00611", "could not be made", "answered 503", "AH01617")
def test_a_database_that_is_down_is_503_never_denied_then_granted_again(apache, pg, prefix):
    name = unique("staff")
    ok("add", name, "--db", pg.url, "--group", "staff", password="right-pass")
    assert get(apache, prefix + "/admin", basic(name, "right-pass"))[0] == 200
    start = os.path.getsize(apache.error_log)
    pg.stop()
    try:
        for password in ("right-pass", "wrong-pass"):
            status, headers, body = get(apache, prefix + "/admin", basic(name, password))
            assert status == 503, (status, body)
            assert b"<title>503 Service Unavailable</title>" in body
            assert int(headers["content-length"]) == len(body)
            assert "www-authenticate" not in headers
        # The application's own pages answer 503 too.
        status, _, body = get(apache, prefix + "/notes")
        assert status == 503, body
        with open(apache.error_log, errors="replace") as f:
            f.seek(start)
            written = f.read()
        assert "SG00611" in written and "user store is unavailable; answering 503" in written
        assert postgres.PASSWORD not in written
    finally:
        pg.start()
    # The pools reconnect by themselves.
    status, _, body = get(apache, prefix + "/admin", basic(name, "right-pass"))
    assert status == 200, body
    assert get(apache, prefix + "/admin", basic(name, "wrong-pass"))[0] == 401


def test_notes_are_kept_in_postgresql(apache, pg, prefix):
    text = unique("note")
    status, _, _ = http_request(apache.port, "POST", prefix + "/notes", body="text=" + text,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303 or status == 302, status
    assert stored(pg, "SELECT count(*) FROM note WHERE text = '%s'" % text) == "1"
    # Both modes read the one table.
    for other in ("/e", "/d"):
        assert text.encode() in get(apache, other + "/notes")[2]
