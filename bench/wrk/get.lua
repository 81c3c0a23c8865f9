-- wrk script: authenticated GET of the path given on the wrk command line (ILC_TOKEN from the env).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ILC_TOKEN")

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end

done = function(summary, latency, requests)
  io.write(string.format("ILC p50_ms=%.3f p99_ms=%.3f rps=%.1f errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
