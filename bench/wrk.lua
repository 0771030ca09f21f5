-- wrk script for bench/wrk.py: sends pre-encoded HTTP requests, in order, each once.
--   wrk -t1 -cN -dSs -s bench/wrk.lua URL -- REQUESTS_FILE [cycle]
-- REQUESTS_FILE is bench/load.py's format: each request is a 4-byte little-endian length,
-- then the raw request. Without "cycle" the run stops when every request has been sent,
-- so no request (a signed webhook event) is ever sent twice. done() prints one JSON line.
-- wrk reports its whole -d window even when a thread stopped early, so an exhausted thread
-- notes when it sent its first request and when it ran out: its rate is over that span.

local threads = {}

-- Wall-clock microseconds (wrk's Lua has no clock of its own); read twice a run at most.
local function now_us()
  local pipe = io.popen("date +%s%6N")
  local value = tonumber(pipe:read("*l"))
  pipe:close()
  return value
end

local function read_requests(path)
  local file = assert(io.open(path, "rb"))
  local data = file:read("*a")
  file:close()
  local list, pos, size_of = {}, 1, #data
  while pos <= size_of do
    local b1, b2, b3, b4 = data:byte(pos, pos + 3)
    local size = b1 + b2 * 256 + b3 * 65536 + b4 * 16777216
    list[#list + 1] = data:sub(pos + 4, pos + 3 + size)
    pos = pos + 4 + size
  end
  return list
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  requests = read_requests(args[1])
  cycle = args[2] == "cycle"
  sent = 0
  exhausted = false
  statuses = {}
end

function request()
  if first_us == nil and not cycle then
    first_us = now_us()
  end
  sent = sent + 1
  if sent > #requests then
    if cycle then
      sent = 1
    else
      exhausted = true
      ran_out_us = now_us()
      wrk.thread:stop()
      sent = #requests
    end
  end
  return requests[sent]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counted, exhausted_any, span_us = {}, false, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counted[status] = (counted[status] or 0) + count
    end
    if thread:get("exhausted") then
      exhausted_any = true
      span_us = math.max(span_us, thread:get("ran_out_us") - thread:get("first_us"))
    end
  end
  local parts = {}
  for status, count in pairs(counted) do
    parts[#parts + 1] = string.format('"%s": %d', status, count)
  end
  local errors = summary.errors
  io.write(string.format(
    '{"completed": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, "statuses": {%s}, ' ..
    '"socket_errors": %d, "exhausted": %s, "exhausted_after_us": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ", "), errors.connect + errors.read + errors.write + errors.timeout,
    tostring(exhausted_any), span_us))
end
