#!/usr/bin/env bash
# Reading benchmark (issue "Foundation"): builds truc in release mode, writes a 5 KB status message and a
# ~20 MB document with one zipped PDF, then times read + validate + decode attachments of each on one
# thread and prints messages/s, MB/s and peak RSS. Usage: scripts/bench.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
truc=.build/release/truc
out=.build/bench
$truc bench generate --out "$out" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "idle process RSS: $(/usr/bin/time -f %M $truc --version 2>&1 >/dev/null | tail -1) KiB (Swift runtime + Foundation)"
echo
echo "== (a) status message, 5 KB"
$truc bench read "$out/status-5k.edxml" --seconds "$seconds"
echo
echo "== (b) document, ~20 MB (one zipped PDF)"
$truc bench read "$out/document-20m.edxml" --seconds "$seconds"
