#!/usr/bin/env bash
# Load benchmark (issue "daemon"): a release `truc serve` on 127.0.0.1 with a fresh store, loaded over
# keep-alive HTTPS with token authentication by wrk (C; scripts/wrk-documents.lua, scripts/wrk-status.lua):
#   (a) the typical signed ~550 KB document (distinct documents from scripts/make_bench_documents.py, none a
#       duplicate), as fast as it goes, beside the bound: verification alone of the same document on as many
#       threads as there are cores (`truc bench bound`);
#   (b) a 2 KB status message (a distinct ResponseFor per request);
#   (a) again on a fresh hub at half the measured rate (`truc bench load --rate`), for the latency there;
#   the rate of full mutual-TLS handshakes (openssl s_time), since wrk cannot present a client certificate.
# Without wrk, `truc bench load` (Swift, heavier: it shares the cores with the hub) generates (a) and (b).
# Usage: scripts/bench-load.sh [SECONDS]   (apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-8}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
truc=.build/release/truc
out=.build/bench
[ -d "$out/load" ] || TRUC_LOAD_DOCUMENTS=${TRUC_LOAD_DOCUMENTS:-3000} python3 scripts/make_bench_documents.py "$out" >/dev/null
documents=$(ls "$out/load" | wc -l)
pids=()
dirs=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "${dirs[@]}"' EXIT
start_hub() { # sets hub, g22, h41
  local data port
  data=$(mktemp -d)
  port=$((20000 + RANDOM % 20000))
  $truc serve --data "$data" --port $port --demo-pki >"$data/serve.log" 2>&1 &
  pids+=($!)
  dirs+=("$data")
  sleep 2
  for code in 000.00.00.H14 000.00.00.G17; do $truc agencies add $code --name "$code" --data "$data" >/dev/null; done
  g22=$($truc agencies token 000.00.00.G22 --data "$data")
  h41=$($truc agencies token 000.00.00.H41 --data "$data")
  hub=https://127.0.0.1:$port
}
start_hub
echo "== (a) typical signed document, as fast as it goes"
if command -v wrk >/dev/null; then
  TRUC_WRK_DIR="$out/load" TRUC_WRK_TOKEN="$g22" TRUC_WRK_COUNT=$documents \
    wrk -t1 -c16 -d"${seconds}s" -s scripts/wrk-documents.lua "$hub" | tail -2 | tee "$out/a.txt"
  accepted=$(grep accepted "$out/a.txt" | awk '{print $2}')
  [ "$accepted" -lt "$documents" ] || echo "(all $documents documents were sent: the rate is a lower bound; make more with TRUC_LOAD_DOCUMENTS)"
  rate=$(grep accepted "$out/a.txt" | sed -E 's/.*= ([0-9.]+) documents.*/\1/')
else
  $truc bench load "$out/load" --hub $hub --token "$g22" --concurrency 16 --seconds "$seconds" | tee "$out/a.txt"
  rate=$(grep accepted "$out/a.txt" | sed -E 's/.*= ([0-9.]+) documents.*/\1/')
fi
$truc bench bound "$out/load" --threads "$(nproc)" | tail -1 | tee "$out/bound.txt"
bound=$(sed -E 's/.* ([0-9.]+) verifications.*/\1/' "$out/bound.txt")
python3 -c "print(f'share           {100 * $rate / $bound:.0f} % of the bound')"
echo "== (b) status message, 2 KB"
if command -v wrk >/dev/null; then
  TRUC_WRK_FILE=Tests/Fixtures/vpcp/status_acceptance_03.edxml TRUC_WRK_TOKEN="$h41" \
    wrk -t1 -c128 -d"${seconds}s" -s scripts/wrk-status.lua "$hub" | tail -2
else
  $truc bench load Tests/Fixtures/vpcp/status_acceptance_03.edxml --hub $hub --token "$h41" --concurrency 64 --seconds "$seconds" | head -3
fi
echo "== mutual-TLS handshakes (openssl s_time, new session each time, agency client certificate)"
openssl s_time -connect "${hub#https://}" -new -time 5 -CAfile Certs/demo/trust/root-ca.pem \
  -cert Certs/demo/agencies/000.00.00.H41/organisation.pem -key Certs/demo/agencies/000.00.00.H41/organisation.key 2>/dev/null \
  | grep -E "connections in .* real seconds" || echo "(openssl s_time unavailable)"
echo "== (a) at half the measured rate (a fresh hub, so that the same documents are new to it)"
start_hub
$truc bench load "$out/load" --hub $hub --token "$g22" --concurrency 8 --seconds "$seconds" --rate "$(python3 -c "print(max(1, $rate / 2))")" | head -3
