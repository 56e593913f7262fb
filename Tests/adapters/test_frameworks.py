"""Hummingbird and Vapor applications through mod_swiftgate: each test runs
against both frameworks, in embedded mode (event, prefork) and in a daemon
group (conftest.py)."""

import json
import re
import socket
import zlib

import pytest

from harness.env import http_request, raw_exchange, wait_until

from conftest import USER, basic_auth

MiB = 1024 * 1024


def get(apache, path, **kwargs):
    return http_request(apache.port, "GET", path, **kwargs)


def pattern(size):
    """The bytes the examples' GET /files/{bytes} sends: i % 251 at offset i."""
    period = bytes(range(251))
    return (period * (size // 251 + 1))[:size]


# ---- The todo examples (examples/hummingbird-todos, examples/vapor-todos) ----

def test_every_todo_route(apache):
    status, _, _ = http_request(apache.port, "DELETE", "/api/todos")
    assert status == 204
    created = []
    for title, order in (("milk", 2), ("bread", 1)):
        status, headers, body = http_request(apache.port, "POST", "/api/todos",
                                             body=json.dumps({"title": title, "order": order}),
                                             headers={"Content-Type": "application/json"})
        assert status == 201, body
        todo = json.loads(body)
        assert todo["title"] == title and todo["order"] == order and todo["completed"] is False
        # The mount point reaches the application as SCRIPT_NAME; the
        # router matched the path below it.
        assert todo["url"] == "http://127.0.0.1:%d/api/todos/%s" % (apache.port, todo["id"])
        assert headers["location"] == todo["url"]
        created.append(todo)

    status, _, body = get(apache, "/api/todos")
    assert status == 200
    assert [t["title"] for t in json.loads(body)] == ["bread", "milk"]

    milk = created[0]
    status, _, body = get(apache, "/api/todos/" + milk["id"])
    assert status == 200 and json.loads(body) == milk

    status, _, body = http_request(apache.port, "PATCH", "/api/todos/" + milk["id"],
                                   body=json.dumps({"completed": True, "title": "oat milk"}),
                                   headers={"Content-Type": "application/json"})
    assert status == 200, body
    assert json.loads(body) == dict(milk, completed=True, title="oat milk")

    status, _, _ = http_request(apache.port, "DELETE", "/api/todos/" + milk["id"])
    assert status == 204
    status, _, _ = http_request(apache.port, "DELETE", "/api/todos/" + milk["id"])
    assert status == 404
    status, _, body = get(apache, "/api/todos")
    assert [t["title"] for t in json.loads(body)] == ["bread"]


def test_todo_errors_are_the_frameworks_own(apache):
    status, _, _ = get(apache, "/api/todos/not-a-uuid")
    assert status == 400
    status, _, _ = http_request(apache.port, "POST", "/api/todos", body=json.dumps({"title": ""}),
                                headers={"Content-Type": "application/json"})
    assert status == 400
    status, _, _ = http_request(apache.port, "POST", "/api/todos", body="{not json",
                                headers={"Content-Type": "application/json"})
    assert status == 400
    status, _, _ = get(apache, "/api/no/such/route")
    assert status == 404
    status, _, _ = get(apache, "/api/todos/00000000-0000-0000-0000-000000000000")
    # Hummingbird answers a handler's nil with 204, Vapor's example throws
    # Abort(.notFound).
    assert status == (204 if apache.framework == "hummingbird" else 404)


def test_a_10_mib_download_streams_intact(apache):
    size = 10 * MiB
    status, headers, body = get(apache, "/api/files/%d" % size)
    assert status == 200
    assert headers["content-length"] == str(size)
    assert len(body) == size
    assert body == pattern(size)


def test_a_10_mib_upload_arrives_intact(apache):
    data = bytes((i * 7 + 3) % 256 for i in range(10 * MiB))
    status, _, body = http_request(apache.port, "POST", "/api/files", body=data,
                                   headers={"Content-Type": "application/octet-stream"})
    assert status == 200, body[:300]
    assert json.loads(body) == {"bytes": len(data), "crc32": zlib.crc32(data)}


def test_a_chunked_upload_arrives_intact(apache):
    pieces = [bytes([n]) * (50_000 + n) for n in range(20)]
    request = (b"POST /api/files HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
               b"Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
    for piece in pieces:
        request += b"%x\r\n%s\r\n" % (len(piece), piece)
    request += b"0\r\n\r\n"
    response = raw_exchange(apache.port, request)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    if b"transfer-encoding: chunked" in head.lower():
        body = dechunk(body)
    whole = b"".join(pieces)
    assert json.loads(body) == {"bytes": len(whole), "crc32": zlib.crc32(whole)}


def dechunk(body):
    out = b""
    while True:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out += rest[:size]
        body = rest[size + 2:]


def test_head_has_the_get_headers_and_no_body(apache):
    status, headers, body = http_request(apache.port, "HEAD", "/api/files/5000")
    assert status == 200
    assert body == b""
    assert headers.get("content-length") == "5000"


@pytest.mark.expect_log("AH01617")
def test_admin_is_behind_apaches_basic_auth(apache):
    status, headers, _ = get(apache, "/api/admin")
    assert status == 401
    assert "basic" in headers["www-authenticate"].lower()
    status, _, _ = get(apache, "/api/admin", headers=basic_auth(password="wrong"))
    assert status == 401
    status, _, body = get(apache, "/api/admin", headers=basic_auth())
    assert status == 200
    assert body == ("Signed in as %s\n" % USER).encode()


# ---- The adapters' test applications ----

def test_path_parameters_and_json_out(apache):
    status, headers, body = get(apache, "/app/todos/42")
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {"id": 42, "title": "todo"}


def test_json_in_and_out(apache):
    status, _, body = http_request(apache.port, "POST", "/app/todos", body=json.dumps({"id": 7, "title": "milk"}),
                                   headers={"Content-Type": "application/json"})
    assert status == 201
    assert json.loads(body) == {"id": 7, "title": "MILK"}


def test_middleware_runs_in_order(apache):
    response = raw_exchange(apache.port, b"GET /app/admin/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                         b"Connection: close\r\n\r\n")
    head = response.partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 200"), head
    # Each middleware appends its name after the inner ones ran: innermost
    # first, the route group's middleware innermost of all.
    # (In daemon mode Apache folds the repeated field into one line.)
    values = b", ".join(re.findall(rb"(?im)^x-order: ([^\r\n]+)", head))
    assert [v.strip() for v in values.split(b",")] == [b"group", b"inner", b"outer"]


def test_a_framework_error_keeps_its_status_and_message(apache):
    status, _, body = get(apache, "/app/missing")
    assert status == 404
    assert b"no such todo" in body


@pytest.mark.expect_log("Boom")
def test_an_unknown_error_is_500_and_the_next_request_is_served(apache):
    status, _, _ = get(apache, "/app/boom")
    assert status == 500
    status, _, body = get(apache, "/app/hello")
    assert status == 200
    assert body == b"Hello, world!\n"


def test_remote_user_after_basic_auth(apache):
    status, _, body = get(apache, "/app/whoami", headers=basic_auth())
    assert status == 200
    assert body.startswith(("%s from 127.0.0.1" % USER).encode())


def test_repeated_header_fields_both_ways(apache):
    request = (b"GET /app/tags HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Tag: one\r\nX-Tag: two\r\n"
               b"Connection: close\r\n\r\n")
    response = raw_exchange(apache.port, request)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    # Apache folds repeated request fields into one, comma-separated.
    assert body.replace(b", ", b"|").replace(b",", b"|") == b"one|two"
    assert re.findall(rb"(?im)^set-cookie: (\S+)\r?$", head) == [b"a=1", b"b=2"]


def test_query_strings_reach_the_framework(apache):
    if apache.framework == "hummingbird":
        status, _, body = get(apache, "/app/query?tag=a&tag=b%20c")
        assert (status, body) == (200, b"a|b c")
    else:
        status, _, body = get(apache, "/app/query?name=b%20c")
        assert (status, body) == (200, b"b c name=b%20c")


def test_percent_encoded_paths_below_the_mount(apache):
    status, _, body = get(apache, "/app/path/a%20b")
    assert status == 200
    # The router sees the path below the mount point, still encoded, as on
    # the framework's own server: Hummingbird hands the parameter over
    # encoded, Vapor decodes it.
    assert body == (b"/path/a%20b a%20b" if apache.framework == "hummingbird" else b"/path/a%20b a b")


def test_a_router_exported_alone(apache):
    status, _, body = get(apache, "/router/hello")
    assert (status, body) == (200, b"Hello, world!\n")


@pytest.mark.expect_log("Protocol upgrades", "101 Switching Protocols", "cannot hand the connection over")
def test_an_upgrade_is_501_not_a_crash(apache):
    status, _, _ = get(apache, "/app/upgrade", headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                                         "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                                         "Sec-WebSocket-Version": "13"})
    assert status == 501
    status, _, _ = get(apache, "/app/hello")
    assert status == 200


def test_streamed_responses_arrive_whole(apache):
    status, _, body = get(apache, "/app/download?n=50")
    assert status == 200
    assert body == b"x" * 50_000


def test_concurrent_requests(apache):
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: get(apache, "/app/todos/%d" % n), range(64)))
    assert [json.loads(body)["id"] for status, _, body in results if status == 200] == list(range(64))


def test_vapor_requests_run_on_the_serving_thread(apache):
    if apache.framework != "vapor":
        pytest.skip("Vapor's event loops only")
    # The request's event loop is the host thread serving it: the handler,
    # a timer scheduled on the loop and the timer's continuation all run
    # there, request after request.
    for _ in range(3):
        status, _, body = get(apache, "/app/event-loop")
        assert (status, body) == (200, b"HostThreadEventLoop true true true")
