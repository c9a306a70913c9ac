-- Shared by scripts/wrk-documents.lua and scripts/wrk-status.lua (loaded with dofile from the repository's
-- root, where scripts/bench-load.sh runs wrk): the threads' bookkeeping, the token, and the summary that
-- counts 202 answers as accepted and anything else but 200 as refused.
token = os.getenv("TRUC_WRK_TOKEN")
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1
  elseif status ~= 200 then
    refused = refused + 1
    if first_refusal == nil then first_refusal = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

-- what: "documents" or "messages"
function summary(what)
  return function(summary, latency, requests)
    local ok, bad, first = 0, 0, nil
    for _, t in ipairs(threads) do
      ok = ok + t:get("accepted")
      bad = bad + t:get("refused")
      first = first or t:get("first_refusal")
    end
    if first then io.write("first refusal   " .. first .. "\n") end
    io.write(string.format("accepted        %d in %.1f s = %.1f %s/s, %d refused\n",
      ok, summary.duration / 1e6, ok / (summary.duration / 1e6), what, bad))
    io.write(string.format("latency         p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  end
end
