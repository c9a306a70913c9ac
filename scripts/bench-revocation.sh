#!/usr/bin/env bash
# Revocation benchmark (issue "signatures as a court would judge them"): builds truc in release mode, starts
# the revocation lab (Tests/Fixtures/revocation/lab.py: `openssl ocsp` behind a loopback HTTP front), signs
# the typical edXML envelope with the lab's OCSP-only signer (xmlsec1) and prints verification documents/s
# offline, with a warm OCSP cache and with a cold cache, and what a cold OCSP fetch adds to one verification.
# Needs: xmlsec1, openssl, python3.  Usage: scripts/bench-revocation.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
swift build -c release --product truc >/dev/null 2>&1 || swift build -c release --product truc
work=$(mktemp -d)
python3 Tests/Fixtures/revocation/lab.py "$work" >/dev/null 2>&1 &
lab=$!
trap 'kill $lab 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -f "$work/lab.json" ] && break; sleep 0.1; done
sleep 0.5
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
text = open("Tests/Fixtures/signatures/pdf-unsigned.edxml", encoding="utf-8").read()
signature = open("docs/signature-template.xml", encoding="utf-8").read()
open(work + "/unsigned.xml", "w", encoding="utf-8").write(text.replace("</edXML:edXMLHeader>", signature + "</edXML:edXMLHeader>", 1))
PY
xmlsec1 --sign --privkey-pem "$work/ocsp-good.key,$work/ocsp-good.pem" --output "$work/signed.edxml" "$work/unsigned.xml"
.build/release/truc bench revocation "$work/signed.edxml" --trust "$work/trust" --seconds "$seconds"
