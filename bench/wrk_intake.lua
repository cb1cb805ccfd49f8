-- wrk script: POST complaints to /api/v1/complaints, each with its own Idempotency-Key.
-- Arguments after `--`: the bodies file (one JSON body a line), a run id that makes
-- the keys unique across runs, and a directory where each thread lists the case
-- numbers its 2xx responses carried (bench/intake.py checks them against the database).
local bodies = {}
local counter = 0
local threads = {}
local made = 0
ok = 0
other = 0
sample = ""

function setup(thread)
  made = made + 1
  thread:set("thread_id", made)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(bodies, line) end
  end
  key_prefix = args[2] .. "-" .. thread_id .. "-"
  numbers = io.open(args[3] .. "/thread-" .. thread_id .. ".txt", "w")
  -- wrk exits without closing the threads' Lua states: write each line through.
  numbers:setvbuf("line")
  wrk.method = "POST"
  wrk.path = "/api/v1/complaints"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Idempotency-Key"] = key_prefix .. counter
  return wrk.format(nil, nil, headers, bodies[(counter % #bodies) + 1])
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    local number = string.match(body, '"number"%s*:%s*"([^"]+)"')
    numbers:write((number or "?") .. "\n")
  else
    other = other + 1
    if sample == "" then sample = status .. " " .. string.sub(body, 1, 200) end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local ok_total, other_total, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    other_total = other_total + thread:get("other")
    if first == "" then first = thread:get("sample") end
  end
  first = string.gsub(first, '[%c"\\]', " ")
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"duration_us":%d,"errors_connect":%d,' ..
    '"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"min_us":%d,"max_us":%d,"mean_us":%f,' ..
    '"ok_2xx":%d,"non_2xx":%d,"sample":"%s"}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.min, latency.max, latency.mean,
    ok_total, other_total, first))
end
