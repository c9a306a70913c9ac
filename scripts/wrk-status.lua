-- wrk script for the status-message load (scripts/bench-load.sh): POST /v1/messages with the file in
-- TRUC_WRK_FILE, its ResponseFor/DocumentId made unique per request (so none is a duplicate), authenticated
-- with the token in TRUC_WRK_TOKEN.
dofile("scripts/wrk-common.lua")
local file = assert(io.open(os.getenv("TRUC_WRK_FILE"), "rb"))
local template = file:read("*a")
file:close()
local documentId = template:match("<edXML:DocumentId>([^<]*)</edXML:DocumentId>") or template:match("<DocumentId>([^<]*)</DocumentId>")
local escaped = documentId:gsub("[%-%.%+%[%]%(%)%$%^%%%?%*]", "%%%1")
local counter = 0

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/xml"
  wrk.headers["Authorization"] = "Bearer " .. token
  accepted = 0
  refused = 0
end

function request()
  counter = counter + 1
  local body = template:gsub(escaped, documentId .. "-" .. tostring(os.time()) .. "-" .. id .. "-" .. counter, 1)
  return wrk.format(nil, "/v1/messages", nil, body)
end

done = summary("messages")
