-- wrk script for bench/http/run.sh: one request per call of request(), for a
-- subject drawn at random from a file of subject ids, optionally paced to a
-- fixed total rate, with a JSON summary written by done().
--
-- Environment (set by run.sh):
--   BENCH_MODE      "read": POST /v1/read {subject, purpose, categories} to
--                   mamori; "static": GET BENCH_STATIC_PATH?s=<id> (nginx),
--                   built the same way so that wrk does the same work per
--                   request for both servers.
--   BENCH_SUBJECTS  file with one subject id per line
--   BENCH_TOKEN     mamori bearer token (read mode)
--   BENCH_RATE      total requests/s over all threads; 0 or unset: as fast
--                   as the connections go (closed loop)
--   BENCH_THREADS   wrk's -t (to split BENCH_RATE between threads)
--   BENCH_OUT       where done() writes its JSON summary
--
-- Pacing. Debian's wrk is the classic one, without wrk2's -R. Each thread
-- keeps its own schedule, one send slot every BENCH_THREADS / BENCH_RATE
-- seconds; every time a connection of the thread is ready to send, delay()
-- gives it the next free slot and tells wrk to wait until then. The sends
-- therefore follow a fixed-rate schedule (open loop) as long as some
-- connection is idle when its slot comes. A send that leaves more than 1 ms
-- after its slot is counted as late. wrk measures latency from the actual
-- send, so a stall that holds every connection would hide the queueing of
-- the requests that could not be sent on time (coordinated omission). The
-- paced read run therefore also measures each request from its slot, as
-- wrk2 does: slots are handed out, and their timers fire, in time order, so
-- request() takes the oldest slot handed out; the answer names its subject,
-- which ties it back to that slot in response(). Those latencies go to
-- "corrected_latency_ms"; wrk's own stay in "latency_ms". wrk's timers have
-- millisecond resolution, so a send may be up to 0.5 ms off its slot.

local ffi = require("ffi")
pcall(ffi.cdef, [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]])
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local mode = os.getenv("BENCH_MODE") or "read"
local rate = tonumber(os.getenv("BENCH_RATE") or "0") or 0
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1") or 1

-- --- Main state: collects the threads to read their counters in done(). ---
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

-- --- Thread states ---
-- The ids stay in the file's text, one Lua string, with their bounds in FFI
-- arrays: the garbage collector walks neither, whereas a Lua table of a
-- million strings costs a 100 ms pause of the load generator whenever a
-- collection marks it (seen against nginx as much as against mamori).
local ids_text = ""
local id_first, id_last = nil, nil
local count = 0
local headers = {}
local interval_us = 0
local next_slot = nil
late = 0        -- sends more than 1 ms after their slot
max_late_us = 0 -- the worst of them
sends = 0

