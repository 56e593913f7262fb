"""SwiftGateTrustedProxies and SwiftGateTrustedProxyHeaders: forwarding
headers are believed from trusted peers only, in both modes.

The tests reach Apache from two loopback addresses: 127.0.0.1, which the
site trusts, and 127.0.0.2, which it does not."""

import http.client
import json
import os

import pytest

from harness.apache import Apache

HEADERS = "X-Forwarded-For X-Forwarded-Proto X-Forwarded-Host X-Forwarded-Port X-Real-IP"

SITE = """
SwiftGateDaemonProcess fwd threads=2 settings={root}/settings.json

SwiftGateScriptAlias /emb {site}/libExampleSite.so settings={root}/settings.json
SwiftGateScriptAlias /emb-headers {site}/libSwiftGateTestApp.so
SwiftGateScriptAlias /dmn {site}/libExampleSite.so process-group=fwd
SwiftGateScriptAlias /dmn-headers {site}/libSwiftGateTestApp.so process-group=fwd
SwiftGateScriptAlias /realip {site}/libExampleSite.so settings={root}/settings.json
SwiftGateScriptAlias /plain {site}/libExampleSite.so settings={root}/settings.json
SwiftGateScriptAlias /nobody {site}/libExampleSite.so settings={root}/settings.json

SwiftGateTrustedProxies 127.0.0.1 10.0.0.0/8
SwiftGateTrustedProxyHeaders %(headers)s

<Location /realip>
    SwiftGateTrustedProxyHeaders X-Real-IP X-Forwarded-For
</Location>
<Location /plain>
    SwiftGateTrustedProxyHeaders X-Client-IP
</Location>
<Location /nobody>
    SwiftGateTrustedProxies 192.0.2.1
</Location>
<Directory {site}>
    Require all granted
</Directory>
""" % {"headers": HEADERS}

FORWARDED = {
    "X-Forwarded-For": "203.0.113.7, 10.1.2.3",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "www.example.org:8443",
    "X-Forwarded-Port": "8443",
    "X-Real-IP": "198.51.100.9",
}


@pytest.fixture(scope="module")
def apache():
    server = Apache(SITE)
    path = os.path.join(server.root, "settings.json")
    with open(path, "w") as f:
        json.dump({"database": {"path": os.path.join(server.root, "data", "notes.sqlite")}}, f)
    os.chmod(path, 0o644)
    yield server.start()
    server.cleanup()


