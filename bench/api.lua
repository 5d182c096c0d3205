-- wrk script of bench/api.py: the same script drives every target (Koel, bare Django, nginx).
--
-- Environment (set by bench/api.py):
--   BENCH_HEADERS  "Name: value|Name: value": headers sent with every request
--   BENCH_CLIENTS  N > 0: each request carries X-Forwarded-For from a pool of N addresses
--                  (N anonymous clients, as DRF's throttle identifies them); 0: none
--   BENCH_VARY     ""       the URL as given (a cached answer after the first request)
--                  "amount" appends &amount=<n>, n different for every request (a cache miss)
--                  "window" appends &start=<day>&end=<day + 365>, the start sliding by one day
--                           per request through BENCH_WINDOWS days from BENCH_FIRST (epoch s)
--   BENCH_SALT     added to every n, so that two runs never share a varied URL
--   BENCH_THREADS  wrk's -t: thread i numbers its requests i, i + T, i + 2T, ... (n above)
-- done() prints one line "BENCH {json}" with the counts and latency percentiles (microseconds).

local vary = os.getenv("BENCH_VARY") or ""
local clients = tonumber(os.getenv("BENCH_CLIENTS") or "0")
local windows = tonumber(os.getenv("BENCH_WINDOWS") or "1")
local first = tonumber(os.getenv("BENCH_FIRST") or "0")
local salt = tonumber(os.getenv("BENCH_SALT") or "0")
local stride = tonumber(os.getenv("BENCH_THREADS") or "1")
local DAY = 86400

local headers = {}
for pair in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^|]+") do
  local name, value = string.match(pair, "^%s*(.-)%s*:%s*(.-)%s*$")
  headers[name] = value
end

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local counter = 0

function request()
  counter = counter + 1
  local n = (counter - 1) * stride + (thread_id or 0)
  if clients > 0 then
    local c = n % clients
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", c / 65536 % 256, c / 256 % 256, c % 256)
  end
  local path = wrk.path
  if vary == "amount" then
    path = path .. "&amount=" .. (n + salt)
  elseif vary == "window" then
    local start = first + ((n + salt) % windows) * DAY
    path = path .. "&start=" .. os.date("!%Y-%m-%d", start) .. "&end=" .. os.date("!%Y-%m-%d", start + 365 * DAY)
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
