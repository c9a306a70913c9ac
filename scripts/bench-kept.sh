#!/usr/bin/env bash
# What keeping the validation data costs: a release `truc serve` (embedded SQLite, demo PKI) on
# 127.0.0.1 loaded with distinct typical signed documents (scripts/make_bench_documents.py: a ~550 KB signed
# PDF each) by `truc bench load` for SECONDS, then `truc bench kept` on its data directory: bytes per message
# of the database, the payload segments and the validation data (each certificate and CRL kept once).
# With TRUC_BASE=/path/to/an/older/truc, the two binaries run alternately ROUNDS times each on fresh hubs
# (the same load client), for the intake rate with and without the change.
# Usage: scripts/bench-kept.sh [SECONDS] [ROUNDS]   (TRUC_LOAD_DOCUMENTS=1200 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-8}
rounds=${2:-2}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
truc=.build/release/truc
out=.build/bench
[ -d "$out/load" ] || TRUC_LOAD_DOCUMENTS=${TRUC_LOAD_DOCUMENTS:-1200} python3 scripts/make_bench_documents.py "$out" >/dev/null
pid=
data=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "$data" ] && rm -rf "$data"' EXIT
run() { # BINARY LABEL
  local binary=$1 label=$2 port
  data=$(mktemp -d)
  port=$((20000 + RANDOM % 20000))
  "$binary" serve --data "$data" --port $port --demo-pki >"$data/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sk "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  for code in 000.00.00.H14 000.00.00.G17; do "$binary" agencies add $code --name "$code" --data "$data" >/dev/null; done
  local g22
  g22=$("$binary" agencies token 000.00.00.G22 --data "$data")
  echo "== $label ($binary)"
  $truc bench load "$out/load" --hub "https://127.0.0.1:$port" --token "$g22" --concurrency 16 --seconds "$seconds" | grep -E "accepted|latency" | head -2
  kill $pid; wait $pid 2>/dev/null || true
  pid=
  $truc bench kept --data "$data"
  rm -rf "$data"
  data=
}
for _ in $(seq "$rounds"); do
  [ -n "${TRUC_BASE:-}" ] && run "$TRUC_BASE" "before (TRUC_BASE)"
  run "$truc" "this build"
done
