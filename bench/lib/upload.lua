-- wrk script of the upload workload: every request POSTs a body of
-- BENCH_BODY_BYTES bytes (10 MiB unless set), which the paths echo back.
local size = tonumber(os.getenv("BENCH_BODY_BYTES") or "") or 10 * 1024 * 1024
wrk.method = "POST"
wrk.body = string.rep("x", size)
wrk.headers["Content-Type"] = "application/octet-stream"
