#!/usr/bin/env bash
# Migration benchmark: a SQLite store with the statistics history of `truc bench stats-fill`
# (national directory, STATS messages over a year) and MESSAGES documents with their payloads, deliveries and
# receipts (`truc bench messages-fill`), copied into a fresh PostgreSQL cluster by `truc migrate`, which
# verifies the copy (row counts, SHA-256 of every payload computed by PostgreSQL). Prints the fill, the copy
# and the sizes. The store is kept in .build/bench/migrate and reused.
# Usage: scripts/bench-migrate.sh [MESSAGES] [STATS]
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-100000}
stats=${2:-10000000}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
truc=$PWD/.build/release/truc
data=.build/bench/migrate
if [ ! -f "$data/filled-$messages-$stats" ]; then
  rm -rf "$data"
  $truc bench stats-fill --data "$data" --messages "$stats" | tail -1
  $truc bench messages-fill --data "$data" --messages "$messages" | tail -1
  touch "$data/filled-$messages-$stats"
fi
. scripts/pg-cluster.sh
work=$(mktemp -d /tmp/truc-bench-migrate.XXXXXX)
chmod 755 "$work" # the server runs as postgres
trap 'pg_cluster_stop; rm -rf "$work"' EXIT
pg_cluster_start "$work/pg"
echo "source: $(du -sh "$data" | cut -f1) ($(sqlite3 "$data/truc.sqlite" 'SELECT count(*) FROM messages' 2>/dev/null || echo '?') messages)"
start=$(date +%s.%N)
$truc migrate --from-sqlite "$data" --to "$PG_URL" 2> >(grep -v "messages copied" >&2)
end=$(date +%s.%N)
size=$(psql "$PG_URL" -Atc "SELECT pg_size_pretty(pg_database_size('truc'))" 2>/dev/null || echo '?')
printf 'migrate: %.1f s wall clock in all; PostgreSQL database after the copy: %s\n' "$(echo "$end - $start" | bc)" "$size"
