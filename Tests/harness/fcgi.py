"""A small FastCGI client (standard library only) for testing the Swift
daemon: it encodes BEGIN_REQUEST, PARAMS and STDIN, decodes the records that
come back, and tells whether the daemon ended the request properly
(END_REQUEST) or closed the connection without it (a cut response)."""

import socket
import struct
import time

VERSION = 1
HEADER = struct.Struct(">BBHHBx")

BEGIN_REQUEST = 1
ABORT_REQUEST = 2
END_REQUEST = 3
PARAMS = 4
STDIN = 5
STDOUT = 6
STDERR = 7
DATA = 8
GET_VALUES = 9
GET_VALUES_RESULT = 10
UNKNOWN_TYPE = 11

RESPONDER = 1
AUTHORIZER = 2
FILTER = 3

KEEP_CONN = 1

REQUEST_COMPLETE = 0
CANT_MPX_CONN = 1
OVERLOADED = 2
UNKNOWN_ROLE = 3

MAX_CONTENT = 65535


def record(rtype, request_id, content=b"", version=VERSION, padding=0):
    """One record; content must fit in one (at most 65535 bytes)."""
    assert len(content) <= MAX_CONTENT
    return HEADER.pack(version, rtype, request_id, len(content), padding) + content + b"\0" * padding


def stream(rtype, request_id, data, chunk=MAX_CONTENT):
    """A whole stream: the data in records of at most `chunk` bytes, then
    the empty record that ends it."""
    out = bytearray()
    for offset in range(0, len(data), chunk):
        out += record(rtype, request_id, data[offset:offset + chunk])
    out += record(rtype, request_id)
    return bytes(out)


