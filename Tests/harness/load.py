"""A bounded HTTP load for the fault cases.

Load runs a fixed number of client threads against one Apache; each
thread sends one request per TCP connection, one after the other, so that
every request stands alone (no keep-alive connection closed under it by a
graceful restart) and its start and end times are known. Every request has
a timeout and the whole run a deadline and a request limit."""

import http.client
import socket
import threading
import time


class Result:
    """One request: when it started and ended (time.monotonic()), the
    status, or the error that took its place, and the response's
    X-Served-By (which backend answered, behind a balancer), if any."""

    __slots__ = ("started", "ended", "status", "error", "served_by")

    def __init__(self, started, ended, status, error, served_by=None):
        self.started = started
        self.ended = ended
        self.status = status
        self.error = error
        self.served_by = served_by

    @property
    def ok(self):
        return self.status == 200

    def outcome(self):
        return self.status if self.error is None else self.error

    def outstanding_at(self, moment):
        return self.started <= moment < self.ended


class Load:
    """`connections` client threads sending `method path` to 127.0.0.1:port
    until stop(), `duration` seconds, or `limit` requests in all."""

    def __init__(self, port, path, connections=16, duration=30.0, timeout=10.0, limit=100000,
                 method="GET", body=None):
        assert 1 <= connections <= 64
        self.port = port
        self.path = path
        self.connections = connections
        self.duration = duration
        self.timeout = timeout
        self.limit = limit
        self.method = method
        self.body = body
        self.results = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = []
        self._sent = 0
        self.began = None

    def _take_turn(self):
        with self._lock:
            if self._sent >= self.limit:
                return False
            self._sent += 1
            return True

    def _one(self):
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(self.method, self.path, body=self.body)
            response = conn.getresponse()
            response.read()
            return Result(started, time.monotonic(), response.status, None, response.getheader("X-Served-By"))
        except (OSError, http.client.HTTPException) as e:
            return Result(started, time.monotonic(), None, type(e).__name__)
        finally:
            conn.close()

    def _client(self):
        deadline = self.began + self.duration
        while not self._stop.is_set() and time.monotonic() < deadline and self._take_turn():
            self.results.append(self._one())

    def start(self):
        self.began = time.monotonic()
        for _ in range(self.connections):
            thread = threading.Thread(target=self._client, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self):
        """Stops sending and waits for the requests in flight (each is
        bounded by the request timeout)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)
        assert not any(t.is_alive() for t in self._threads), "a client thread did not end"
        return self

    def run_for(self, seconds):
        self.start()
        time.sleep(seconds)
        return self.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def failed(self):
        return [r for r in self.results if not r.ok]

    def count(self, after=None):
        """Requests that ended successfully (after a moment, if given)."""
        return len([r for r in self.results if r.ok and (after is None or r.started >= after)])

    def outcomes(self, results=None):
        """How many requests ended each way: {200: n, 502: n, 'TimeoutError': n}."""
        counts = {}
        for r in self.results if results is None else results:
            counts[r.outcome()] = counts.get(r.outcome(), 0) + 1
        return counts


def wait_for_count(log, text, count, timeout):
    """Waits until `text` occurs `count` times in log() (a callable)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log().count(text) >= count:
            return True
        time.sleep(0.05)
    return log().count(text) >= count


def send_partial_upload(port, path, declared, send, timeout=120.0, chunk=1 << 20):
    """POSTs a body that claims `declared` bytes, sends `send` of them and
    closes the connection. Returns (bytes sent, seconds taken)."""
    began = time.monotonic()
    block = b"x" * chunk
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(("POST %s HTTP/1.1\r\nHost: faults\r\nContent-Type: application/octet-stream\r\n"
                   "Content-Length: %d\r\n\r\n" % (path, declared)).encode())
        while sent < send:
            assert time.monotonic() - began < timeout, "the upload stalled after %d bytes" % sent
            piece = block[:min(chunk, send - sent)]
            s.sendall(piece)
            sent += len(piece)
    return sent, time.monotonic() - began
