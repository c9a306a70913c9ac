#!/usr/bin/env bash
# Makes Truc's demo PKI with the openssl CLI. FOR DEMOS AND TESTS ONLY: every private key is committed.
#
#   Certs/demo/ca/           root CA, intermediate CA (keys, openssl ca databases)
#   Certs/demo/trust/        what a hub trusts for signatures and client certificates:
#                            root-ca.pem, intermediate-ca.pem, root.crl.pem, intermediate.crl.pem
#   Certs/demo/hub/          TLS server certificate of the demo hub (localhost, 127.0.0.1) + chain,
#                            client-ca.pem (the CAs whose client certificates the hub accepts)
#   Certs/demo/agencies/C/   per demo agency C: organisation certificate (UID=MST:...) and
#                            personal certificate (UID=CCCD:...), each with its key and chain
#   Certs/demo/test/         expired.pem and revoked.pem (revoked in intermediate.crl.pem)
#
# Usage: Certs/make-demo-pki.sh [OUTDIR]   (default: Certs/demo; the old folder is replaced)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/demo}
rm -rf "$out"
mkdir -p "$out"/{ca/root,ca/intermediate,trust,hub,test,agencies}
out=$(cd "$out" && pwd)
export LC_ALL=C

# One openssl ca configuration, parameterised by environment variables.
cat >"$out/ca/openssl.cnf" <<'CNF'
[ ca ]
default_ca = this_ca
[ this_ca ]
dir              = ${ENV::CA_DIR}
database         = $dir/index.txt
new_certs_dir    = $dir/issued
serial           = $dir/serial
crlnumber        = $dir/crlnumber
default_md       = sha256
default_days     = 3650
default_crl_days = 3650
policy           = any
unique_subject   = no
copy_extensions  = none
[ any ]
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied
userId                 = optional
serialNumber           = optional
[ req ]
distinguished_name = dn
prompt             = no
string_mask        = utf8only
utf8               = yes
[ dn ]
CN = placeholder
[ v3_root ]
basicConstraints       = critical, CA:true
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
[ v3_intermediate ]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_server ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, DNS:national-hub, DNS:provincial-hub, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ v3_organisation ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = clientAuth, emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ v3_personal ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection, clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ v3_no_signing ]
basicConstraints       = critical, CA:false
keyUsage               = critical, keyEncipherment
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
CNF

init_ca() { mkdir -p "$1/issued"; : >"$1/index.txt"; echo 1000 >"$1/serial"; echo 1000 >"$1/crlnumber"; }
init_ca "$out/ca/root"
init_ca "$out/ca/intermediate"
cnf="$out/ca/openssl.cnf"
export CA_DIR=$out/ca/root  # read by every openssl call on this config; ca calls set their own

# issue CA_DIR ISSUER_CERT ISSUER_KEY EXT SUBJECT OUT_PREFIX [extra openssl ca args]
issue() {
  local ca_dir=$1 issuer_cert=$2 issuer_key=$3 ext=$4 subject=$5 prefix=$6; shift 6
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$prefix.key" 2>/dev/null
  openssl req -new -config "$cnf" -key "$prefix.key" -subj "$subject" -utf8 -out "$prefix.csr"
  CA_DIR=$ca_dir openssl ca -batch -config "$cnf" -utf8 -extensions "$ext" -cert "$issuer_cert" -keyfile "$issuer_key" \
    -in "$prefix.csr" -out "$prefix.pem" -notext "$@" 2>/dev/null
  rm "$prefix.csr"
}

# Root CA (self-signed) and intermediate CA.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$out/ca/root/root-ca.key" 2>/dev/null
openssl req -new -config "$cnf" -key "$out/ca/root/root-ca.key" -utf8 \
  -subj "/C=VN/O=Truc Demo PKI/CN=Truc Demo Root CA (NOT FOR PRODUCTION)" -out "$out/ca/root/root-ca.csr"
CA_DIR=$out/ca/root openssl ca -batch -config "$cnf" -selfsign -utf8 -extensions v3_root -keyfile "$out/ca/root/root-ca.key" \
  -in "$out/ca/root/root-ca.csr" -out "$out/ca/root/root-ca.pem" -notext -startdate 20250101000000Z -enddate 20451231235959Z 2>/dev/null
rm "$out/ca/root/root-ca.csr"
issue "$out/ca/root" "$out/ca/root/root-ca.pem" "$out/ca/root/root-ca.key" v3_intermediate \
  "/C=VN/O=Truc Demo PKI/CN=Truc Demo Signing CA (NOT FOR PRODUCTION)" "$out/ca/intermediate/intermediate-ca" \
  -startdate 20250101000000Z -enddate 20401231235959Z
