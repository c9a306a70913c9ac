-- wrk script for the typical-document load (scripts/bench-load.sh): POST /v1/messages with the files
-- TRUC_WRK_DIR/00000.edxml, 00001.edxml, … (distinct signed documents made by make_bench_documents.py, so
-- none is a duplicate), starting at number TRUC_WRK_SKIP, at most TRUC_WRK_COUNT of them, each sent once;
-- authenticated with the token in TRUC_WRK_TOKEN. Counts 202 answers; anything else is reported as refused.
-- When the files run out, requests go to GET /healthz, which is not counted as a document.
local dir = os.getenv("TRUC_WRK_DIR")
local skip = tonumber(os.getenv("TRUC_WRK_SKIP") or "0")
local count = tonumber(os.getenv("TRUC_WRK_COUNT") or "3000")
local token = os.getenv("TRUC_WRK_TOKEN")
local requests = {}
local next_index = 1
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  local headers = { ["Content-Type"] = "application/xml", ["Authorization"] = "Bearer " .. token }
  for n = skip, skip + count - 1 do
    local file = io.open(string.format("%s/%05d.edxml", dir, n), "rb")
    if not file then break end
    table.insert(requests, wrk.format("POST", "/v1/messages", headers, file:read("*a")))
    file:close()
  end
  idle = wrk.format("GET", "/healthz", { ["Authorization"] = "Bearer " .. token })
  accepted = 0
  refused = 0
end

function request()
  local r = requests[next_index]
  if r == nil then return idle end
  requests[next_index] = nil
  next_index = next_index + 1
  return r
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1
  elseif status ~= 200 then refused = refused + 1 end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("accepted")
    bad = bad + t:get("refused")
  end
  io.write(string.format("accepted        %d in %.1f s = %.1f documents/s, %d refused\n",
    ok, summary.duration / 1e6, ok / (summary.duration / 1e6), bad))
  io.write(string.format("latency         p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
