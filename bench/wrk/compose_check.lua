-- wrk script: POST /v1/compose/check with a draft read from the file named by ILC_DRAFT and the
-- token from ILC_TOKEN (bench/service_bench.sh sets both). Every request is the same draft: the
-- check is answered from in-memory indexes, so this measures the HTTP layer plus the check.
local f = assert(io.open(os.getenv("ILC_DRAFT"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ILC_TOKEN")

-- Any answer other than 200 is an error for the figures.
function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end

done = function(summary, latency, requests)
  io.write(string.format("ILC p50_ms=%.3f p99_ms=%.3f rps=%.1f errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