ica="$out/ca/intermediate/intermediate-ca.pem"; ikey="$out/ca/intermediate/intermediate-ca.key"
chain() { cat "$1.pem" "$ica" >"$1.chain.pem"; }

# The hub's TLS server certificate.
issue "$out/ca/intermediate" "$ica" "$ikey" v3_server "/C=VN/O=Truc Demo Hub/CN=localhost" "$out/hub/server"
chain "$out/hub/server"

# Demo agencies: code|name|tax code (MST)|person|citizen id (CCCD)
agencies=(
  "000.00.00.G22|Văn phòng Chính phủ|0100100001|Nguyễn Văn An|001080000001"
  "000.00.00.H41|UBND Tỉnh Nghệ An|2900100002|Trần Thị Bình|040085000002"
  "000.00.12.H41|Sở Thông tin và Truyền thông Nghệ An|2900100003|Lê Văn Cường|040090000003"
)
for entry in "${agencies[@]}"; do
  IFS='|' read -r code name mst person cccd <<<"$entry"
  dir="$out/agencies/$code"; mkdir -p "$dir"
  issue "$out/ca/intermediate" "$ica" "$ikey" v3_organisation "/C=VN/O=$name/CN=$name/UID=MST:$mst" "$dir/organisation"
  issue "$out/ca/intermediate" "$ica" "$ikey" v3_personal "/C=VN/O=$name/CN=$person/UID=CCCD:$cccd" "$dir/personal"
  chain "$dir/organisation"; chain "$dir/personal"
  printf '%s\n' "$name" >"$dir/name.txt"
done

# Test certificates: expired, revoked, and one without a signing key usage.
issue "$out/ca/intermediate" "$ica" "$ikey" v3_personal "/C=VN/O=Truc Test/CN=Expired Signer/UID=CCCD:001099000009" "$out/test/expired" \
  -startdate 20200101000000Z -enddate 20210101000000Z
issue "$out/ca/intermediate" "$ica" "$ikey" v3_personal "/C=VN/O=Truc Test/CN=Revoked Signer/UID=CCCD:001099000008" "$out/test/revoked"
issue "$out/ca/intermediate" "$ica" "$ikey" v3_no_signing "/C=VN/O=Truc Test/CN=No Signing Usage/UID=MST:0100199007" "$out/test/no-signing"
CA_DIR=$out/ca/intermediate openssl ca -batch -config "$cnf" -cert "$ica" -keyfile "$ikey" -revoke "$out/test/revoked.pem" \
  -crl_reason keyCompromise 2>/dev/null
for t in expired revoked no-signing; do chain "$out/test/$t"; done

# CRLs and the trust directory.
CA_DIR=$out/ca/intermediate openssl ca -batch -config "$cnf" -gencrl -cert "$ica" -keyfile "$ikey" -out "$out/trust/intermediate.crl.pem" 2>/dev/null
CA_DIR=$out/ca/root openssl ca -batch -config "$cnf" -gencrl -cert "$out/ca/root/root-ca.pem" -keyfile "$out/ca/root/root-ca.key" \
  -out "$out/trust/root.crl.pem" 2>/dev/null
cp "$out/ca/root/root-ca.pem" "$out/trust/root-ca.pem"
cp "$ica" "$out/trust/intermediate-ca.pem"
# The bundle a hub uses to accept TLS client certificates (agencies, peer hubs).
cat "$out/trust/root-ca.pem" "$out/trust/intermediate-ca.pem" >"$out/hub/client-ca.pem"
rm -f "$out"/ca/*/*.old

# Self-check with openssl itself.
v() { openssl verify -CAfile "$out/trust/root-ca.pem" -untrusted "$ica" "$@"; }
v "$out/hub/server.pem" >/dev/null
for entry in "${agencies[@]}"; do code=${entry%%|*}; v "$out/agencies/$code/organisation.pem" "$out/agencies/$code/personal.pem" >/dev/null; done
if v -crl_check -CRLfile "$out/trust/intermediate.crl.pem" "$out/test/revoked.pem" >/dev/null 2>&1; then echo "revoked certificate still verifies" >&2; exit 1; fi
if v "$out/test/expired.pem" >/dev/null 2>&1; then echo "expired certificate still verifies" >&2; exit 1; fi
echo "demo PKI written to $out"
