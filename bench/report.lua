-- wrk script for the benchmark: sends the headers the harness gives, counts every
-- response that is not 2xx (wrk itself only counts 4xx and 5xx), and prints one
-- JSON line (prefixed BENCH_JSON) that bench/wrk.py reads.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_2xx = 0
  last_bad_status = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    not_2xx = not_2xx + 1
    last_bad_status = status
  end
end

function done(summary, latency, requests)
  local bad, bad_status = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not_2xx")
    if thread:get("last_bad_status") ~= 0 then bad_status = thread:get("last_bad_status") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "not_2xx": %d, ' ..
    '"last_bad_status": %d, "socket_errors": %d, "timeouts": %d, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, bad, bad_status,
    e.connect + e.read + e.write, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
