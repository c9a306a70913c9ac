#!/usr/bin/env bash
# Disk per message, by kind (docs/operating.md "Retention and archives"): a release `truc serve` (SQLite, demo PKI) on a fresh
# store is loaded for SECONDS by wrk with one kind of message — `status` (a 1.7 KB status message, a distinct
# ResponseFor per request) or `edoc` (the 9 KB signed fixture document with a distinct DocumentId; its three
# recipients then acknowledge every copy, so each also has three hub-signed receipts) — then stopped; the WAL is
# checkpointed and truncated, and the store's bytes (database pages by table from dbstat, payload segments by
# allocated blocks) are divided by the messages of that kind. With TRUC_BASE=/path/to/an/older/truc the two
# binaries run alternately on fresh stores (the same load), for before/after figures.
# Usage: scripts/bench-disk.sh [SECONDS] [KINDS]   (apt-get install wrk sqlite3; KINDS default "status edoc")
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-8}
kinds=${2:-"status edoc"}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
truc=$PWD/.build/release/truc
work=$(mktemp -d /tmp/truc-bench-disk.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
one() { # BINARY LABEL KIND
  local binary=$1 label=$2 kind=$3 data port
  data=$work/$RANDOM$RANDOM
  port=$(free_port)
  mkdir -p "$data"
  "$binary" serve --data "$data" --port "$port" --demo-pki >"$data.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -sf --cacert Certs/demo/trust/root-ca.pem "https://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local file token
  if [ "$kind" = status ]; then
    file=Tests/Fixtures/vpcp/status_acceptance_03.edxml
    token=$("$binary" agencies token 000.00.00.H41 --data "$data")
  else
    file=Tests/Fixtures/signatures/pdf-organisation.edxml
    for code in 000.00.00.H14 000.00.00.G17; do "$binary" agencies add $code --name "$code" --data "$data" >/dev/null; done
    token=$("$binary" agencies token 000.00.00.G22 --data "$data")
  fi
  local result
  result=$(TRUC_WRK_FILE=$file TRUC_WRK_TOKEN="$token" wrk -t1 -c64 -d"${seconds}s" -s scripts/wrk-status.lua "https://127.0.0.1:$port" | grep -E "accepted|p99")
  if [ "$kind" = edoc ]; then
    # Every recipient takes every copy: a receipt each (signed by the hub), as in the field.
    python3 scripts/bench_ack_all.py "https://127.0.0.1:$port" Certs/demo/trust/root-ca.pem \
      "$("$binary" agencies token 000.00.00.H41 --data "$data")" "$("$binary" agencies token 000.00.00.H14 --data "$data")" \
      "$("$binary" agencies token 000.00.00.G17 --data "$data")"
  fi
  kill $pid; wait $pid 2>/dev/null || true; pid=
  sqlite3 "$data/truc.sqlite" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
  echo "== $label, $kind: $(echo "$result" | head -1)"
  python3 - "$data" "$kind" <<'PY'
import os, sqlite3, sys
data, kind = sys.argv[1], sys.argv[2]
db = sqlite3.connect(data + "/truc.sqlite")
n = db.execute("SELECT count(*) FROM messages WHERE kind = ?", (kind,)).fetchone()[0]
payload = db.execute("SELECT coalesce(sum(size), 0) FROM messages").fetchone()[0]
kinds = dict(db.execute("SELECT kind, count(*) FROM messages GROUP BY kind"))
tables = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
free = db.execute("PRAGMA freelist_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
database = os.path.getsize(data + "/truc.sqlite")
segments = sum(os.stat(os.path.join(data, "payloads", f)).st_blocks * 512 for f in os.listdir(data + "/payloads"))
per = lambda v: v / max(1, n)
print(f"   {n} {kind} messages ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}); payload {per(payload):.0f} B per {kind} (all kinds' payloads)")
print(f"   disk {per(database + segments):.0f} B per {kind}: database {per(database):.0f} (free pages {per(free):.0f}), segments {per(segments):.0f}; "
      f"{(database + segments) / max(1, payload):.2f} x the payload bytes")
top = sorted(tables.items(), key=lambda kv: -kv[1])[:8]
print("   by table: " + ", ".join(f"{name} {per(size):.0f}" for name, size in top))
PY
  rm -rf "$data" "$data.log"
}
for kind in $kinds; do
  [ -n "${TRUC_BASE:-}" ] && one "$TRUC_BASE" "before (TRUC_BASE)" "$kind"
  one "$truc" "this build" "$kind"
done
