"""Load: wrk runs (warm-up, then the measurement) and their parsed results,
and a check of every path's answers before it is measured, so that a fast
404 can never pass for a fast path."""

import http.client
import os
import re
import subprocess

import settings as S

WRK = "wrk"
UPLOAD_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "upload.lua")
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


class Result:
    def __init__(self, rps=None, p50=None, p99=None, requests=0, errors="", error=None):
        self.rps = rps          # requests per second
        self.p50 = p50          # milliseconds
        self.p99 = p99
        self.requests = requests
        self.errors = errors    # what wrk counted as failed, "" when none
        self.error = error      # why the path could not be measured

    def as_dict(self):
        return dict(rps=self.rps, p50=self.p50, p99=self.p99, requests=self.requests,
                    errors=self.errors, error=self.error)


def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m|h)$", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def parse_wrk(out):
    """requests/s, p50 and p99 (ms), the request count and any errors."""
    r = Result()
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r.rps = float(m.group(1)) if m else None
    for pct, attr in (("50", "p50"), ("99", "p99")):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+(\S+)" % pct, out, re.M)
        setattr(r, attr, _ms(m.group(1)) if m else None)
    m = re.search(r"(\d+) requests in", out)
    r.requests = int(m.group(1)) if m else 0
    problems = []
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m and any(int(x) for x in m.groups()):
        problems.append("socket errors: connect %s, read %s, write %s, timeout %s" % m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        problems.append("%s non-2xx responses" % m.group(1))
    r.errors = "; ".join(problems)
    return r


def wrk(url, workload, duration):
    """One wrk run: (Result, wrk's output)."""
    upload = workload == "upload"
    argv = [WRK, "-t", str(S.WRK_THREADS),
            "-c", str(S.UPLOAD_CONNECTIONS if upload else S.CONNECTIONS),
            "-d", "%ds" % duration, "--latency", "--timeout", "30s" if upload else "10s"]
    env = dict(os.environ)
    if upload:
        argv += ["-s", UPLOAD_SCRIPT]
        env["BENCH_BODY_BYTES"] = str(S.UPLOAD_BYTES)
    argv.append(url)
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=duration + 120)
    if done.returncode != 0:
        return Result(error="wrk failed: " + (done.stderr or done.stdout).strip()[:300]), done.stdout
    result = parse_wrk(done.stdout)
    if result.rps is None:
        result.error = "no result from wrk: " + done.stdout.strip()[:300]
    elif result.requests == 0:
        result.error = "no request completed in %d s" % duration
    return result, done.stdout


def measure(port, url_path, workload, warmup=None):
    """Warm-up, then the measurement: (Result, wrk's output)."""
    url = "http://127.0.0.1:%d%s" % (port, url_path)
    warmup = S.WARMUP if warmup is None else warmup
    if warmup > 0:
        warm, out = wrk(url, workload, warmup)
        if warm.error:
            return warm, out
    return wrk(url, workload, S.DURATION)


def request(port, method, url_path, body=None, headers=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, url_path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def verify(port, url_path, workload, hello=S.HELLO):
    """None when the path answers this workload correctly (hello: the body
    its hello route says), else why not."""
    try:
        if workload == "upload":
            body = os.urandom(1024 * 1024 + 7)
            status, data = request(port, "POST", url_path, body,
                                   {"Content-Type": "application/octet-stream"})
            ok = data == body
        else:
            status, data = request(port, "GET", url_path)
            if workload == "hello":
                ok = data == hello
            elif workload == "64k":
                ok = data == b"x" * 65536
            else:
                ok = data.count(b"<li>") == S.NOTES
    except (OSError, http.client.HTTPException) as e:
        return "%s: %s" % (type(e).__name__, e)
    if status != 200:
        return "status %d: %r" % (status, data[:200])
    if not ok:
        return "wrong body (%d bytes): %r" % (len(data), data[:120])
    return None
