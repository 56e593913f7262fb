"""`swiftgate serve --http`: the development server answers as Apache does."""

import http.client
import json
import os
import select
import shutil
import socket
import subprocess
import threading
import time

import pytest

from harness.cli import CLI, Scratch, start_dev_server, start_express
from harness.env import SERVE_AS_ROOT, raw_exchange, read_until_closed

# Variables both servers must give the application, with the same value.
SAME_VALUES = ["REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "SERVER_PROTOCOL",
               "GATEWAY_INTERFACE", "REMOTE_ADDR", "SERVER_NAME", "SERVER_PORT", "CONTENT_TYPE",
               "CONTENT_LENGTH", "HTTP_X_CUSTOM", "HTTP_HOST", "swiftgate.url_scheme", "swiftgate.version",
               "swiftgate.callable_object", "swiftgate.application_group"]
# Variables both must have, values aside.
SAME_KEYS = ["REMOTE_PORT", "SERVER_ADDR", "SERVER_SOFTWARE", "swiftgate.multithread",
             "swiftgate.multiprocess", "swiftgate.process_group"]


@pytest.fixture(scope="module")
def dev():
    """The example site under the development server."""
    side = Scratch()
    server = None
    try:
        server = start_dev_server(side.path("libExampleSite.so"), "--settings", side.settings)
        yield server
    finally:
        if server:
            server.cleanup()
        side.cleanup()


@pytest.fixture(scope="module")
def pair(dev):
    """The example site under Apache (express) and under the development
    server, each with a database of its own."""
    side = Scratch()
    express = None
    try:
        express = start_express(side.path("libExampleSite.so"), "--settings", side.settings)
        yield express, dev
    finally:
        if express:
            express.cleanup()
            shutil.rmtree(express.server_root, ignore_errors=True)
        side.cleanup()


def both(pair, *args, **kwargs):
    return [server.request(*args, **kwargs) for server in pair]


def test_home_page_is_the_same(pair):
    (s1, h1, b1), (s2, h2, b2) = both(pair, "GET", "/")
    assert s1 == s2 == 200
    assert b1 == b2 and b"Express Site" in b1
    assert h1["content-type"] == h2["content-type"]
    assert h2["content-length"] == str(len(b2))


def test_environ_has_the_same_variables(pair):
    results = []
    for server in pair:
        status, _, body = server.request(
            "GET", "/env?a=1&b=%20x",
            headers={"X-Custom": "yes", "X_Bad_Name": "dropped", "Content-Type": "text/plain",
                     "Content-Length": "0", "Host": "localhost:8080"})
        assert status == 200
        results.append(json.loads(body))
    apache_env, dev_env = results
    for key in SAME_VALUES:
        assert apache_env.get(key) == dev_env.get(key), key
    for key in SAME_KEYS:
        assert key in apache_env and key in dev_env, key
    for environ in results:
        assert not any("BAD" in key.upper() for key in environ)
    assert dev_env["PATH_INFO"] == "/env" and dev_env["SCRIPT_NAME"] == ""


def test_echo_of_a_large_body_is_the_same(pair):
    body = os.urandom(1 << 20)
    for status, headers, data in both(pair, "POST", "/echo", body=body,
                                      headers={"Content-Type": "application/octet-stream"}):
        assert status == 200 and data == body


def test_chunked_request_body(pair):
    body = os.urandom(300_000)
    for server in pair:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("POST", "/echo", body=iter([body[:1000], body[1000:]]), encode_chunked=True,
                     headers={"Transfer-Encoding": "chunked"})
        response = conn.getresponse()
        assert response.status == 200 and response.read() == body
        conn.close()


def test_stream_is_the_same(pair):
    (s1, _, b1), (s2, h2, b2) = both(pair, "GET", "/stream?n=100")
    assert s1 == s2 == 200 and b1 == b2
    assert b1.count(b"\n") == 100
    assert h2.get("transfer-encoding") == "chunked"


def test_notes_post_then_get(pair):
    for server in pair:
        status, headers, _ = server.request("POST", "/notes", body="text=a+note+from+the+test",
                                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303 and headers["location"].endswith("/notes")
        status, _, body = server.request("GET", "/notes")
        assert status == 200 and b"a note from the test" in body


def test_head_has_no_body(dev):
    conn = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=10)
    conn.request("HEAD", "/")
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b""
    assert int(response.getheader("Content-Length")) > 0
    # The connection is still good for another request.
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 200 and b"Express Site" in response.read()
    conn.close()


def test_keep_alive_serves_many_requests_on_one_connection(dev):
    conn = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=10)
    for _ in range(5):
        status, _, body = dev.request("GET", "/stream?n=3", conn=conn)
        assert status == 200 and body.count(b"\n") == 3
    conn.close()


