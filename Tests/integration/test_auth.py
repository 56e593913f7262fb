"""Basic auth, groups and host access answered by the application's
AuthProvider, against a real Apache: embedded and in a daemon group."""

import base64
import json

import pytest

from harness import logs
from harness.apache import Apache
from harness.env import wait_until

# {where} is "" for embedded mode or " process-group=authd" for daemon mode.
PROTECTED = """
SwiftGateScriptAlias {prefix}/app {site}/libSwiftGateTestApp.so callable-object=auth_application{where}
<Location {prefix}/app>
    AuthType Basic
    AuthName "SwiftGate Test"
    AuthBasicProvider swiftgate
    SwiftGateAuthUserScript {site}/libSwiftGateTestApp.so callable-object=auth_application{where}
    SwiftGateAuthGroupScript {site}/libSwiftGateTestApp.so callable-object=auth_application{where}
    Require valid-user
</Location>
<Location {prefix}/app/staff>
    Require swiftgate-group staff admins
</Location>
<Location {prefix}/app/managers>
    Require swiftgate-group managers
</Location>
<Location {prefix}/app/open>
    Require all granted
    SwiftGateAccessScript {site}/libSwiftGateTestApp.so callable-object=auth_application{where}
</Location>
SwiftGateScriptAlias {prefix}/cached {site}/libSwiftGateTestApp.so callable-object=auth_application{where}
<Location {prefix}/cached>
    AuthType Basic
    AuthName "Cached"
    AuthBasicProvider socache swiftgate
    AuthnCacheProvideFor swiftgate
    AuthnCacheTimeout 300
    SwiftGateAuthUserScript {site}/libSwiftGateTestApp.so callable-object=auth_application{where}
    Require valid-user
</Location>
"""

SITE = """
AuthnCacheSOCache shmcb
SwiftGateDaemonProcess authd threads=4
""" + PROTECTED.replace("{prefix}", "").replace("{where}", "") \
    + PROTECTED.replace("{prefix}", "/d").replace("{where}", " process-group=authd") + """
<Directory {site}>
    Require all granted
</Directory>
"""


@pytest.fixture(scope="module")
def apache():
    server = Apache(SITE).start()
    yield server
    server.cleanup()


def auth(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


@pytest.fixture(params=["", "/d"], ids=["embedded", "daemon"])
def prefix(request):
    return request.param


def test_no_credentials_is_401_with_the_realm(apache, prefix):
    status, headers, _ = apache.request("GET", prefix + "/app/whoami")
    assert status == 401
    assert headers["www-authenticate"] == 'Basic realm="SwiftGate Test"'


@pytest.mark.expect_log("AH01617: user ann: authentication failure")
def test_wrong_password_is_401(apache, prefix):
    assert apache.request("GET", prefix + "/app/whoami", headers=auth("ann", "wrong"))[0] == 401


@pytest.mark.expect_log("AH01618: user nobody-here not found")
def test_unknown_user_is_401(apache, prefix):
    assert apache.request("GET", prefix + "/app/whoami", headers=auth("nobody-here", "x"))[0] == 401


def test_right_password_and_the_app_sees_remote_user(apache, prefix):
    status, _, body = apache.request("GET", prefix + "/app/whoami", headers=auth("ann", "secret"))
    assert status == 200, body
    seen = json.loads(body)
    assert seen["remoteUser"] == "ann"
    assert seen["authType"] == "Basic"
    assert seen["authorization"] == ""  # hidden from the application


def test_canonical_name_becomes_remote_user(apache, prefix):
    status, _, body = apache.request("GET", prefix + "/app/whoami", headers=auth("ANN", "secret"))
    assert status == 200
    assert json.loads(body)["remoteUser"] == "ann"


@pytest.mark.expect_log("AH01617: user bob: authentication failure")
def test_inactive_user_is_401(apache, prefix):
    assert apache.request("GET", prefix + "/app/whoami", headers=auth("bob", "secret"))[0] == 401


@pytest.mark.expect_log("AH01631: user ann: authorization failure")
def test_group_require_passes_and_fails(apache, prefix):
    assert apache.request("GET", prefix + "/app/staff/x", headers=auth("ann", "secret"))[0] == 200
    assert apache.request("GET", prefix + "/app/managers/x", headers=auth("ann", "secret"))[0] == 401


@pytest.mark.expect_log("SG00610: client denied by SwiftGateAccessScript")
def test_access_script_403(apache, prefix):
    assert apache.request("GET", prefix + "/app/open/x")[0] == 200
    assert apache.request("GET", prefix + "/app/open/x", headers={"X-Block": "1"})[0] == 403
    assert apache.wait_for_log("client denied by SwiftGateAccessScript")


# The application's check fails and the module logs the outcome (SG00605,
# SG00609).
@pytest.mark.expect_log("the user store is unreachable (test)", "SG00605", "SG00609")
def test_a_provider_error_is_500_and_logged(apache, prefix):
    if prefix:
        logs.expect_errors("SG00512")  # the daemon's answer, a 500
    assert apache.request("GET", prefix + "/app/whoami", headers=auth("crash", "x"))[0] == 500
    assert apache.wait_for_log("the user store is unreachable (test)")
    assert apache.request("GET", prefix + "/app/open/x", headers={"X-Block": "crash"})[0] == 500


# A group or access check whose store is down answers 503, never "denied"
# (401/403) and never a plain 500, and says which check it was.
@pytest.mark.expect_log("SG00612", "SG00613", "group store is down", "access list is down")
def test_an_unavailable_group_or_access_check_is_503(apache, prefix):
    start = len(apache.log())
    status, headers, _ = apache.request("GET", prefix + "/app/staff/x", headers=auth("down", "secret"))
    assert status == 503 and "www-authenticate" not in headers
    assert apache.request("GET", prefix + "/app/open/x", headers={"X-Block": "down"})[0] == 503
    groups = "SG00612: finding the groups of user 'down' for %s/app/staff/x" % prefix
    access = "SG00613: the access check for %s/app/open/x could not be made" % prefix
    assert wait_until(lambda: groups in apache.log()[start:] and access in apache.log()[start:], 5)
    # The next request is answered as before.
    assert apache.request("GET", prefix + "/app/staff/x", headers=auth("ann", "secret"))[0] == 200


def test_the_check_never_sees_the_authorization_header(apache, prefix):
    apache.request("GET", prefix + "/app/whoami", headers=auth("ann", "secret"))
    lines = [l for l in apache.log().splitlines() if "password check for 'ann'" in l]
    assert lines and all("secret seen: false" in l for l in lines)


@pytest.mark.expect_log("AH01617: user ann: authentication failure")
def test_socache_hit_does_not_call_the_provider_again(apache, prefix):
    user = "ann"
    before = apache.log().count("password check for '%s'" % user)
    for _ in range(5):
        status, _, body = apache.request("GET", prefix + "/cached/whoami", headers=auth(user, "secret"))
        assert status == 200
    assert apache.wait_for_log("password check for '%s'" % user)
    after = apache.log().count("password check for '%s'" % user)
    # shmcb is shared by all children: one real check, then cache hits.
    assert after - before == 1, (before, after)
    # A wrong password still fails against the cached hash.
    assert apache.request("GET", prefix + "/cached/whoami", headers=auth(user, "nope"))[0] == 401
