-- wrk script for the typical-document load (scripts/bench-load.sh): POST /v1/messages with the files
-- TRUC_WRK_DIR/00000.edxml, 00001.edxml, … (distinct signed documents made by make_bench_documents.py, so
-- none is a duplicate), starting at number TRUC_WRK_SKIP, at most TRUC_WRK_COUNT of them, each sent once;
-- authenticated with the token in TRUC_WRK_TOKEN. When the files run out, requests go to GET /healthz,
-- which is not counted as a document.
dofile("scripts/wrk-common.lua")
local dir = os.getenv("TRUC_WRK_DIR")
local skip = tonumber(os.getenv("TRUC_WRK_SKIP") or "0")
local count = tonumber(os.getenv("TRUC_WRK_COUNT") or "3000")
local requests = {}
local next_index = 1

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

done = summary("documents")
