#!/usr/bin/env bash
# A demo exchange across two hubs, as docker-compose runs it (and as a test runs it on 127.0.0.1):
# the national hub serves Văn phòng Chính phủ (G22), H14 and G17; the provincial hub serves Nghệ An (H41 and
# its department 000.00.12.H41). The hubs route to each other; each registers the other as a relaying peer.
# G22 sends a document signed personal + organisation to H41 (and H14, G17); H41 takes it from its own hub,
# verifies it, acknowledges it and answers with status 03, which travels back to G22.
#
# Environment: NATIONAL_URL, PROVINCIAL_URL (https://host:port), NATIONAL_DATA, PROVINCIAL_DATA (the hubs'
# data directories, shared with this client), TRUC (the truc binary), REPO (for Certs/ and Tests/Fixtures/);
# NATIONAL_DATABASE when the national hub runs on PostgreSQL (its nodes behind a load balancer).
set -euo pipefail
: "${NATIONAL_URL:?}" "${PROVINCIAL_URL:?}" "${NATIONAL_DATA:?}" "${PROVINCIAL_DATA:?}"
TRUC=${TRUC:-truc}
REPO=${REPO:-$(cd "$(dirname "$0")/.." && pwd)}
CA="$REPO/Certs/demo/trust/root-ca.pem"
NATIONAL=(--data "$NATIONAL_DATA")
[ -z "${NATIONAL_DATABASE:-}" ] || NATIONAL+=(--database "$NATIONAL_DATABASE")
step() { printf '\n== %s\n' "$*"; }

step "waiting for both hubs"
for url in "$NATIONAL_URL" "$PROVINCIAL_URL"; do
  for i in $(seq 1 100); do
    # any HTTP answer (here: 401 to a probe token) means the hub is up
    if { $TRUC inbox --hub "$url" --ca "$CA" --token probe 2>/dev/null || true; } | grep -q unauthenticated; then break; fi
    sleep 0.2
  done
done

step "registering agencies and the peer hubs"
hub_sha256=$(openssl x509 -in "$REPO/Certs/demo/hub/server.pem" -outform DER | sha256sum | cut -d' ' -f1)
$TRUC agencies add 000.00.00.G22 --name "Văn phòng Chính phủ" --cert-identifier MST:0100100001 "${NATIONAL[@]}"
$TRUC agencies add 000.00.00.H14 --name "UBND Tỉnh Cao Bằng" "${NATIONAL[@]}"
$TRUC agencies add 000.00.00.G17 --name "Bộ Thông tin và Truyền thông" "${NATIONAL[@]}"
$TRUC agencies add 000.00.00.W41 --name "Trục liên thông tỉnh Nghệ An" --relay --cert-sha256 "$hub_sha256" "${NATIONAL[@]}"
$TRUC agencies add 000.00.00.H41 --name "UBND Tỉnh Nghệ An" --cert-identifier MST:2900100002 --data "$PROVINCIAL_DATA"
$TRUC agencies add 000.00.12.H41 --name "Sở Thông tin và Truyền thông Nghệ An" --cert-identifier MST:2900100003 --data "$PROVINCIAL_DATA"
$TRUC agencies add 000.00.00.W01 --name "Trục liên thông văn bản quốc gia" --relay --cert-sha256 "$hub_sha256" --data "$PROVINCIAL_DATA"
G22=$($TRUC agencies token 000.00.00.G22 "${NATIONAL[@]}")
H41_CERT=(--cert "$REPO/Certs/demo/agencies/000.00.00.H41/organisation.pem" --key "$REPO/Certs/demo/agencies/000.00.00.H41/organisation.key")

step "G22 sends a signed document to the national hub"
$TRUC send "$REPO/Tests/Fixtures/signatures/pdf-both-zip.edxml" --hub "$NATIONAL_URL" --ca "$CA" --token "$G22"

step "H41 finds it at the provincial hub (client certificate), fetches, verifies, acknowledges"
id=""
for i in $(seq 1 100); do
  id=$($TRUC inbox --hub "$PROVINCIAL_URL" --ca "$CA" --kind edoc "${H41_CERT[@]}" | python3 -c 'import json,sys; items=json.load(sys.stdin)["items"]; print(items[0]["messageId"] if items else "")')
  [ -n "$id" ] && break
  sleep 0.2
done
[ -n "$id" ] || { echo "the document did not reach the provincial hub"; exit 1; }
work=$(mktemp -d)
$TRUC fetch "$id" --hub "$PROVINCIAL_URL" --ca "$CA" "${H41_CERT[@]}" -o "$work/document.edxml"
$TRUC verify "$work/document.edxml" --trust "$REPO/Certs/demo/trust"
$TRUC ack "$id" --hub "$PROVINCIAL_URL" --ca "$CA" "${H41_CERT[@]}"

step "H41 answers with status 03 (accepted); it travels back to G22"
$TRUC send "$REPO/Tests/Fixtures/vpcp/status_acceptance_03.edxml" --hub "$PROVINCIAL_URL" --ca "$CA" "${H41_CERT[@]}"
for i in $(seq 1 100); do
  if { $TRUC inbox --hub "$NATIONAL_URL" --ca "$CA" --token "$G22" --kind status || true; } | grep -q '"statusCode":"03"'; then
    step "done: the document crossed both hubs and the status came back"
    exit 0
  fi
  sleep 0.2
done
echo "the status did not reach G22"
exit 1
