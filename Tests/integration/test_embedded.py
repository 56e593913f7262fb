"""Embedded mode against a real Apache, under the event and prefork MPMs."""

import hashlib
import json
import os
import socket
import threading
import time

import pytest


def test_home_page(apache):
    status, headers, body = apache.request("GET", "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert b"Integration Site" in body  # the title comes from settings.json
    assert int(headers["content-length"]) == len(body)


def test_head_sends_headers_only(apache):
    _, get_headers, get_body = apache.request("GET", "/")
    status, headers, body = apache.request("HEAD", "/")
    assert status == 200
    assert body == b""
    assert headers["content-length"] == get_headers["content-length"] == str(len(get_body))


def test_environ_at_the_site_root(apache):
    status, _, body = apache.request("GET", "/env?a=1&b=%20x")
    assert status == 200
    env = json.loads(body)
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/env"
    assert env["QUERY_STRING"] == "a=1&b=%20x"
    assert env["REQUEST_METHOD"] == "GET"
    assert env["REQUEST_URI"] == "/env?a=1&b=%20x"
    assert env["SERVER_PORT"] == str(apache.port)
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    # Without a subrequest: the document root joined with PATH_INFO.
    assert env["PATH_TRANSLATED"] == env["DOCUMENT_ROOT"] + "/env"
    assert env["swiftgate.url_scheme"] == "http"
    assert env["swiftgate.version"] == "1.0"
    assert env["swiftgate.process_group"] == ""
    assert env["swiftgate.callable_object"] == "swiftgate_application"
    assert env["swiftgate.multithread"] == ("1" if apache.mpm != "prefork" else "0")


def info(apache, path, **kw):
    status, headers, body = apache.request("GET", path, **kw)
    assert status == 200, body
    return json.loads(body)


def test_script_name_and_path_info_at_a_sub_mount(apache):
    got = info(apache, "/sub/app/info/deeper/still?x=1")
    assert got["scriptName"] == "/sub/app"
    assert got["pathInfo"] == "/info/deeper/still"
    assert got["query"] == "x=1"
    assert got["target"] == "/sub/app/info/deeper/still?x=1"


def test_mount_point_itself_has_empty_path_info(apache):
    status, _, body = apache.request("GET", "/sub/app")
    # The test application routes "" to "/", which it does not serve.
    assert status == 404, body
    got = info(apache, "/sub/app/info")
    assert got["pathInfo"] == "/info"


def test_a_longer_name_is_not_the_mount(apache):
    # /sub/apple is not below /sub/app: the site root's application answers.
    status, _, body = apache.request("GET", "/sub/apple/info")
    assert status == 404
    assert body == b"Not Found\n"


def test_percent_encoded_path(apache):
    got = info(apache, "/sub/app/info/a%20b/%C3%A9?q=%2F")
    assert got["pathInfo"] == "/info/a b/\u00e9"
    assert got["query"] == "q=%2F"
    assert got["target"] == "/sub/app/info/a%20b/%C3%A9?q=%2F"


def test_alias_for_static_files_wins_over_the_root_mount(apache):
    status, _, body = apache.request("GET", "/static/hello.txt")
    assert status == 200
    assert body == b"static file\n"


def test_post_form_to_notes(apache):
    note = "note %f" % time.time()
    status, headers, _ = apache.request(
        "POST", "/notes", body="text=" + note.replace(" ", "+"),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303
    assert headers["location"] == "/notes"
    status, _, body = apache.request("GET", "/notes")
    assert status == 200
    assert note.encode() in body
    assert os.path.exists(os.path.join(apache.root, "data", "notes.sqlite"))


def test_empty_note_is_a_400(apache):
    status, _, _ = apache.request("POST", "/notes", body="text=+",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400


def test_ten_mib_upload_is_echoed_while_it_streams(apache):
    """Echoed bytes arrive while the upload is still being sent: the body is
    streamed both ways, never buffered whole."""
    size = 10 * 1024 * 1024
    piece = 1024 * 1024
    data = os.urandom(size)
    received = bytearray()
    echoed_before_end = []
    s = socket.create_connection(("127.0.0.1", apache.port), timeout=30)

    def reader():
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            received.extend(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % size)
        for offset in range(0, size, piece):
            s.sendall(data[offset:offset + piece])
            if offset == size - piece:
                break
            # Give the echo a moment (bounded) to come back before the rest.
            deadline = time.monotonic() + 5
            while len(received) < offset + piece // 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            echoed_before_end.append(len(received))
        thread.join(30)
    finally:
        s.close()
        thread.join(5)
    assert max(echoed_before_end) > size // 2, "the echo did not stream: %s" % echoed_before_end
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Transfer-Encoding: chunked" in head
    assert hashlib.sha256(dechunk(body)).digest() == hashlib.sha256(data).digest()


def dechunk(body):
    out = bytearray()
    while True:
        line, _, body = body.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[:size]
        body = body[size + 2:]


def test_chunked_request_body(apache):
    pieces = [os.urandom(n) for n in (1, 100, 5000, 70000, 3)]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    response = apache.raw(b"POST /sub/app/count HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                          b"Connection: close\r\n\r\n" + chunked)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), response[:300]
    assert body.strip() == str(sum(map(len, pieces))).encode()


def test_thousand_chunk_stream(apache):
    status, headers, body = apache.request("GET", "/stream?n=1000")
    assert status == 200
    assert headers.get("transfer-encoding") == "chunked"
    lines = body.decode().splitlines()
    assert lines == ["chunk %d" % i for i in range(1000)]


def test_writes_from_an_actor(apache):
    status, _, body = apache.request("GET", "/sub/app/actor-stream?n=300")
    assert status == 200
    assert body.decode().splitlines() == ["actor %d" % i for i in range(300)]


@pytest.mark.expect_log("application error in GET /sub/app/fail: boom: deliberate failure")
def test_application_error_is_500_and_the_next_request_is_served(apache):
    conn = apache.connection()
    try:
        status, _, _ = apache.request("GET", "/sub/app/fail", conn=conn)
        assert status == 500
        status, _, body = apache.request("GET", "/sub/app/info", conn=conn)
        assert status == 200
    finally:
        conn.close()
    assert apache.wait_for_log("boom: deliberate failure")
    for _ in range(20):
        assert apache.request("GET", "/sub/app/fail")[0] == 500
        assert apache.request("GET", "/sub/app/info")[0] == 200


@pytest.mark.expect_log("response body for GET /sub/app/fail-midstream failed: boom", "SG00309")
def test_failure_after_the_head_cuts_the_response(apache):
    response = apache.raw(b"GET /sub/app/fail-midstream HTTP/1.1\r\nHost: t\r\n\r\n")
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"partial body" in body
    assert not body.endswith(b"0\r\n\r\n"), "a cut response must not look complete"
    assert apache.wait_for_log("SG00309")


@pytest.mark.expect_log("SG00310", "SG00309")
def test_short_content_length_is_logged_and_the_connection_closed(apache):
    response = apache.raw(b"GET /sub/app/short-length HTTP/1.1\r\nHost: t\r\n\r\n", timeout=10)
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"Content-Length: 100" in head
    assert body == b"only ten\n\n"  # then the server closed: the client does not hang
    assert apache.wait_for_log("SG00310")
    assert apache.wait_for_log("SG00309")


@pytest.mark.expect_log("SG00310")
def test_short_content_length_before_anything_was_sent_is_a_500(apache):
    status, _, _ = apache.request("GET", "/sub/app/short-unflushed")
    assert status == 500


@pytest.mark.expect_log("SG00307", "SG00309", "failed: the body is longer than its Content-Length")
def test_long_content_length_is_cut_and_logged(apache):
    response = apache.raw(b"GET /sub/app/long-length HTTP/1.1\r\nHost: t\r\n\r\n", timeout=10)
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"Content-Length: 5\r\n" in head
    assert body == b"abcde"  # cut at the declared length, then closed
    assert apache.wait_for_log("SG00307")


@pytest.mark.expect_log("SG00307", "failed: the body is longer than its Content-Length")
def test_long_content_length_before_anything_was_sent_is_a_500(apache):
    assert apache.request("GET", "/sub/app/long-unflushed")[0] == 500


@pytest.mark.expect_log("declares Content-Length 3 but its body has 9 bytes")
def test_wrong_length_of_a_bytes_body_is_a_500(apache):
    status, _, _ = apache.request("GET", "/sub/app/wrong-length-bytes")
    assert status == 500
    assert apache.wait_for_log("declares Content-Length 3 but its body has 9 bytes")


@pytest.mark.expect_log("SG00306")
def test_bad_response_fields_are_refused_with_500(apache):
    assert apache.request("GET", "/raw/ok")[0] == 200
    for path in ("/raw/crlf-value", "/raw/nul-value", "/raw/bad-name"):
        status, headers, _ = apache.request("GET", path)
        assert status == 500, path
        assert "x-injected" not in headers
        assert "x-test" not in headers
    assert apache.wait_for_log("SG00306")


def test_swift_header_values_cannot_split_the_response(apache):
    response = apache.raw(b"GET /sub/app/split-header HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    head = response.partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 200")
    assert b"\r\nX-Injected" not in head


def test_authorization_is_hidden_by_default(apache):
    auth = {"Authorization": "Basic dXNlcjpwYXNz"}
    headers = info_headers(apache, "/sub/app/headers", auth)
    assert headers["host"]  # the dump has the fields, lower-cased
    assert "authorization" not in headers
    env = json.loads(apache.request("GET", "/env", headers=auth)[2])
    assert "HTTP_AUTHORIZATION" not in env


def test_authorization_is_passed_when_switched_on(apache):
    auth = {"Authorization": "Basic dXNlcjpwYXNz"}
    headers = info_headers(apache, "/passauth/headers", auth)
    assert headers["authorization"] == "Basic dXNlcjpwYXNz"


def info_headers(apache, path, headers):
    status, _, body = apache.request("GET", path, headers=headers)
    assert status == 200
    return json.loads(body)


def test_underscore_headers_do_not_pass_as_dashes(apache):
    env = json.loads(apache.request("GET", "/env", headers={"X_Forwarded_For": "6.6.6.6"})[2])
    assert "HTTP_X_FORWARDED_FOR" not in env


def test_middleware_runs_in_order_in_apache(apache):
    _, headers, _ = apache.request("GET", "/sub/app/info")
    assert headers["x-tags"] == "inner,outer"


def test_second_callable_object(apache):
    status, _, body = apache.request("GET", "/second/")
    assert status == 200
    assert body == b"second application\n"


@pytest.mark.expect_log("SG00312: cannot serve /broken/")
def test_failing_factory_is_a_500_with_its_reason_logged(apache):
    assert apache.request("GET", "/broken/")[0] == 500
    assert apache.wait_for_log("the test application refuses to start")


@pytest.mark.expect_log("SG00312: cannot serve /nosymbol/")
def test_missing_callable_object_is_a_500_naming_it(apache):
    assert apache.request("GET", "/nosymbol/")[0] == 500
    assert apache.wait_for_log("callable object 'no_such_symbol' not found")


@pytest.mark.expect_log("SG00312: cannot serve /mismatch/")
def test_abi_mismatch_is_refused_naming_the_library_and_versions(apache):
    assert apache.request("GET", "/mismatch/")[0] == 500
    assert apache.wait_for_log("libabi_mismatch.so was built for SwiftGate ABI version 999 "
                               "but this mod_swiftgate speaks ABI version 1")


def test_many_concurrent_requests(apache):
    import concurrent.futures

    def one(i):
        status, _, body = apache.request("POST", "/echo", body=b"x" * i)
        return status == 200 and body == b"x" * i

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(400)))
    assert all(results)


def test_callable_object_from_a_location(apache):
    status, _, body = apache.request("GET", "/bydir/anything")
    assert status == 200
    assert body == b"second application\n"


def test_application_group_is_its_own_instance(apache):
    env = json.loads(apache.request("GET", "/grouped/env")[2])
    assert env["swiftgate.application_group"] == "reports"
    assert env["SCRIPT_NAME"] == "/grouped"
    assert apache.wait_for_log("from %s/libExampleSite.so (group 'reports')" % apache.site_dir)


def test_the_apache_parent_never_loads_swift(apache):
    apache.request("GET", "/")  # children have loaded the application
    with open("/proc/%d/maps" % apache.pid()) as f:
        parent = f.read()
    assert "libswiftCore" not in parent
    assert "libExampleSite" not in parent
    child_maps = ""
    for pid in os.popen("pgrep -P %d" % apache.pid()).read().split():
        with open("/proc/%s/maps" % pid) as f:
            child_maps += f.read()
    assert "libswiftCore" in child_maps


@pytest.mark.expect_log("SG00313", "response head for GET /sub/app/big-header?bytes=70000 refused")
def test_a_response_head_past_the_limit_is_a_500_and_logged(apache):
    assert apache.request("GET", "/sub/app/big-header?bytes=70000")[0] == 500
    assert apache.wait_for_log("SG00313: refused a response head of 70")
    status, headers, _ = apache.request("GET", "/sub/app/big-header?bytes=1000")
    assert status == 200 and headers["x-big"] == "b" * 1000


def test_an_oversized_request_header_is_refused_before_the_application(apache):
    status, _, _ = apache.request("GET", "/sub/app/headers", headers={"X-Huge": "h" * 9000})
    assert status == 400
    assert apache.wait_for_log("AH00561: Request header exceeds LimitRequestFieldSize: X-Huge")
    assert apache.request("GET", "/sub/app/headers")[0] == 200
