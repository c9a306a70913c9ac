#!/usr/bin/env bash
# Load benchmark (issue "daemon"): a release `truc serve` on 127.0.0.1 with a fresh store, loaded by
# `truc bench load` (token auth over keep-alive HTTPS) with (a) the typical signed ~550 KB document and (b)
# a 2 KB status message; then (a) again at half the measured rate, for the latency at that load.
# Prints documents/s, latency percentiles and the verification-only bound; with wrk installed, (b) again from
# wrk (scripts/wrk-status.lua).  Usage: scripts/bench-load.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
truc=.build/release/truc
out=.build/bench
[ -d "$out/load" ] || TRUC_LOAD_DOCUMENTS=${TRUC_LOAD_DOCUMENTS:-3000} python3 scripts/make_bench_documents.py "$out" >/dev/null
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
$truc serve --data "$data" --port $port >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
sleep 2
for code in 000.00.00.H14 000.00.00.G17; do $truc agencies add $code --name "$code" --data "$data" >/dev/null; done
g22=$($truc agencies token 000.00.00.G22 --data "$data")
h41=$($truc agencies token 000.00.00.H41 --data "$data")
hub=https://127.0.0.1:$port
echo "== (a) typical signed document"
$truc bench load "$out/load" --hub $hub --token "$g22" --concurrency 8 --seconds "$seconds" | tee "$data/a.txt"
rate=$(grep accepted "$data/a.txt" | sed -E 's/.*= ([0-9.]+) documents.*/\1/')
sent=$(grep accepted "$data/a.txt" | awk '{print $2}')
echo "== (a) at half that rate"
# a fresh hub store would be needed to reuse the same documents; the second run sends the remaining ones
$truc bench load "$out/load" --hub $hub --token "$g22" --concurrency 8 --seconds "$seconds" --skip "$sent" --rate "$(python3 -c "print(max(1, $rate / 2))")"
echo "== (b) status message, 2 KB"
$truc bench load Tests/Fixtures/vpcp/status_acceptance_03.edxml --hub $hub --token "$h41" --concurrency 16 --seconds "$seconds"
if command -v wrk >/dev/null; then
  # The same load from wrk (C, one thread): the Swift generator above takes a good part of the two cores itself.
  echo "== (b) status message, 2 KB, from wrk (64 connections)"
  TRUC_WRK_FILE=Tests/Fixtures/vpcp/status_acceptance_03.edxml TRUC_WRK_TOKEN="$h41" \
    wrk -t1 -c64 -d"${seconds}s" -s scripts/wrk-status.lua "$hub" | tail -2
fi
echo "== mutual-TLS handshakes (openssl s_time, new session each time, agency client certificate)"
openssl s_time -connect 127.0.0.1:$port -new -time 5 -CAfile Certs/demo/trust/root-ca.pem \
  -cert Certs/demo/agencies/000.00.00.H41/organisation.pem -key Certs/demo/agencies/000.00.00.H41/organisation.key 2>/dev/null \
  | grep -E "connections in .* real seconds" || echo "(openssl s_time unavailable)"
