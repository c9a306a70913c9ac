#!/usr/bin/env bash
# What the evidence log costs (docs/evidence-log.md "Evidence log"): 2 KB status messages (a distinct ResponseFor per request,
# 128 keep-alive HTTPS connections, token authentication; wrk, else `truc bench load`) against a release
# `truc serve` with `--evidence-log off` and `on` (the default), on SQLite and on PostgreSQL, each on a fresh
# store, the two alternating over ROUNDS rounds (off first, then on first) so that drift is shared. Prints each
# run's messages/s and p99, the medians, and on/off. Then the log's storage per event on the last SQLite store.
# TRUC_BENCH_MODES="off on tsa-down" adds a third mode: the log on with --tsa-url at an address where nothing
# listens (the TSA down for the whole run: checkpoints wait unstamped, retried with backoff).
# Usage: scripts/bench-log.sh [SECONDS] [ROUNDS]   (apt-get install wrk postgresql; TRUC_BENCH_STORES="sqlite")
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-8}
rounds=${2:-3}
stores=${TRUC_BENCH_STORES:-"sqlite postgres"}
modes=${TRUC_BENCH_MODES:-"off on"}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
truc=$PWD/.build/release/truc
work=$(mktemp -d /tmp/truc-bench-log.XXXXXX)
chmod 755 "$work"
pid=
case " $stores " in *" postgres "*) . scripts/pg-cluster.sh; pg_cluster_start "$work/pg" ;; esac
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "${PG_PID:-}" ] && pg_cluster_stop; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
one() { # $1 store, $2 on|off, $3 run name: prints "messages/s p99-ms"
  local run=$3 data=$work/$3 port store=()
  port=$(free_port)
  if [ "$1" = postgres ]; then "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U truc "$run"; store=(--database "postgres://truc@127.0.0.1:$PG_PORT/$run"); fi
  mkdir -p "$data"
  local mode=(--evidence-log "$2")
  [ "$2" = tsa-down ] && mode=(--evidence-log on --tsa-url "http://127.0.0.1:$(free_port)/tsa")
  $truc serve --data "$data" --port "$port" --demo-pki "${mode[@]}" "${store[@]}" >"$data.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -sf --cacert Certs/demo/trust/root-ca.pem "https://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local h41; h41=$($truc agencies token 000.00.00.H41 --data "$data" "${store[@]}")
  local result
  if command -v wrk >/dev/null; then
    result=$(TRUC_WRK_FILE=Tests/Fixtures/vpcp/status_acceptance_03.edxml TRUC_WRK_TOKEN="$h41" \
      wrk -t1 -c128 -d"${seconds}s" -s scripts/wrk-status.lua "https://127.0.0.1:$port" | tail -2)
  else
    result=$($truc bench load Tests/Fixtures/vpcp/status_acceptance_03.edxml --hub "https://127.0.0.1:$port" --token "$h41" --concurrency 64 --seconds "$seconds" | head -3)
  fi
  kill $pid; wait $pid 2>/dev/null || true; pid=
  local rate p99
  rate=$(echo "$result" | grep accepted | sed -E 's/.*= ([0-9.]+) (messages|documents)\/s.*/\1/')
  p99=$(echo "$result" | grep -E 'p99' | sed -E 's/.*p99 ([0-9.]+) ms.*/\1/')
  echo "$rate ${p99:-?}"
}
reversed=$(echo $modes | tr ' ' '\n' | tac | tr '\n' ' ')
for store in $stores; do
  results=$work/$store.results
  : >"$results"
  for r in $(seq "$rounds"); do
    if [ $((r % 2)) = 1 ]; then order=$modes; else order=$reversed; fi
    for mode in $order; do
      read -r rate p99 < <(one "$store" "$mode" "$store$r$mode")
      printf '%-9s round %d  log %-8s  %8.1f messages/s  p99 %s ms\n' "$store" "$r" "$mode" "$rate" "$p99"
      echo "$mode $rate" >>"$results"
    done
  done
  python3 - "$store" "$results" <<'PY'
import collections, statistics, sys
store, rates = sys.argv[1], collections.defaultdict(list)
for line in open(sys.argv[2]):
    mode, rate = line.split()
    rates[mode].append(float(rate))
medians = {mode: statistics.median(values) for mode, values in rates.items()}
off = medians.get("off")
print(f"{store:<9} median  " + "  ".join(f"{mode} {value:.1f}" + (f" ({100 * value / off:.1f} % of off)" if off and mode != "off" else "")
                                         for mode, value in medians.items()) + " messages/s")
PY
done
# Storage per event: the log's tables on the last SQLite store (events, their index, the tree's nodes).
last=$(for d in "$work"/sqlite*on; do if [ -f "$d/truc.sqlite" ]; then echo "$d"; fi; done | tail -1)
if [ -n "$last" ]; then
  python3 - "$last/truc.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
try:
    rows = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE 'log_%' OR name LIKE 'sqlite_autoindex_log_%' GROUP BY name"))
except sqlite3.OperationalError:
    rows = {}
events = db.execute("SELECT count(*) FROM log_events").fetchone()[0]
if events and rows:
    total = sum(rows.values())
    print(f"storage         {events} events, {total / events:.0f} bytes per event on disk (SQLite pages: " + ", ".join(f"{k} {v / events:.0f}" for k, v in sorted(rows.items())) + ")")
else:
    print(f"storage         {events} events (the SQLite dbstat table is not available here)")
PY
fi
