#!/usr/bin/env bash
# Fuzzes the parsers a caller's bytes reach (Sources/TrucFuzzing) with libFuzzer and AddressSanitizer.
#
#   scripts/fuzz.sh [--runs N | --seconds S] [--release] [TARGET ...]
#
# Targets: edxml base64 zip pdf cms vxp receipt date (default: all). --runs N executions per target (CI:
# the test suite runs --runs 3000), or --seconds S per target for a longer hunt, e.g. an hour each:
#   scripts/fuzz.sh --seconds 3600 --release zip
# Seeds: the real samples and fixtures (Tests/Fixtures) and Tests/Fuzz/corpus/<target>; what libFuzzer
# learns goes to .build-fuzz/corpus/<target> and is reused by the next run. A crash stops the run and
# leaves the input in .build-fuzz/crashes/: copy it to Tests/Fuzz/crashers/<target>/ (the test suite replays
# every file there), fix the cause, and commit both.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
runs=3000 seconds="" config=debug targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --release) config=release; shift ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(edxml base64 zip pdf cms vxp receipt date)

scratch=${TRUC_FUZZ_SCRATCH:-.build-fuzz}
mkdir -p "$scratch"
echo "fuzz: building truc-fuzz ($config, -sanitize=fuzzer,address)"
swift build -c "$config" --product truc-fuzz --scratch-path "$scratch" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DTRUC_FUZZING >"$scratch/build.log" 2>&1 \
  || { tail -40 "$scratch/build.log"; echo "fuzz: build failed"; exit 2; }
binary="$scratch/$config/truc-fuzz"
mkdir -p "$scratch/crashes"

# Seeds made from the fixtures, per target, in a fresh folder each run.
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
python3 - "$repo" "$seeds" <<'PY'
import base64, os, re, shutil, sys
repo, out = sys.argv[1], sys.argv[2]
fx = os.path.join(repo, "Tests", "Fixtures")
def put(target, name, data):
    d = os.path.join(out, target); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(data)
def files(folder, ext):
    folder = os.path.join(fx, folder)
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(ext))
for path in files("vpcp", ".edxml") + files("signatures", ".edxml") + files("signatures/attacks", ".edxml") + files("attachments/hostile", ".edxml"):
    data = open(path, "rb").read()
    if len(data) <= 262144: put("edxml", os.path.basename(path), data)
for path in files("attachments", ".zip") + files("attachments/hostile", ".zip"):
    put("zip", os.path.basename(path), open(path, "rb").read())
for path in files("signatures", ".pdf") + files("signatures/attacks", ".pdf") + files("attachments", ".pdf"):
    data = open(path, "rb").read()
    put("pdf", os.path.basename(path), data)
    for i, m in enumerate(re.finditer(rb"/Contents\s*<([0-9A-Fa-f]+)>", data)):
        put("cms", "%s-%d.der" % (os.path.basename(path), i), bytes.fromhex(m.group(1).decode()).rstrip(b"\0"))
    put("base64", os.path.basename(path) + ".b64", base64.encodebytes(data[:4096]))
PY

failed=0
for target in "${targets[@]}"; do
  corpus="$scratch/corpus/$target"
  mkdir -p "$corpus" "$seeds/$target"
  limit=(-runs="$runs")
  [ -z "$seconds" ] || limit=(-max_total_time="$seconds")
  extra=()
  [ -d "Tests/Fuzz/corpus/$target" ] && extra+=("Tests/Fuzz/corpus/$target")
  [ -d "Tests/Fuzz/crashers/$target" ] && extra+=("Tests/Fuzz/crashers/$target")
  # dictionaries: the format's tokens and numbers that do not fit (Tests/Fuzz/dict/<target>.dict)
  dict=()
  [ -f "Tests/Fuzz/dict/$target.dict" ] && dict=(-dict="Tests/Fuzz/dict/$target.dict")
  echo "fuzz: $target (${limit[*]})"
  if ! TRUC_FUZZ_TARGET=$target TRUC_FUZZ_TRUST="$repo/Certs/demo/trust" ASAN_OPTIONS=detect_leaks=0 \
      "$binary" "${limit[@]}" "${dict[@]}" -max_len=262144 -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 \
      -artifact_prefix="$scratch/crashes/$target-" "$corpus" "$seeds/$target" "${extra[@]}" >"$scratch/$target.log" 2>&1; then
    tail -60 "$scratch/$target.log"
    echo "fuzz: $target FAILED (input in $scratch/crashes/)"
    failed=1
  else
    grep -a -E "stat::number_of_executed_units|stat::peak_rss_mb" "$scratch/$target.log" | tr '\n' ' '; echo
  fi
done
[ $failed -eq 0 ] && echo "fuzz: every target clean" || { echo "fuzz: a target failed"; exit 1; }
