#!/usr/bin/env bash
# Does purging slow intake? (docs/operating.md "Retention and archives"): a store filled once with MESSAGES final documents
# (`truc bench messages-fill --all-acknowledged`: every delivery acknowledged, a receipt each) is copied for each
# run; a release `truc serve` on the copy takes 1.7 KB status messages from wrk (128 keep-alive HTTPS connections)
# for SECONDS, either without retention (`off`) or archiving and purging every final document as it goes (`on`:
# --payload-retention-days 0, --archive-dir, --purge-interval 1). The two alternate over ROUNDS rounds; prints each
# run's messages/s, p99 and (on) the payloads purged during the run, then the medians.
# Usage: scripts/bench-purge.sh [SECONDS] [ROUNDS] [MESSAGES]   (apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
rounds=${2:-3}
messages=${3:-100000}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
truc=$PWD/.build/release/truc
work=$(mktemp -d /tmp/truc-bench-purge.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
echo "filling a store with $messages final documents"
$truc bench messages-fill --data "$work/template" --messages "$messages" --all-acknowledged | tail -1
# The fill's events get their leaves once, in the template (a hub's sequencer would otherwise do it at the start
# of every run, competing with the load it measures).
port=$(free_port)
$truc serve --data "$work/template" --port "$port" --demo-pki >"$work/template.log" 2>&1 &
pid=$!
for _ in $(seq 600); do
  left=$(sqlite3 "$work/template/truc.sqlite" "SELECT (SELECT count(*) FROM log_events) - (SELECT count(*) FROM log_nodes WHERE level = 0)" 2>/dev/null || echo 1)
  [ "$left" = 0 ] && break
  sleep 0.5
done
kill $pid; wait $pid 2>/dev/null || true; pid=
sync; sleep 5 # the fill's writes reach the disk before any run (else the first run measures their writeback)
one() { # off|on RUN: prints "messages/s p99-ms purged"
  local mode=$1 data=$work/$2 port extra=()
  cp -a "$work/template" "$data"
  sync
  port=$(free_port)
  if [ "$mode" = on ]; then mkdir -p "$data.archive"; extra=(--payload-retention-days 0 --archive-dir "$data.archive" --purge-interval 1); fi
  $truc serve --data "$data" --port "$port" --demo-pki --checkpoint-interval 1 "${extra[@]}" >"$data.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do curl -sf --cacert Certs/demo/trust/root-ca.pem "https://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  sleep 2 # the first checkpoint (the purge archives only what a checkpoint covers)
  local h41 result
  h41=$($truc agencies token 000.00.00.H41 --data "$data")
  result=$(TRUC_WRK_FILE=Tests/Fixtures/vpcp/status_acceptance_03.edxml TRUC_WRK_TOKEN="$h41" \
    wrk -t1 -c128 -d"${seconds}s" -s scripts/wrk-status.lua "https://127.0.0.1:$port" | tail -2)
  kill $pid; wait $pid 2>/dev/null || true; pid=
  local rate p99 purged
  rate=$(echo "$result" | grep accepted | sed -E 's/.*= ([0-9.]+) messages\/s.*/\1/')
  p99=$(echo "$result" | grep -E 'p99' | sed -E 's/.*p99 ([0-9.]+) ms.*/\1/')
  purged=$(sqlite3 "$data/truc.sqlite" "SELECT count(*) FROM messages WHERE payload LIKE 'archived:%'")
  rm -rf "$data" "$data.archive"
  echo "$rate $p99 $purged"
}
results=$work/results
: >"$results"
for r in $(seq "$rounds"); do
  if [ $((r % 2)) = 1 ]; then order="off on"; else order="on off"; fi
  for mode in $order; do
    read -r rate p99 purged < <(one "$mode" "run$r$mode")
    printf 'round %d  purge %-3s  %8.1f messages/s  p99 %6s ms  %7s payloads purged during the run\n' "$r" "$mode" "$rate" "$p99" "$purged"
    echo "$mode $rate $p99" >>"$results"
  done
done
python3 - "$results" <<'PY'
import collections, statistics, sys
rates, p99s = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    mode, rate, p99 = line.split()
    rates[mode].append(float(rate)); p99s[mode].append(float(p99))
off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
p_off, p_on = statistics.median(p99s["off"]), statistics.median(p99s["on"])
print(f"median  off {off:.1f} messages/s, p99 {p_off:.1f} ms;  on {on:.1f} messages/s ({100 * on / off:.1f} %), p99 {p_on:.1f} ms ({100 * p_on / p_off:.0f} % of off)")
PY
