#!/usr/bin/env bash
# Load benchmark of the stores: the same load against
#   sqlite     one node, SQLite (the default),
#   pg-1       one node on PostgreSQL,
#   pg-1-lb    one node on PostgreSQL behind HAProxy (what the load balancer costs, for pg-2),
#   pg-2       two nodes on one PostgreSQL behind HAProxy (TLS passthrough, round robin),
# each on a fresh store: (a) the typical signed ~550 KB document (distinct documents from
# scripts/make_bench_documents.py), 16 connections; (b) a 2 KB status message (a distinct ResponseFor per
# request), 128 connections; (c) the recipient acknowledging the status messages of (b) (each makes the hub
# sign a delivery receipt and file it), 64 connections. wrk over keep-alive HTTPS with token authentication;
# documents/s, messages/s or acknowledgements/s and the latency percentiles. Everything — the nodes, PostgreSQL, HAProxy and wrk — shares this machine's
# cores: read pg-2 as "what a second node costs", not as what a second machine would give.
# Usage: scripts/bench-load-postgres.sh [SECONDS]   (apt-get install wrk haproxy postgresql)
# TRUC_PG_STATEMENTS=N also prints, after each PostgreSQL case, the N statements that took most of the
# server's time during the status load (pg_stat_statements: calls, total and mean milliseconds);
# TRUC_BENCH_CASES="pg-1 pg-2" runs only the cases named (default: all four).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-8}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
truc=$PWD/.build/release/truc
out=.build/bench
# Enough distinct documents that no case runs out within the load (500/s, well above what this machine
# reaches); a case that still sends them all is marked: its figure is then a floor.
needed=$((seconds * 500))
have=$(ls "$out/load" 2>/dev/null | wc -l)
[ "$have" -ge "$needed" ] || TRUC_LOAD_DOCUMENTS=$needed python3 scripts/make_bench_documents.py "$out" >/dev/null
documents=$(ls "$out/load" | wc -l)
. scripts/pg-cluster.sh
statements=${TRUC_PG_STATEMENTS:-0}
[ "$statements" -gt 0 ] && PG_OPTS="${PG_OPTS:-} -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on"
work=$(mktemp -d /tmp/truc-bench-pg.XXXXXX)
chmod 755 "$work"
pids=()
stop_all() { for p in "${pids[@]}"; do kill $p 2>/dev/null || true; wait $p 2>/dev/null || true; done; pids=(); }
trap 'stop_all; pg_cluster_stop; rm -rf "$work"' EXIT
# A server in its steady state: WAL segments are recycled, not created (and zero-filled) during the first
# case that writes — the cluster writes 2 GB of WAL before the loads and keeps up to 4 GB of segments.
PG_OPTS="${PG_OPTS:-} -c min_wal_size=4GB"
pg_cluster_start "$work/pg"
"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U truc -d truc -X -q \
  -c "CREATE TABLE warm AS SELECT repeat('x', 1000) AS filler FROM generate_series(1, 2000000)" -c "DROP TABLE warm" -c CHECKPOINT >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 200); do curl -sf --cacert Certs/demo/trust/root-ca.pem "$1/readyz" >/dev/null && return 0; sleep 0.1; done; echo "$1 did not start" >&2; return 1; }