def test_bad_requests_get_400(dev):
    assert raw_exchange(dev.port, b"NOT A REQUEST\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw_exchange(dev.port, b"GET / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")  # no Host
    assert raw_exchange(dev.port, b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    smuggle = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert raw_exchange(dev.port, smuggle).startswith(b"HTTP/1.1 400 ")


@pytest.mark.parametrize("fields,logged", [
    (b"Transfer-Encoding:\r\n", "empty Transfer-Encoding"),
    (b"Transfer-Encoding: gzip\r\n", "Transfer-Encoding 'gzip'"),
    (b"Transfer-Encoding: gzip, chunked\r\n", "Transfer-Encoding 'gzip, chunked'"),
    (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding 'chunked', 'chunked'"),
    (b"Transfer-Encoding: \r\nContent-Length: 5\r\n", "both Transfer-Encoding and Content-Length"),
])
def test_transfer_codings_other_than_chunked_get_400(dev, fields, logged):
    # An empty Transfer-Encoding is not an absent one: the 5 bytes after
    # the head must never be read as a body (or as the next request).
    request = b"POST /echo HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\nhello"
    answer = raw_exchange(dev.port, request)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
    assert b"Connection: close" in answer
    assert dev.wait_for_output("answered 400: " + logged), dev.output()[-2000:]


def test_transfer_encoding_in_http10_gets_400(dev):
    for value in (b"chunked", b""):
        request = b"POST /echo HTTP/1.0\r\nTransfer-Encoding: " + value + b"\r\n\r\n0\r\n\r\n"
        assert raw_exchange(dev.port, request).startswith(b"HTTP/1.1 400 ")


@pytest.fixture(scope="module")
def one_worker():
    """The example site under a development server with one worker thread
    and a 2 s head deadline."""
    side = Scratch()
    server = None
    try:
        server = start_dev_server(side.path("libExampleSite.so"), "--settings", side.settings,
                                  "--threads", "1", "--head-timeout", "2")
        yield server
    finally:
        if server:
            server.cleanup()
        side.cleanup()


def drip(port, data, interval=0.5, limit=10.0):
    """Sends `data` one byte every `interval` seconds until the server
    answers or closes (or `limit` seconds pass); returns (what came back,
    seconds from the first byte to the answer or close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as s:
        started = time.monotonic()
        for index in range(len(data)):
            if time.monotonic() - started > limit:
                break
            try:
                s.sendall(data[index:index + 1])
            except OSError:
                break
            if select.select([s], [], [], interval)[0]:
                break
        answer = read_until_closed(s, limit)
        return answer, time.monotonic() - started


def test_a_head_sent_a_byte_at_a_time_is_cut_at_the_head_timeout(one_worker):
    # 170 bytes at 2 a second would hold the only worker for 85 s.
    request = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 140 + b"\r\n\r\n"
    served = {}

    def second_client():
        time.sleep(0.5)  # behind the dripping client, which has the worker
        started = time.monotonic()
        status, _, body = one_worker.request("GET", "/", timeout=15)
        served.update(status=status, seconds=time.monotonic() - started, body=body)

    waiter = threading.Thread(target=second_client)
    waiter.start()
    try:
        answer, seconds = drip(one_worker.port, request)
    finally:
        waiter.join(timeout=20)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert 1.5 <= seconds < 5
    assert served.get("status") == 200 and b"Express Site" in served["body"], served
    assert served["seconds"] < 5
    assert one_worker.wait_for_output("answered 408: request head not complete within 2.0 s")


def test_empty_lines_a_byte_at_a_time_are_cut_without_an_answer(one_worker):
    answer, seconds = drip(one_worker.port, b"\r\n" * 100)
    assert answer == b""
    assert seconds < 5
    assert one_worker.request("GET", "/", timeout=15)[0] == 200


def test_head_timeout_is_in_the_help():
    done = subprocess.run([CLI, "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert "--head-timeout" in done.stdout and "408" in done.stdout
    refused = subprocess.run([CLI, "serve", "lib.so", "--fastcgi", "127.0.0.1:1", "--head-timeout", "2"],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "--head-timeout is for --http" in refused.stderr


def test_huge_headers_get_431(dev):
    request = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n"
    assert raw_exchange(dev.port, request).startswith(b"HTTP/1.1 431 ")


def test_missing_library_is_named(tmp_path):
    missing = str(tmp_path / "libNothing.so")
    done = subprocess.run([CLI, "serve", missing, "--http", "127.0.0.1:1", *SERVE_AS_ROOT], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode != 0 and missing in done.stderr
