#!/usr/bin/env bash
# Statistics benchmark (issue "statistics"): fills a store with synthetic national-scale history — about
# 30,000 agencies and 10 million messages over a year, counted by the intake's counter code (`truc bench
# stats-fill`; kept in .build/bench/stats and reused) — then runs a release `truc serve` on it and times
# the reports over HTTPS as ministries, provinces and the operator ask for them (curl, 20 runs each after
# warm-up; median and 95th percentile, milliseconds, whole request including TLS and JSON/CSV).
# Usage: scripts/bench-stats.sh [MESSAGES]   (delete .build/bench/stats to refill)
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-10000000}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
truc=$PWD/.build/release/truc
data=.build/bench/stats
if [ ! -f "$data/filled-$messages" ]; then
  rm -rf "$data"
  $truc bench stats-fill --data "$data" --messages "$messages"
  touch "$data/filled-$messages"
fi
port=$((20000 + RANDOM % 20000))
operator=bench-operator-token
TRUC_OPERATOR_TOKEN=$operator $truc serve --data "$data" --port $port --no-demo-agencies --demo-pki >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 50); do curl -s --cacert Certs/demo/trust/root-ca.pem https://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
province=$($truc agencies token 000.00.00.H41 --data "$data")
ministry=$($truc agencies token 000.00.00.G05 --data "$data")
district=$($truc agencies token 000.00.35.H41 --data "$data")
end=$(TZ=Asia/Ho_Chi_Minh date -d yesterday +%F)
year=$(TZ=Asia/Ho_Chi_Minh date -d "yesterday - 364 days" +%F)
month=$(TZ=Asia/Ho_Chi_Minh date -d "yesterday - 29 days" +%F)
eight=$(TZ=Asia/Ho_Chi_Minh date -d "yesterday - 245 days" +%F)
rows=$(sqlite3 "$data/truc.sqlite" "SELECT (SELECT SUM(count) FROM daily_sender), (SELECT COUNT(*) FROM agencies), (SELECT COUNT(*) FROM daily_sender), (SELECT COUNT(*) FROM daily_pair)")
echo "store: messages|agencies|daily_sender rows|daily_pair rows = $rows; period $year .. $end"
measure() { # name token path
  local name=$1 token=$2 path=$3 times=() size
  for _ in 1 2; do curl -s -o /dev/null --cacert Certs/demo/trust/root-ca.pem -H "Authorization: Bearer $token" "https://127.0.0.1:$port$path"; done
  for _ in $(seq 20); do
    times+=("$(curl -s -o "$data/answer" -w '%{http_code} %{time_total}' --cacert Certs/demo/trust/root-ca.pem -H "Authorization: Bearer $token" "https://127.0.0.1:$port$path")")
  done
  size=$(stat -c %s "$data/answer")
  printf '%s\n' "${times[@]}" | python3 -c "
import sys
codes, t = zip(*(l.split() for l in sys.stdin))
t = sorted(float(x) * 1000 for x in t)
print(f'%-58s HTTP {codes[0]}  median {t[len(t)//2]:7.1f} ms  p95 {t[int(len(t)*0.95)-1]:7.1f} ms  {int(sys.argv[1]):>9} bytes' % sys.argv[2])
" "$size" "$name"
}
s=/v1/stats/signed-ratio
measure "province subtree, 1 year, by agency (JSON)"        "$province" "$s?from=$year&to=$end&scope=subtree"
measure "province subtree, 1 year, by agency (CSV)"         "$province" "$s?from=$year&to=$end&scope=subtree&format=csv"
measure "province subtree, 8 months, sent to G22 (published)" "$province" "$s?from=$eight&to=$end&scope=subtree&recipient=000.00.00.G22"
measure "province subtree, 1 year, by month"                "$province" "$s?from=$year&to=$end&scope=subtree&groupBy=month"
measure "ministry subtree, 30 days, by day"                 "$ministry" "$s?from=$month&to=$end&scope=subtree&groupBy=day"
measure "ministry subtree, 1 year, documents only (type 0)" "$ministry" "$s?from=$year&to=$end&scope=subtree&businessType=0"
measure "one district, 1 year, by month"                    "$district" "$s?from=$year&to=$end&groupBy=month"
measure "operator, whole hub, 1 year, by month"             "$operator" "$s?from=$year&to=$end&groupBy=month"
measure "operator, Nghe An subtree, 1 year, by agency"      "$operator" "$s?from=$year&to=$end&agency=000.00.00.H41&scope=subtree"
measure "operator, every agency, 30 days, by agency"        "$operator" "$s?from=$month&to=$end"
measure "operator, every agency, 1 year, by agency"         "$operator" "$s?from=$year&to=$end"
measure "volume: province subtree, 1 year"                  "$province" "/v1/stats/volume?from=$year&to=$end&scope=subtree"