run=0
start_case() { # $1: sqlite | pg-1 | pg-2; sets hub, g22, h41
  run=$((run + 1))
  local store=() data=$work/run$run nodes=1 urls=() balanced=false
  case $1 in
    sqlite) ;;
    pg-1) "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U truc "run$run"; store=(--database "postgres://truc@127.0.0.1:$PG_PORT/run$run") ;;
    pg-1-lb) "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U truc "run$run"; store=(--database "postgres://truc@127.0.0.1:$PG_PORT/run$run"); balanced=true ;;
    pg-2) "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U truc "run$run"; store=(--database "postgres://truc@127.0.0.1:$PG_PORT/run$run"); nodes=2; balanced=true ;;
  esac
  for n in $(seq $nodes); do
    local port; port=$(free_port)
    mkdir -p "$data-$n"
    $truc serve --data "$data-$n" --port "$port" --demo-pki "${store[@]}" ${store:+--node node-$n} >"$data-$n.log" 2>&1 &
    pids+=($!)
    urls+=("127.0.0.1:$port")
    wait_ready "https://127.0.0.1:$port"
  done
  if $balanced; then
    local port; port=$(free_port)
    { printf 'global\n  maxconn 2048\ndefaults\n  mode tcp\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n'
      printf 'frontend hub\n  bind 127.0.0.1:%s\n  default_backend nodes\nbackend nodes\n  balance roundrobin\n' "$port"
      printf '  option httpchk GET /readyz\n  default-server check check-ssl verify none inter 1s\n'
      for i in "${!urls[@]}"; do printf '  server n%s %s\n' "$i" "${urls[$i]}"; done; } >"$data.haproxy.cfg"
    haproxy -f "$data.haproxy.cfg" -db >"$data.haproxy.log" 2>&1 &
    pids+=($!)
    hub=https://127.0.0.1:$port
    wait_ready "$hub"
  else
    hub=https://${urls[0]}
  fi
  for code in 000.00.00.H14 000.00.00.G17; do $truc agencies add $code --name "$code" --data "$data-1" "${store[@]}" >/dev/null; done
  g22=$($truc agencies token 000.00.00.G22 --data "$data-1" "${store[@]}")
  h41=$($truc agencies token 000.00.00.H41 --data "$data-1" "${store[@]}")
}
# CPU time (clock ticks) used so far by processes and the children they have waited for: where the two
# cores go — the truc nodes, or PostgreSQL (the postmaster and its backends).
ticks() { local t=0 p; for p in "$@"; do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15+$16+$17}' /proc/$p/stat))); done; echo $t; }
truc_pids() { pgrep -f "$truc serve" | tr '\n' ' '; }
lb_pids() { pgrep -f "haproxy -f $work" | tr '\n' ' '; }
pg_pids() { local pm; pm=$(head -1 "$PG_DIR/data/postmaster.pid"); echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"; }
hz=$(getconf CLK_TCK)
# CPU ticks per kind of PostgreSQL process (backend, walwriter, autovacuum worker, checkpointer, …).
pg_ticks_by_kind() { local p; for p in $(pg_pids); do [ -r /proc/$p/stat ] || continue
    echo "$(tr '\0' ' ' </proc/$p/cmdline | awk '{ if ($2 == "truc") print "backend"; else print $2 " " $3 }') $(awk '{print $14+$15}' /proc/$p/stat)"
  done | awk '{ k = $0; sub(/ [0-9]+$/, "", k); t[k] += $NF } END { for (k in t) print k "\t" t[k] }' | sort; }
cores() { awk -v t="$1" -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%.2f", t / hz / s }'; }
results=()
usage=()
profile_start() {
  [ -n "$profile" ] || return 0
  $profile -c "SELECT pg_stat_statements_reset()" >/dev/null
  pg_ticks_by_kind >"$work/kinds.before"
}
profile_print() { # $1: the load
  [ -n "$profile" ] || return 0
  echo "== $case, $1: PostgreSQL's CPU seconds by process (backends that outlived the load)"
  pg_ticks_by_kind | join -t $'\t' -a 1 - "$work/kinds.before" | awk -F '\t' -v hz="$hz" '$2 - $3 > 0 { printf "%-28s %8.2f\n", $1, ($2 - $3) / hz }'
  echo "== $case, $1: the statements that took most of PostgreSQL's time"
  $profile -P pager=off -c "SELECT calls, round(total_exec_time::numeric, 0) AS total_ms, round(total_plan_time::numeric, 0) AS plan_ms,
      round(mean_exec_time::numeric, 3) AS mean_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
    FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time + total_plan_time DESC LIMIT $statements"
}
for case in ${TRUC_BENCH_CASES:-sqlite pg-1 pg-1-lb pg-2}; do
  # Each case starts from a quiet machine: the writes of the one before flushed (PostgreSQL's buffers and
  # the kernel's dirty pages), so that a case does not pay for its predecessor's writeback.
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U truc -d truc -X -q -c CHECKPOINT >/dev/null
  sync
  start_case $case
  profile=""
  if [ "$statements" -gt 0 ] && [ "$case" != sqlite ]; then
    profile="$PG_BIN/psql -h 127.0.0.1 -p $PG_PORT -U truc -d run$run -X -q"
    $profile -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
  fi
  profile_start
  t0=$(ticks $(truc_pids)); p0=$(ticks $(pg_pids)); l0=$(ticks $(lb_pids))
  a=$(TRUC_WRK_DIR="$out/load" TRUC_WRK_TOKEN="$g22" TRUC_WRK_COUNT=$documents \
        wrk -t1 -c16 -d"${seconds}s" -s scripts/wrk-documents.lua "$hub" | tail -2)
  t1=$(ticks $(truc_pids)); p1=$(ticks $(pg_pids)); l1=$(ticks $(lb_pids))
  profile_print documents
  profile_start
  b=$(TRUC_WRK_FILE=Tests/Fixtures/vpcp/status_acceptance_03.edxml TRUC_WRK_TOKEN="$h41" \
        wrk -t1 -c128 -d"${seconds}s" -s scripts/wrk-status.lua "$hub" | tail -2)
  t2=$(ticks $(truc_pids)); p2=$(ticks $(pg_pids)); l2=$(ticks $(lb_pids))
  profile_print status
  # (c) G22 takes delivery of the status messages of (b): each acknowledgement also makes the hub sign a
  # delivery receipt and file it for the sender.
  python3 - "$hub" "$g22" >"$work/ids" <<'PY'
import json, ssl, sys, urllib.request
hub, token = sys.argv[1], sys.argv[2]
context = ssl.create_default_context(cafile="Certs/demo/trust/root-ca.pem")
after = 0
while True:
    request = urllib.request.Request(f"{hub}/v1/inbox?kind=status&limit=1000&after={after}", headers={"Authorization": "Bearer " + token})
    page = json.load(urllib.request.urlopen(request, context=context))
    for item in page["items"]:
        print(item["messageId"])
    if not page["items"] or page.get("next") is None:
        break
    after = page["next"]
PY
  profile_start
  c=$(TRUC_WRK_IDS="$work/ids" TRUC_WRK_TOKEN="$g22" wrk -t1 -c64 -d"${seconds}s" -s scripts/wrk-ack.lua "$hub" | tail -2)
  profile_print acknowledgements
  usage+=("$(printf '%-8s %10s %10s %10s %12s %10s %10s' "$case" "$(cores $((t1 - t0)))" "$(cores $((p1 - p0)))" "$(cores $((l1 - l0)))" \
    "$(cores $((t2 - t1)))" "$(cores $((p2 - p1)))" "$(cores $((l2 - l1)))")")
  stop_all
  # Nothing of this case is left to work on during the next: its database dropped (no autovacuum of it
  # later), its data directories removed.
  [ "$case" = sqlite ] || "$PG_BIN/dropdb" -h 127.0.0.1 -p "$PG_PORT" -U truc "run$run"
  rm -rf "$work/run$run"-*
  docs=$(echo "$a" | sed -nE 's/accepted .*= ([0-9.]+) documents.*/\1/p'); docs99=$(echo "$a" | sed -nE 's/.*p99 ([0-9.]+) ms.*/\1/p')
  refused_a=$(echo "$a" | sed -nE 's/.*, ([0-9]+) refused/\1/p')
  status=$(echo "$b" | sed -nE 's/accepted .*= ([0-9.]+) messages.*/\1/p'); status99=$(echo "$b" | sed -nE 's/.*p99 ([0-9.]+) ms.*/\1/p')
  refused_b=$(echo "$b" | sed -nE 's/.*, ([0-9]+) refused/\1/p')
  sent=$(echo "$a" | sed -nE 's/accepted +([0-9]+) in.*/\1/p')
  [ "${sent:-0}" -lt "$documents" ] || docs="≥$docs"
  acks=$(echo "$c" | sed -nE 's/accepted .*= ([0-9.]+) acknowledgements.*/\1/p'); acks99=$(echo "$c" | sed -nE 's/.*p99 ([0-9.]+) ms.*/\1/p')
  results+=("$(printf '%-8s %10s %12s %12s %12s %10s %10s %9s' "$case" "$docs" "$docs99" "$status" "$status99" "$acks" "$acks99" "$refused_a/$refused_b")")
done
echo "== $seconds s per load, $(nproc) cores shared by everything"
printf '%-8s %10s %12s %12s %12s %10s %10s %9s\n' store "docs/s" "docs p99 ms" "status/s" "status p99" "acks/s" "acks p99" refused
printf '%s\n' "${results[@]}"
echo "== cores used during each load (CPU seconds / wall seconds; the rest of the 2 cores: wrk and the kernel)"
printf '%-8s %10s %10s %10s %12s %10s %10s\n' store "docs truc" "docs pg" "docs lb" "status truc" "status pg" "status lb"
printf '%s\n' "${usage[@]}"
