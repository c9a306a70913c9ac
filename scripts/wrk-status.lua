-- wrk script for the status-message load (scripts/bench-load.sh): POST /v1/messages with the file in
-- TRUC_WRK_FILE, its ResponseFor/DocumentId made unique per request (so none is a duplicate), authenticated
-- with the token in TRUC_WRK_TOKEN. Counts 202 answers; anything else is reported as an error.
local file = assert(io.open(os.getenv("TRUC_WRK_FILE"), "rb"))
local template = file:read("*a")
file:close()
local documentId = template:match("<edXML:DocumentId>([^<]*)</edXML:DocumentId>") or template:match("<DocumentId>([^<]*)</DocumentId>")
local escaped = documentId:gsub("[%-%.%+%[%]%(%)%$%^%%%?%*]", "%%%1")
local token = os.getenv("TRUC_WRK_TOKEN")
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/xml"
  wrk.headers["Authorization"] = "Bearer " .. token
  refused = 0
end

function request()
  counter = counter + 1
  local body = template:gsub(escaped, documentId .. "-" .. tostring(os.time()) .. "-" .. id .. "-" .. counter, 1)
  return wrk.format(nil, "/v1/messages", nil, body)
end

function response(status, headers, body)
  if status ~= 202 then refused = refused + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("refused") end
  io.write(string.format("accepted        %d in %.1f s = %.1f messages/s, %d refused\n",
    summary.requests - total, summary.duration / 1e6, (summary.requests - total) / (summary.duration / 1e6), total))
  io.write(string.format("latency         p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
