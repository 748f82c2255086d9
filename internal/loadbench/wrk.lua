-- wrk script of keywarden-bench: POST with one of N Authorization headers
-- (read from a file, one a line, picked at random per request, or the
-- only one), a fixed form body, and every answer checked (status 200 and a
-- body containing the expected text).
--
--   wrk ... -s wrk.lua URL -- AUTH_FILE BODY EXPECT [random|seq] [START]
--
-- "seq" walks the headers in order from the START-th (one thread) instead
-- of picking at random: a warm-up that uses every credential.
--
-- At the end it prints one line:
--   RESULT requests=... good=... bad=... sockerr=... rps=... p50_us=... p99_us=... max_us=...
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file, body, expect = args[1], args[2], args[3]
  sequential = (args[4] == "seq")
  auths = {}
  for line in io.lines(file) do
    if line ~= "" then auths[#auths + 1] = line end
  end
  if #auths == 0 then error("no credentials in " .. file) end
  want = expect
  form = body
  good, bad = 0, 0
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  nextAuth = math.random(#auths)
  if sequential then nextAuth = tonumber(args[5] or "1") end
  if #auths == 1 then
    fixed = wrk.format("POST", nil, {
      ["Authorization"] = auths[1],
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, form)
  end
end

function request()
  if fixed then return fixed end
  local i
  if sequential then
    i = nextAuth
    nextAuth = nextAuth % #auths + 1
  else
    i = math.random(#auths)
  end
  return wrk.format("POST", nil, {
    ["Authorization"] = auths[i],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, form)
end

function response(status, headers, body)
  if status == 200 and body and string.find(body, want, 1, true) then
    good = good + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local g, b = 0, 0
  for _, t in ipairs(threads) do
    g = g + (t:get("good") or 0)
    b = b + (t:get("bad") or 0)
  end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d good=%d bad=%d sockerr=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, g, b, e.connect + e.read + e.write + e.timeout, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max))
end
