"""Where the things under test are, and the small tools every suite uses:
free ports, bounded waits, one HTTP request.

SWIFTGATE_MODULE and SWIFTGATE_LIBS name the module and the debug build
(the Makefile sets both); without them, this checkout's .build is used."""

import http.client
import os
import shutil
import socket
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODULE = os.environ.get("SWIFTGATE_MODULE", os.path.join(REPO, ".build/module/mod_swiftgate.so"))
LIBS = os.environ.get("SWIFTGATE_LIBS", os.path.join(REPO, ".build/debug"))
HEADER_DIR = os.path.join(REPO, "Sources/CSwiftGate/include")

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"

# The command line, the daemon library Apache loads beside the module, and
# the applications the tests serve.
SWIFTGATE = os.path.join(LIBS, "swiftgate")
DAEMON_LIBRARY = os.path.join(LIBS, "libSwiftGateDaemon.so")
TEST_APP = os.path.join(LIBS, "libSwiftGateTestApp.so")
EXAMPLE_SITE = os.path.join(LIBS, "libExampleSite.so")

IS_ROOT = os.geteuid() == 0
# `swiftgate serve` refuses root without it; CI runs the tests as root.
SERVE_AS_ROOT = ["--allow-root"] if IS_ROOT else []


def wait_until(condition, timeout, step=0.05):
    """Polls condition until it is true or timeout seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(port, method, path, body=None, headers=None, timeout=30, conn=None):
    """One request to 127.0.0.1:port, on conn if given (left open) or on a
    connection of its own; returns (status, headers dict lower-cased, body
    bytes)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        if own:
            conn.close()


def read_until_closed(s, timeout):
    """Everything the peer sends on socket s until it closes (or timeout)."""
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def raw_exchange(port, data, timeout=10.0):
    """Sends raw bytes to 127.0.0.1:port and reads until the server closes
    (or timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        return read_until_closed(s, timeout)