def encode_length(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def encode_pairs(pairs):
    """Name-value pairs (a dict or a list of pairs; str or bytes)."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    out = bytearray()
    for name, value in items:
        name = name.encode() if isinstance(name, str) else name
        value = value.encode() if isinstance(value, str) else value
        out += encode_length(len(name)) + encode_length(len(value)) + name + value
    return bytes(out)


def decode_pairs(data):
    pairs = []
    i = 0
    while i < len(data):
        lengths = []
        for _ in range(2):
            if data[i] < 128:
                lengths.append(data[i])
                i += 1
            else:
                lengths.append(struct.unpack(">I", data[i:i + 4])[0] & 0x7FFFFFFF)
                i += 4
        name = data[i:i + lengths[0]]
        value = data[i + lengths[0]:i + lengths[0] + lengths[1]]
        i += lengths[0] + lengths[1]
        pairs.append((name.decode(), value.decode()))
    return pairs


def begin_request(request_id, role=RESPONDER, keep=False):
    body = struct.pack(">HB5x", role, KEEP_CONN if keep else 0)
    return record(BEGIN_REQUEST, request_id, body)


def cgi_params(method="GET", path="/", query="", headers=None, body_length=None, extra=None):
    """The CGI variables a front-end sends for a request at the root."""
    params = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "fcgi_client",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REQUEST_URI": path + ("?" + query if query else ""),
        "HTTP_HOST": "localhost",
    }
    if body_length is not None:
        params["CONTENT_LENGTH"] = str(body_length)
    for name, value in (headers or {}).items():
        params["HTTP_" + name.upper().replace("-", "_")] = value
    params.update(extra or {})
    return params


class Result:
    """What came back for one request."""

    def __init__(self):
        self.stdout = b""
        self.stderr = b""
        self.app_status = None
        self.protocol_status = None
        self.cut = False  # closed without END_REQUEST

    @property
    def ended(self):
        return self.protocol_status is not None

    def response(self):
        """(status, {lower-case name: value}, body) from the CGI-style output."""
        head, sep, body = self.stdout.partition(b"\r\n\r\n")
        assert sep, "no end of head in %r" % self.stdout[:200]
        status = 200
        headers = {}
        for line in head.split(b"\r\n"):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            else:
                headers[name.strip().lower()] = value.strip()
        return status, headers, body


class Connection:
    """One connection to the daemon; `address` is "unix:/path" or (host, port)."""

    def __init__(self, address, timeout=15.0):
        if isinstance(address, str) and address.startswith("unix:"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target = address[5:]
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            target = address
        self.sock.settimeout(timeout)
        self.sock.connect(target)
        self.buffer = b""
        self.eof = False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, n):
        while len(self.buffer) < n:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
                return False
            self.buffer += chunk
        return True

    def read_record(self):
        """(type, request_id, content), or None when the daemon closed."""
        if not self._fill(8):
            return None
        version, rtype, rid, length, padding = HEADER.unpack(self.buffer[:8])
        assert version == VERSION, "daemon sent version %d" % version
        if not self._fill(8 + length + padding):
            return None
        content = self.buffer[8:8 + length]
        self.buffer = self.buffer[8 + length + padding:]
        return rtype, rid, content

    def closed_by_peer(self, timeout=10.0):
        """Whether the daemon closes the connection (EOF) within `timeout`,
        discarding any records before it."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.5)
        try:
            while time.monotonic() < deadline:
                try:
                    if self.read_record() is None:
                        return True
                except socket.timeout:
                    continue
            return False
        finally:
            self.sock.settimeout(15.0)

    def start(self, params, request_id=1, keep=False, role=RESPONDER):
        """Sends BEGIN_REQUEST and the PARAMS stream."""
        self.send(begin_request(request_id, role, keep) + stream(PARAMS, request_id, encode_pairs(params)))

    def finish(self, request_id=1):
        """Reads records until END_REQUEST for `request_id` or EOF."""
        result = Result()
        while True:
            rec = self.read_record()
            if rec is None:
                result.cut = True
                return result
            rtype, rid, content = rec
            if rid != request_id:
                continue
            if rtype == STDOUT:
                result.stdout += content
            elif rtype == STDERR:
                result.stderr += content
            elif rtype == END_REQUEST:
                result.app_status, result.protocol_status = struct.unpack(">IB3x", content)
                return result

    def request(self, params, body=b"", request_id=1, keep=False, role=RESPONDER, chunk=MAX_CONTENT):
        """A whole request, sent in one go as front-ends do; returns its
        Result. A daemon that answers and closes before reading the whole
        body is not an error here: the answer is still read."""
        data = begin_request(request_id, role, keep) + stream(PARAMS, request_id, encode_pairs(params))
        try:
            self.send(data + stream(STDIN, request_id, body, chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        return self.finish(request_id)

    def authorize(self, params, request_id=1, keep=False):
        """An AUTHORIZER request: BEGIN_REQUEST and PARAMS, no STDIN (as
        mod_authnz_fcgi sends it); returns its Result."""
        self.start(params, request_id, keep, role=AUTHORIZER)
        return self.finish(request_id)

    def get_values(self, names):
        self.send(record(GET_VALUES, 0, encode_pairs([(name, "") for name in names])))
        while True:
            rec = self.read_record()
            assert rec is not None, "connection closed before GET_VALUES_RESULT"
            if rec[0] == GET_VALUES_RESULT:
                return dict(decode_pairs(rec[2]))


def authorizer_params(apache_role=None, user=None, password=None, check=None, extra=None):
    """The variables mod_authnz_fcgi sends an authorizer: the request's CGI
    variables plus FCGI_ROLE, FCGI_APACHE_ROLE, REMOTE_USER and
    REMOTE_PASSWD (and SWIFTGATE_CHECK, which mod_swiftgate adds)."""
    params = cgi_params("GET", "/protected")
    params["FCGI_ROLE"] = "AUTHORIZER"
    if apache_role is not None:
        params["FCGI_APACHE_ROLE"] = apache_role
    if user is not None:
        params["REMOTE_USER"] = user
    if password is not None:
        params["REMOTE_PASSWD"] = password
    if check is not None:
        params["SWIFTGATE_CHECK"] = check
    params.update(extra or {})
    return params


def authorize(address, params, **kwargs):
    """One AUTHORIZER request on a connection of its own."""
    with Connection(address) as conn:
        return conn.authorize(params, **kwargs)


def request(address, params, body=b"", **kwargs):
    """One request on a connection of its own."""
    with Connection(address) as conn:
        return conn.request(params, body, **kwargs)


def unanswered(address, params):
    """Sends a request with an empty body and returns its Result, for a
    request the daemon is expected to refuse by closing the connection (a
    missing secret): writing may already fail when it does."""
    with Connection(address) as conn:
        try:
            conn.start(params)
            conn.send(stream(STDIN, 1, b""))
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed already
        return conn.finish(1)
