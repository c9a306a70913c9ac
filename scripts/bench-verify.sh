#!/usr/bin/env bash
# Verification benchmark (issue "signatures"): builds truc in release mode, makes (a) a typical ~550 KB
# document (two zipped ~200 KB PDFs, each signed personal + organisation with pyHanko; envelope signed with
# xmlsec1) and (b) a ~20 MB one, then prints verifications/s on one thread, MB/s, peak RSS, the bound
# (OpenSSL's digests and signature checks plus base64, same run) and the peer (the xmlsec library through
# its Python binding, in-process, same envelope signature).
# Needs: xmlsec1, pip packages pyhanko, signxml and xmlsec.  Usage: scripts/bench-verify.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
out=.build/bench
python3 scripts/make_bench_documents.py "$out" >/dev/null
for doc in typical large; do
  echo "== ($([ $doc = typical ] && echo a || echo b)) $doc document"
  .build/release/truc bench verify "$out/$doc.edxml" --seconds "$seconds"
  python3 scripts/peer_xmlsec.py "$out/$doc.edxml" "$seconds" || echo "peer            (python xmlsec not installed)"
  echo
done
