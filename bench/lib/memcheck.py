"""The memory check: 1 GiB up and 1 GiB down through daemon mode while the
resident memory of every daemon process (and of Apache's own children) is
sampled. A streaming gateway holds a few buffers whatever the size; the
target is less than 32 MiB of growth in any process."""

import os
import subprocess
import threading
import time

import procs
import settings as S


class Sampler(threading.Thread):
    """Samples VmRSS of the given pids until stopped: baseline and peak."""

    def __init__(self, groups):
        super().__init__(daemon=True)
        self.groups = groups  # {label: [pid, ...]}
        self.baseline = {}
        self.peak = {}
        self.halt = threading.Event()
        for pids in groups.values():
            for pid in pids:
                self.baseline[pid] = procs.rss_kib(pid)
                self.peak[pid] = self.baseline[pid]

    def run(self):
        while not self.halt.is_set():
            for pid in self.peak:
                rss = procs.rss_kib(pid)
                if rss is not None and (self.peak[pid] is None or rss > self.peak[pid]):
                    self.peak[pid] = rss
            self.halt.wait(S.RSS_SAMPLE_SECONDS)

    def finish(self):
        self.halt.set()
        self.join()
        rows = []
        for label, pids in self.groups.items():
            for pid in pids:
                base, peak = self.baseline[pid], self.peak[pid]
                if base is None or peak is None:
                    continue
                rows.append(dict(group=label, pid=pid, baseline_kib=base, peak_kib=peak,
                                 growth_kib=peak - base))
        return rows


def curl(argv, expect_bytes):
    """Runs curl; (seconds, None) or (seconds, what went wrong)."""
    started = time.monotonic()
    done = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}"] + argv,
                          capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        return seconds, "curl: " + done.stderr.strip()
    status, size = done.stdout.split()
    if status != "200" or int(size) != expect_bytes:
        return seconds, "status %s, %s bytes received (expected %d)" % (status, size, expect_bytes)
    return seconds, None


def run(apache, root, prefix, display_name):
    """Both transfers through the daemon group mounted at prefix, whose
    processes show display_name."""
    size = S.MEMCHECK_MIB * 1024 * 1024
    upload = os.path.join(root.path, "upload.bin")
    with open(upload, "wb") as f:
        f.truncate(size)  # sparse: reading it costs no disk
    base = "http://127.0.0.1:%d%s" % (apache.port, prefix)
    transfers = [
        ("%d MiB upload, echoed back" % S.MEMCHECK_MIB,
         ["-X", "POST", "-H", "Content-Type: application/octet-stream", "-H", "Expect:",
          "-T", upload, base + "/echo"]),
        ("%d MiB download" % S.MEMCHECK_MIB, [base + "/download?mib=%d" % S.MEMCHECK_MIB]),
    ]
    results = []
    try:
        for label, argv in transfers:
            groups = {display_name: apache.named_children(display_name),
                      "Apache children": apache.workers()}
            sampler = Sampler(groups)
            sampler.start()
            seconds, error = curl(argv, size)
            rows = sampler.finish()
            results.append(dict(transfer=label, seconds=seconds, error=error,
                                mib_per_s=(size / 1048576.0 / seconds) if seconds else None, rows=rows))
    finally:
        os.unlink(upload)
    return results