function init(args)
  local path = os.getenv("BENCH_SUBJECTS")
  local file = assert(io.open(path, "rb"))
  ids_text = file:read("*a")
  file:close()
  local _, lines = ids_text:gsub("\n", "")
  id_first = ffi.new("int32_t[?]", lines + 1)
  id_last = ffi.new("int32_t[?]", lines + 1)
  local pos = 1
  while pos <= #ids_text do
    local stop = ids_text:find("\n", pos, true) or (#ids_text + 1)
    if stop > pos then
      id_first[count], id_last[count] = pos, stop - 1
      count = count + 1
    end
    pos = stop + 1
  end
  assert(count > 0, "no subject ids in " .. tostring(path))
  math.randomseed(os.time() * 1000 + (id or 0))
  if mode == "read" then
    headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
    headers["Content-Type"] = "application/json"
  end
  if rate > 0 then interval_us = nthreads * 1e6 / rate end
end

local static_path = os.getenv("BENCH_STATIC_PATH") or "/static.json"

-- Pacing state (thread states): slots handed out and not yet used, the
-- slot of each request in flight by subject, and a histogram of latencies
-- from the slot in 10 us buckets (the last one holds everything above 1 s).
local slot_queue, slot_first, slot_last = {}, 1, 0
local in_flight = {}
local kBucketUs, kBuckets = 10, 100000
hist = {}
hist_max_us = 0

function request()
  local k = math.random(count) - 1
  local subject = ids_text:sub(id_first[k], id_last[k])
  -- Without a slot handed out, this is wrk's own trial call before the
  -- run (it never sends that request).
  if rate > 0 and mode == "read" and slot_first <= slot_last then
    local slot = slot_queue[slot_first]
    slot_queue[slot_first] = nil
    slot_first = slot_first + 1
    local list = in_flight[subject]
    if list == nil then
      in_flight[subject] = {slot}
    else
      table.insert(list, slot)
    end
  end
  if mode == "read" then
    return wrk.format("POST", "/v1/read", headers,
      '{"subject":"' .. subject ..
      '","purpose":"dpv:CustomerCare","categories":["pd:Name"]}')
  end
  return wrk.format("GET", static_path .. "?s=" .. subject, headers)
end

if rate > 0 then
  function delay()
    local now = now_us()
    if next_slot == nil then next_slot = now end
    local slot = next_slot
    next_slot = next_slot + interval_us
    sends = sends + 1
    local wait = slot - now
    if wait < -1000 then
      late = late + 1
      if -wait > max_late_us then max_late_us = -wait end
    end
    slot_last = slot_last + 1
    slot_queue[slot_last] = slot
    if wait <= 0 then return 0 end
    return math.floor(wait / 1000 + 0.5)
  end

  if mode == "read" then
    function response(status, headers, body)
      local subject = body:match('"subject":"([^"]+)"')
      local list = subject and in_flight[subject]
      if list == nil then return end
      local slot = table.remove(list, 1)
      if #list == 0 then in_flight[subject] = nil end
      local us = now_us() - slot
      if us > hist_max_us then hist_max_us = us end
      local b = math.min(math.floor(us / kBucketUs), kBuckets)
      hist[b] = (hist[b] or 0) + 1
    end
  end
end

-- Percentiles of the merged slot-to-answer histograms, in ms.
local function corrected(threads_list)
  local merged, total, max_us = {}, 0, 0
  for _, thread in ipairs(threads_list) do
    local h = thread:get("hist")
    if type(h) == "table" then
      for b, n in pairs(h) do
        merged[b] = (merged[b] or 0) + n
        total = total + n
      end
    end
    max_us = math.max(max_us, tonumber(thread:get("hist_max_us")) or 0)
  end
  if total == 0 then return "null" end
  local keys = {}
  for b in pairs(merged) do table.insert(keys, b) end
  table.sort(keys)
  local function at(p)
    local want, seen = total * p / 100, 0
    for _, b in ipairs(keys) do
      seen = seen + merged[b]
      if seen >= want then
        if b >= kBuckets then return max_us / 1000 end
        return (b + 1) * kBucketUs / 1000
      end
    end
    return max_us / 1000
  end
  return string.format('{"answers":%d,"p50":%.3f,"p90":%.3f,"p99":%.3f,"p99_9":%.3f,"max":%.3f}',
    total, at(50), at(90), at(99), at(99.9), max_us / 1000)
end

function done(summary, latency, requests)
  local total_late, worst, total_sends = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_late = total_late + (tonumber(thread:get("late")) or 0)
    total_sends = total_sends + (tonumber(thread:get("sends")) or 0)
    worst = math.max(worst, tonumber(thread:get("max_late_us")) or 0)
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local function ms(us) return us / 1000 end
  local out = string.format(
    '{"mode":"%s","target_rate":%s,"requests":%d,"seconds":%.3f,"requests_per_s":%.1f,' ..
    '"latency_ms":{"mean":%.3f,"stdev":%.3f,"p50":%.3f,"p75":%.3f,"p90":%.3f,"p99":%.3f,' ..
    '"p99_9":%.3f,"max":%.3f},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"pacing":{"sends":%d,"late_over_1ms":%d,"max_late_ms":%.3f},"corrected_latency_ms":%s}',
    mode, rate > 0 and tostring(rate) or "null", summary.requests, seconds,
    summary.requests / seconds,
    ms(latency.mean), ms(latency.stdev), ms(latency:percentile(50)), ms(latency:percentile(75)),
    ms(latency:percentile(90)), ms(latency:percentile(99)), ms(latency:percentile(99.9)),
    ms(latency.max),
    e.connect, e.read, e.write, e.status, e.timeout,
    total_sends, total_late, worst / 1000, corrected(threads))
  local path = os.getenv("BENCH_OUT")
  if path then
    local f = assert(io.open(path, "w"))
    f:write(out, "\n")
    f:close()
  end
end
