-- wrk script of bench/api.py: the same script drives every target (Koel, bare Django, nginx).
--
-- Environment (set by bench/api.py):
--   BENCH_HEADERS  "Name: value|Name: value": headers sent with every request
--   BENCH_CLIENTS  N > 0: each request carries X-Forwarded-For from a pool of N addresses
--                  (N anonymous clients, as DRF's throttle identifies them); 0: none
--   BENCH_VARY     ""       the URL as given (a cached answer after the first request)
--                  "amount" appends &amount=<n>, n different for every request (a new amount
--                           at the same rate)
--                  "paths"  the request paths are the lines of the file BENCH_PATHS, written by
--                           bench/api_vary.py (every line a different question); thread i of T
--                           asks lines i, i + T, i + 2T, ... and starts over at the end of its
--                           share (bench/api.py bumps the cache versions while such a row cycles,
--                           or checks that no thread came to the end of its share)
--   BENCH_SALT     added to every n, so that two runs never share an amount
--   BENCH_THREADS  wrk's -t: thread i numbers its requests i, i + T, i + 2T, ... (n above)
-- done() prints one line "BENCH {json}" with the counts and latency percentiles (microseconds)
-- and the most requests any one thread made (to tell whether it went past its share of paths).

local vary = os.getenv("BENCH_VARY") or ""
local clients = tonumber(os.getenv("BENCH_CLIENTS") or "0")
local salt = tonumber(os.getenv("BENCH_SALT") or "0")
local stride = tonumber(os.getenv("BENCH_THREADS") or "1")

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

local paths = {}
local share = 0

function init(args)
  if vary == "paths" then
    for line in io.lines(os.getenv("BENCH_PATHS")) do
      paths[#paths + 1] = line
    end
    share = math.floor(#paths / stride)
    if share < 1 then
      error("BENCH_PATHS holds fewer paths than wrk has threads")
    end
  end
end

counter = 0 -- global: done() reads every thread's through thread:get

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
  elseif vary == "paths" then
    path = paths[(thread_id or 0) + 1 + stride * ((counter - 1) % share)]
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local most = 0
  for _, thread in ipairs(threads) do
    most = math.max(most, tonumber(thread:get("counter")) or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "thread_most": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, most))
end
