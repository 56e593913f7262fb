"""The benchmark's hello application in Python, for mod_wsgi. The same
routes and bytes as bench/hello-swift:
  /               "Hello, World!\\n"
  /64k            65,536 bytes of "x"
  /echo           POST: the request body, sent back
  /download?mib=N N MiB of "x" in 64 KiB writes

/echo reads the whole body before it answers, as WSGI applications usually
do: mod_wsgi's daemon mode sends the whole request body to the daemon
before it reads the response, so an echo that answered while still reading
would stall once the socket buffers filled (it does, with a 1 MiB body).
"""

HELLO = b"Hello, World!\n"
BLOCK = b"x" * 65536
TEXT = [("Content-Type", "text/plain; charset=utf-8")]
BINARY = [("Content-Type", "application/octet-stream")]


def _read_all(stream):
    chunks = []
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return chunks
        chunks.append(chunk)


def _download(mib):
    for _ in range(mib * 16):
        yield BLOCK


def application(environ, start_response):
    path = environ.get("PATH_INFO") or "/"
    if path == "/":
        start_response("200 OK", TEXT + [("Content-Length", str(len(HELLO)))])
        return [HELLO]
    if path == "/64k":
        start_response("200 OK", TEXT + [("Content-Length", str(len(BLOCK)))])
        return [BLOCK]
    if path == "/echo" and environ["REQUEST_METHOD"] == "POST":
        chunks = _read_all(environ["wsgi.input"])
        start_response("200 OK", BINARY + [("Content-Length", str(sum(map(len, chunks))))])
        return chunks
    if path == "/download":
        query = dict(p.partition("=")[::2] for p in environ.get("QUERY_STRING", "").split("&"))
        try:
            mib = max(0, min(int(query.get("mib", "1")), 4096))
        except ValueError:
            mib = 1
        start_response("200 OK", BINARY)
        return _download(mib)
    start_response("404 Not Found", TEXT)
    return [b"Not Found\n"]
