-- serve_load.lua — wrk script for bench/serve_load.sh: POST /predict with one input of random
-- token ids, lengths uniform in W2S_MIN_LEN..W2S_MAX_LEN (default 16..128), ids < W2S_VOCAB.
-- Not a correctness check (tests/runtime/test_serve.sh is). The one thing to know: bodies are
-- built once per wrk thread at start (fixed seed per thread), so the client costs little CPU
-- and every run sends the same request mix.
local bodies, n_bodies, next_body = {}, 512, 0
local lo = tonumber(os.getenv("W2S_MIN_LEN") or "16")
local hi = tonumber(os.getenv("W2S_MAX_LEN") or "128")
local vocab = tonumber(os.getenv("W2S_VOCAB") or "50257")
local key = os.getenv("W2S_API_KEY")
local thread_no = 0

function setup(thread)
  thread:set("tid", thread_no)
  thread_no = thread_no + 1
end

function init(args)
  math.randomseed(1234 + (tid or 0))
  for i = 1, n_bodies do
    local len = math.random(lo, hi)
    local ids = {}
    for t = 1, len do ids[t] = tostring(math.random(0, vocab - 1)) end
    bodies[i] = '{"inputs": [' .. table.concat(ids, ",") .. ']}'
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if key then wrk.headers["Authorization"] = "Bearer " .. key end
end

function request()
  next_body = next_body % n_bodies + 1
  return wrk.format(nil, "/predict", nil, bodies[next_body])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "seconds": %.3f, "requests_per_s": %.2f, ' ..
    '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "non_2xx": %d, ' ..
    '"socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, e.status, e.connect + e.read + e.write + e.timeout))
end
