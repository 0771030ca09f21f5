-- wrk script for bench/wrk.py: sends pre-encoded HTTP requests, in order, each once.
--   wrk -t1 -cN -dSs -s bench/wrk.lua URL -- REQUESTS_FILE [cycle]
-- REQUESTS_FILE is bench/load.py's format: each request is a 4-byte little-endian length,
-- then the raw request. Without "cycle" the run stops when every request has been sent,
-- so no request (a signed webhook event) is ever sent twice. done() prints one JSON line.

local threads = {}

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
  sent = sent + 1
  if sent > #requests then
    if cycle then
      sent = 1
    else
      exhausted = true
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
  local counted, exhausted_any = {}, false
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counted[status] = (counted[status] or 0) + count
    end
    exhausted_any = exhausted_any or thread:get("exhausted")
  end
  local parts = {}
  for status, count in pairs(counted) do
    parts[#parts + 1] = string.format('"%s": %d', status, count)
  end
  local errors = summary.errors
  io.write(string.format(
    '{"completed": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, "statuses": {%s}, ' ..
    '"socket_errors": %d, "exhausted": %s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ", "), errors.connect + errors.read + errors.write + errors.timeout,
    tostring(exhausted_any)))
end
