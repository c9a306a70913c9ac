-- wrk script for the acknowledgement load (scripts/bench-load-postgres.sh): POST /v1/inbox/{id}/ack with
-- {"outcome":"done"} for each message id in the file TRUC_WRK_IDS (one per line), each once, authenticated with
-- the recipient's token in TRUC_WRK_TOKEN. When the ids run out, requests go to GET /healthz (not counted).
dofile("scripts/wrk-common.lua")
local ids = {}
local next_index = 1

function init(args)
  for line in io.lines(os.getenv("TRUC_WRK_IDS")) do
    if line ~= "" then table.insert(ids, line) end
  end
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  idle = wrk.format("GET", "/healthz", { ["Authorization"] = "Bearer " .. token })
  accepted = 0
  refused = 0
end

function request()
  local id = ids[next_index]
  if id == nil then return idle end
  next_index = next_index + 1
  return wrk.format("POST", "/v1/inbox/" .. id .. "/ack", headers, '{"outcome":"done"}')
end

-- An acknowledgement answers 200; /healthz too, but only while ids remain is a 200 an acknowledgement.
function response(status, headers, body)
  if status == 200 and string.find(body or "", '"state"', 1, true) then accepted = accepted + 1
  elseif status ~= 200 then
    refused = refused + 1
    if first_refusal == nil then first_refusal = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

done = summary("acknowledgements")
