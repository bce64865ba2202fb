-- The wrk script of bench/measure.py. Arguments after `--`: a file of request bodies (one
-- per line; each request takes one at random), the API key, and optionally a text every good
-- answer holds. An answer is bad unless it is 200, without "errors", and with that text. A
-- body's @UNIQUE@ becomes a value of its own in every request (scenario 7's references).
-- done() prints the summary as one JSON line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad, bodies, prepared, must, sent = 0, {}, {}, args[3], 0
  wrk.method = "POST"
  wrk.headers["Content-Type"], wrk.headers["X-API-Key"] = "application/json", args[2]
  for body in io.lines(args[1]) do
    table.insert(bodies, body)
    table.insert(prepared, wrk.format(nil, nil, nil, body))
  end
  math.randomseed(os.time() + #prepared)
  run = string.format("%d-%d", os.time(), math.random(1e9))
end

function request()
  local pick = math.random(#prepared)
  if not bodies[pick]:find("@UNIQUE@", 1, true) then
    return prepared[pick]
  end
  sent = sent + 1
  return wrk.format(nil, nil, nil, (bodies[pick]:gsub("@UNIQUE@", run .. "-" .. sent)))
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors":', 1, true) or (must and not body:find(must, 1, true)) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local b, e = 0, summary.errors
  for _, thread in ipairs(threads) do b = b + thread:get("bad") end
  io.write(string.format('BENCH_WRK {"requests":%d,"duration_us":%d,"bad":%d,"connect":%d,' ..
    '"read":%d,"write":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, b, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