def fetch(apache, path, headers, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", apache.port, timeout=30,
                                      source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, body
        return json.loads(body)
    finally:
        conn.close()


@pytest.mark.parametrize("mode", ["emb", "dmn"])
def test_a_trusted_proxy_rewrites_address_scheme_host_and_port(apache, mode):
    env = fetch(apache, "/%s/env" % mode, FORWARDED)
    # 10.1.2.3 is a trusted proxy too, so the client is the hop before it.
    assert env["REMOTE_ADDR"] == "203.0.113.7"
    assert env["swiftgate.url_scheme"] == "https"
    assert env["HTTPS"] == "on"
    assert env["REQUEST_SCHEME"] == "https"
    assert env["HTTP_HOST"] == "www.example.org:8443"
    assert env["SERVER_NAME"] == "www.example.org"
    assert env["SERVER_PORT"] == "8443"
    # The application may still read the chain itself.
    assert env["HTTP_X_FORWARDED_FOR"] == "203.0.113.7, 10.1.2.3"


@pytest.mark.parametrize("mode", ["emb", "dmn"])
def test_an_untrusted_peer_cannot_pose_as_a_proxy(apache, mode):
    env = fetch(apache, "/%s/env" % mode, FORWARDED, source="127.0.0.2")
    assert env["REMOTE_ADDR"] == "127.0.0.2"
    assert env["swiftgate.url_scheme"] == "http"
    assert "HTTPS" not in env
    assert env["HTTP_HOST"] == "127.0.0.1:%d" % apache.port
    assert env["SERVER_PORT"] == str(apache.port)
    for header in HEADERS.split():
        assert "HTTP_" + header.upper().replace("-", "_") not in env


@pytest.mark.parametrize("mode", ["emb", "dmn"])
def test_header_fields_follow_the_same_rules(apache, mode):
    # The application lists field names lower-cased.
    untrusted = fetch(apache, "/%s-headers/headers" % mode, FORWARDED, source="127.0.0.2")
    assert not {name.lower() for name in FORWARDED} & set(untrusted)
    assert untrusted["host"] == "127.0.0.1:%d" % apache.port
    trusted = fetch(apache, "/%s-headers/headers" % mode, FORWARDED)
    assert trusted["x-forwarded-for"] == FORWARDED["X-Forwarded-For"]
    assert trusted["host"] == "www.example.org:8443"


def test_the_first_listed_address_header_wins(apache):
    env = fetch(apache, "/realip/env", FORWARDED)
    assert env["REMOTE_ADDR"] == "198.51.100.9"
    # Headers this location does not list are left alone: no rewrite.
    assert env["swiftgate.url_scheme"] == "http"
    assert env["HTTP_X_FORWARDED_PROTO"] == "https"


def test_every_hop_trusted_gives_the_leftmost(apache):
    env = fetch(apache, "/emb/env", {"X-Forwarded-For": "10.9.9.9,127.0.0.1"})
    assert env["REMOTE_ADDR"] == "10.9.9.9"


def test_underscore_spelling_is_not_a_forwarding_header(apache):
    env = fetch(apache, "/emb/env", {"X_Forwarded_For": "203.0.113.66"}, source="127.0.0.2")
    assert env["REMOTE_ADDR"] == "127.0.0.2"
    assert "HTTP_X_FORWARDED_FOR" not in env
    fields = fetch(apache, "/dmn-headers/headers", {"X_Forwarded_For": "203.0.113.66"})
    assert "x-forwarded-for" not in fields


@pytest.mark.parametrize("value", ["not-an-address", "203.0.113.7:4444", "1.2.3.4, junk", ""])
def test_a_bad_value_from_a_trusted_proxy_is_ignored_and_logged(apache, value):
    env = fetch(apache, "/emb/env", {"X-Forwarded-For": value, "X-Forwarded-Proto": "gopher"})
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["swiftgate.url_scheme"] == "http"
    assert apache.wait_for_log("X-Forwarded-Proto from trusted proxy 127.0.0.1 ignored")
    if value:
        assert apache.wait_for_log("'%s' is not a valid value" % value)


@pytest.mark.parametrize("host", ["evil.example/path", "a b", "[::1", "host:port"])
def test_a_bad_forwarded_host_is_ignored(apache, host):
    env = fetch(apache, "/emb/env", {"X-Forwarded-Host": host})
    assert env["HTTP_HOST"] == "127.0.0.1:%d" % apache.port


def test_forwarded_ipv6_client(apache):
    env = fetch(apache, "/emb/env", {"X-Forwarded-For": "[2001:db8::1]"})
    assert env["REMOTE_ADDR"] == "2001:db8::1"


def test_a_location_that_trusts_nobody_here_strips_everything(apache):
    env = fetch(apache, "/nobody/env", FORWARDED)
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert "HTTP_X_REAL_IP" not in env and "HTTP_X_FORWARDED_FOR" not in env


# Other spellings of the facts the listed headers tell, which a framework
# might read: never believed, removed once their kind is trusted.
SPOOFED = {
    "Forwarded": "for=203.0.113.66;proto=https;host=evil.example",
    "True-Client-IP": "203.0.113.67",
    "X-Cluster-Client-IP": "203.0.113.68",
    "X-Forwarded-Scheme": "https",
    "X-Scheme": "https",
    "X-Forwarded-SSL": "on",
    "X-Host": "evil.example",
    "X-Forwarded-Server": "evil.example",
}


def cgi(header):
    return "HTTP_" + header.upper().replace("-", "_")


def test_headers_of_an_untrusted_kind_pass_untouched(apache):
    # /plain trusts X-Client-IP, a client address: the scheme is no trusted
    # kind there, so its headers are the application's own business.
    env = fetch(apache, "/plain/env", {"X-Forwarded-Proto": "https", "X-Scheme": "https"}, source="127.0.0.2")
    assert env["HTTP_X_FORWARDED_PROTO"] == "https"
    assert env["HTTP_X_SCHEME"] == "https"
    assert env["swiftgate.url_scheme"] == "http"


@pytest.mark.parametrize("source", ["127.0.0.1", "127.0.0.2"])
def test_every_other_header_of_a_trusted_kind_is_removed(apache, source):
    # /plain trusts X-Client-IP alone: whoever sends them, every other
    # client-address header is removed, so an application reading
    # X-Forwarded-For or Forwarded cannot be fooled.
    env = fetch(apache, "/plain/env", {"X-Forwarded-For": "203.0.113.7", "X-Client-IP": "198.51.100.1",
                                       "X-Real-IP": "198.51.100.2", "Forwarded": "for=203.0.113.66",
                                       "True-Client-IP": "203.0.113.67"}, source=source)
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded", "True-Client-IP"):
        assert cgi(header) not in env, header
    if source == "127.0.0.1":
        assert env["HTTP_X_CLIENT_IP"] == "198.51.100.1"
        assert env["REMOTE_ADDR"] == "198.51.100.1"
    else:
        assert "HTTP_X_CLIENT_IP" not in env
        assert env["REMOTE_ADDR"] == "127.0.0.2"


@pytest.mark.parametrize("mode", ["emb", "dmn"])
@pytest.mark.parametrize("source", ["127.0.0.1", "127.0.0.2"])
def test_other_spellings_never_reach_the_application(apache, mode, source):
    headers = dict(FORWARDED, **SPOOFED)
    env = fetch(apache, "/%s/env" % mode, headers, source=source)
    for header in SPOOFED:
        assert cgi(header) not in env, header
    fields = fetch(apache, "/%s-headers/headers" % mode, headers, source=source)
    assert not {name.lower() for name in SPOOFED} & set(fields)
    # The listed ones still pass from the trusted proxy alone.
    assert ("x-forwarded-for" in fields) == (source == "127.0.0.1")


@pytest.mark.parametrize("line, message", [
    ("SwiftGateTrustedProxies 10.0.0.300", "'10.0.0.300' is not an IP address or network"),
    ("SwiftGateTrustedProxies 10.0.0.0/99", "'10.0.0.0/99' is not an IP address or network"),
    ("SwiftGateTrustedProxies proxy.example.com", "'proxy.example.com' is not an IP address"),
    ("SwiftGateTrustedProxyHeaders X-Forwarded-Server", "unknown header 'X-Forwarded-Server'"),
    ("SwiftGateTrustedProxyHeaders X_Forwarded_For", "unknown header 'X_Forwarded_For'"),
])
def test_bad_directives_fail_configtest(line, message):
    server = Apache(line + "\n")
    try:
        rc, out = server.configtest()
        assert rc != 0
        assert message in out
    finally:
        server.cleanup()
