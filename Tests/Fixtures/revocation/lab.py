#!/usr/bin/env python3
"""A revocation lab on 127.0.0.1 for Truc's tests, made only of independent tools:

  * a CA run by `openssl ca` (its index is the revocation database), with signer certificates whose AIA
    (OCSP) and CRL distribution points name this lab's port;
  * `openssl ocsp` as the OCSP responder (one process per request, behind this loopback HTTP front: OpenSSL
    3.0's `-port` would bind every interface), signed by a delegated responder (id-kp-OCSPSigning), or by a
    certificate without that usage at /rogue, late at /slow;
  * the CA's CRL (`openssl ca -gencrl`) served at /ca.crl;
  * `openssl ts` as a TSA at /tsa (RFC 3161 over HTTP).

Hostile answers, one signer each: OCSP bytes that are not DER (/garbage), an answer larger than any OCSP
response (/huge), HTTP 500 (/error), a genuine response to another request (/replay: a nonce the client never
sent), a CRL whose nextUpdate has passed (/stale.crl), a CRL of another CA (/wrong.crl).

Delta CRLs (RFC 5280 §5.2.4, made with Python cryptography): signers whose certificates name a complete CRL
(/delta-base.crl, number 100: "delta-held" on certificateHold) and a freshestCRL (/delta.crl, number 101 over base
100: the hold lifted with removeFromCRL, "delta-revoked" revoked for keyCompromise).

Control: POST /control/revoke?name=NAME revokes a certificate and publishes a new CRL.

Usage: lab.py WORKDIR  -> writes WORKDIR/lab.json (port, paths) and prints READY, then serves until killed.
"""
import http.server, json, os, socket, subprocess, sys, tempfile, threading, time, urllib.parse

WORK = os.path.abspath(sys.argv[1])
os.makedirs(WORK, exist_ok=True)
LOCK = threading.Lock()

# Bind first: the certificates name the port.
SERVER_SOCKET = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
SERVER_SOCKET.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
SERVER_SOCKET.bind(("127.0.0.1", 0))
PORT = SERVER_SOCKET.getsockname()[1]
# A port nothing listens on (bound and closed): the "unreachable responder".
_probe = socket.socket(); _probe.bind(("127.0.0.1", 0)); DEAD_PORT = _probe.getsockname()[1]; _probe.close()
BASE = f"http://127.0.0.1:{PORT}"


def path(*parts):
    return os.path.join(WORK, *parts)


def run(*args):
    result = subprocess.run(list(args), cwd=WORK, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr}")
    return result.stdout


CA_CONFIG = f"""
[ ca ]
default_ca = lab
[ lab ]
dir = {WORK}
database = {WORK}/index.txt
new_certs_dir = {WORK}/issued
serial = {WORK}/serial
crlnumber = {WORK}/crlnumber
certificate = {WORK}/ca.pem
private_key = {WORK}/ca.key
default_md = sha256
default_days = 365
default_crl_hours = 2
policy = any
unique_subject = no
copy_extensions = none
[ any ]
countryName = optional
organizationName = optional
commonName = supplied
UID = optional
organizationIdentifier = optional
[ ca_ext ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ ocsp_only ]
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = OCSP;URI:{BASE}/ocsp
[ crl_only ]
keyUsage = critical,digitalSignature,nonRepudiation
crlDistributionPoints = URI:{BASE}/ca.crl
[ unreachable ]
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = OCSP;URI:http://127.0.0.1:{DEAD_PORT}/ocsp
[ slow ]
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = OCSP;URI:{BASE}/slow
[ rogue ]
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = OCSP;URI:{BASE}/rogue
[ garbage ]
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = OCSP;URI:{BASE}/garbage
[ huge ]
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = OCSP;URI:{BASE}/huge
[ http_error ]
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = OCSP;URI:{BASE}/error
[ replay ]
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = OCSP;URI:{BASE}/replay
[ government ]
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = OCSP;URI:http://ocsp.ca.ptc/ocsp
crlDistributionPoints = URI:http://crl.ca.ptc/ca.crl
[ delta_crl ]
keyUsage = critical,digitalSignature,nonRepudiation
crlDistributionPoints = URI:{BASE}/delta-base.crl
freshestCRL = URI:{BASE}/delta.crl
[ stale_crl ]
keyUsage = critical,digitalSignature,nonRepudiation
crlDistributionPoints = URI:{BASE}/stale.crl
[ wrong_crl ]
keyUsage = critical,digitalSignature,nonRepudiation
crlDistributionPoints = URI:{BASE}/wrong.crl
[ responder ]
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
[ not_responder ]
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection
[ tsa ]
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[ tsa_config ]
default_tsa = tsa_section
[ tsa_section ]
serial = {WORK}/tsa-serial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ess_cert_id_alg = sha256
signer_cert = {WORK}/tsa.pem
signer_key = {WORK}/tsa.key
certs = {WORK}/ca.pem
"""

SIGNERS = {
    # name: (extension section, subject)
    "ocsp-good": ("ocsp_only", "/C=VN/O=So Noi vu/CN=So Noi vu (OCSP)/organizationIdentifier=VATVN-0100100001"),
    "ocsp-revoked": ("ocsp_only", "/C=VN/O=So Noi vu/CN=Revoked signer/UID=MST:0100100002"),
    "crl-late": ("crl_only", "/C=VN/O=So Tai chinh/CN=CRL signer/UID=MST:0100100003"),
    "unreachable": ("unreachable", "/C=VN/O=So Xay dung/CN=Unreachable responder/UID=MST:0100100004"),
    "slow": ("slow", "/C=VN/O=So Y te/CN=Slow responder/UID=MST:0100100005"),
    "rogue": ("rogue", "/C=VN/O=So Giao duc/CN=Rogue responder/UID=MST:0100100006"),
    "garbage": ("garbage", "/C=VN/CN=Garbage responder/UID=MST:0100100007"),
    "huge": ("huge", "/C=VN/CN=Huge responder/UID=MST:0100100008"),
    "http-error": ("http_error", "/C=VN/CN=Failing responder/UID=MST:0100100009"),
    "replay": ("replay", "/C=VN/CN=Replaying responder/UID=MST:0100100010"),
    "stale-crl": ("stale_crl", "/C=VN/CN=Stale CRL/UID=MST:0100100011"),
    "wrong-crl": ("wrong_crl", "/C=VN/CN=Wrong CRL/UID=MST:0100100012"),
    # addresses that resolve only inside government networks (the hub rewrites them to the lab)
    "government": ("government", "/C=VN/O=Bo Noi vu/CN=Government network signer/UID=MST:0100100013"),
    # a complete CRL and a delta CRL
    "delta-held": ("delta_crl", "/C=VN/O=So Tu phap/CN=Held then released signer/UID=MST:0100100014"),
    "delta-revoked": ("delta_crl", "/C=VN/O=So Tu phap/CN=Revoked in a delta signer/UID=MST:0100100015"),
}


def make_pki():
    with open(path("ca.cnf"), "w") as f:
        f.write(CA_CONFIG)
    os.makedirs(path("issued"), exist_ok=True)
    os.makedirs(path("trust"), exist_ok=True)
    open(path("index.txt"), "w").close()
    with open(path("serial"), "w") as f:
        f.write("1000\n")
    with open(path("crlnumber"), "w") as f:
        f.write("01\n")
    with open(path("tsa-serial"), "w") as f:
        f.write("01\n")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
        "-subj", "/C=VN/O=Truc revocation lab/CN=Truc Lab Root CA", "-config", "ca.cnf", "-extensions", "ca_ext")
    run("cp", "ca.pem", "trust/lab-ca.pem")

    def issue(name, section, subject):
        run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
        run("openssl", "ca", "-batch", "-config", "ca.cnf", "-extensions", section, "-in", f"{name}.csr", "-out", f"{name}.pem", "-notext")

    issue("responder", "responder", "/C=VN/O=Truc revocation lab/CN=Lab OCSP responder")
    issue("not-responder", "not_responder", "/C=VN/O=Truc revocation lab/CN=Lab mail certificate")
    issue("tsa", "tsa", "/C=VN/O=Truc revocation lab/CN=Lab TSA")
    for name, (section, subject) in SIGNERS.items():
        issue(name, section, subject)
    run("openssl", "ca", "-config", "ca.cnf", "-revoke", "ocsp-revoked.pem", "-crl_reason", "keyCompromise")
    publish_crl()
    publish_delta_crls()
    # Hostile material: a stale CRL of this CA, a CRL of another CA, a response to a request the hub never made.
    run("openssl", "ca", "-config", "ca.cnf", "-gencrl", "-crl_lastupdate", "20200101000000Z", "-crl_nextupdate", "20200102000000Z",
        "-out", "stale.crl.pem")
    run("openssl", "crl", "-in", "stale.crl.pem", "-outform", "DER", "-out", "stale.crl")
    with open(path("other.cnf"), "w") as f:
        f.write(CA_CONFIG.replace(f"{WORK}/index.txt", f"{WORK}/other-index.txt").replace(f"{WORK}/crlnumber", f"{WORK}/other-crlnumber")
                .replace(f"{WORK}/ca.pem", f"{WORK}/other-ca.pem").replace(f"{WORK}/ca.key", f"{WORK}/other-ca.key"))
    open(path("other-index.txt"), "w").close()
    with open(path("other-crlnumber"), "w") as f:
        f.write("01\n")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "3650",
        "-subj", "/C=VN/O=Somebody else/CN=Other CA", "-config", "other.cnf", "-extensions", "ca_ext")
    run("openssl", "ca", "-config", "other.cnf", "-gencrl", "-out", "wrong.crl.pem")
    run("openssl", "crl", "-in", "wrong.crl.pem", "-outform", "DER", "-out", "wrong.crl")
    run("openssl", "ocsp", "-issuer", "ca.pem", "-cert", "replay.pem", "-reqout", "replay.req")
    run("openssl", "ocsp", "-index", "index.txt", "-CA", "ca.pem", "-rsigner", "responder.pem", "-rkey", "responder.key",
        "-reqin", "replay.req", "-respout", "replay.resp", "-ndays", "1")


def publish_crl():
    run("openssl", "ca", "-config", "ca.cnf", "-gencrl", "-out", "ca.crl.pem")
    run("openssl", "crl", "-in", "ca.crl.pem", "-outform", "DER", "-out", "ca.crl")


def publish_delta_crls():
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    key = serialization.load_pem_private_key(open(path("ca.key"), "rb").read(), password=None)
    ca = x509.load_pem_x509_certificate(open(path("ca.pem"), "rb").read())
    serial = {name: x509.load_pem_x509_certificate(open(path(f"{name}.pem"), "rb").read()).serial_number for name in ("delta-held", "delta-revoked")}
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    def entry(name, reason):
        return (x509.RevokedCertificateBuilder().serial_number(serial[name]).revocation_date(now - datetime.timedelta(minutes=30))
                .add_extension(x509.CRLReason(reason), critical=False).build())

    def crl(number, entries, base=None):
        builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(now - datetime.timedelta(minutes=10))
                   .next_update(now + datetime.timedelta(days=1)).add_extension(x509.CRLNumber(number), critical=False))
        if base is not None:
            builder = builder.add_extension(x509.DeltaCRLIndicator(base), critical=True)
        for e in entries:
            builder = builder.add_revoked_certificate(e)
        return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    with open(path("delta-base.crl"), "wb") as f:
        f.write(crl(100, [entry("delta-held", x509.ReasonFlags.certificate_hold)]))
    with open(path("delta.crl"), "wb") as f:
        f.write(crl(101, [entry("delta-held", x509.ReasonFlags.remove_from_crl), entry("delta-revoked", x509.ReasonFlags.key_compromise)], base=100))


def ocsp(request, signer="responder"):
    with tempfile.TemporaryDirectory() as tmp:
        req, resp = os.path.join(tmp, "req.der"), os.path.join(tmp, "resp.der")
        with open(req, "wb") as f:
            f.write(request)
        with LOCK:
            run("openssl", "ocsp", "-index", "index.txt", "-CA", "ca.pem", "-rsigner", f"{signer}.pem", "-rkey", f"{signer}.key",
                "-reqin", req, "-respout", resp, "-ndays", "1")
        with open(resp, "rb") as f:
            return f.read()


def tsa(query):
    with tempfile.TemporaryDirectory() as tmp:
        q, r = os.path.join(tmp, "q.tsq"), os.path.join(tmp, "r.tsr")
        with open(q, "wb") as f:
            f.write(query)
        with LOCK:
            run("openssl", "ts", "-reply", "-config", "ca.cnf", "-section", "tsa_section", "-queryfile", q, "-out", r)
        with open(r, "rb") as f:
            return f.read()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", content_type="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path in ("/ca.crl", "/stale.crl", "/wrong.crl", "/delta-base.crl", "/delta.crl"):
            with LOCK:
                with open(path(self.path[1:]), "rb") as f:
                    body = f.read()
            self.reply(200, body, "application/pkix-crl")
        else:
            self.reply(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        url = urllib.parse.urlparse(self.path)
        if url.path == "/ocsp":
            self.reply(200, ocsp(body), "application/ocsp-response")
        elif url.path == "/slow":
            time.sleep(float(os.environ.get("LAB_SLOW_SECONDS", "4")))
            self.reply(200, ocsp(body), "application/ocsp-response")
        elif url.path == "/rogue":
            self.reply(200, ocsp(body, signer="not-responder"), "application/ocsp-response")
        elif url.path == "/garbage":
            self.reply(200, os.urandom(200), "application/ocsp-response")
        elif url.path == "/huge":
            self.reply(200, b"\x30\x84" + os.urandom(100 << 10), "application/ocsp-response")
        elif url.path == "/error":
            self.reply(500, b"responder failed\n", "text/plain")
        elif url.path == "/replay":
            with open(path("replay.resp"), "rb") as f:
                self.reply(200, f.read(), "application/ocsp-response")
        elif url.path == "/tsa":
            self.reply(200, tsa(body), "application/timestamp-reply")
        elif url.path == "/control/revoke":
            name = urllib.parse.parse_qs(url.query)["name"][0]
            with LOCK:
                run("openssl", "ca", "-config", "ca.cnf", "-revoke", f"{name}.pem", "-crl_reason", "superseded")
                time.sleep(1.1)  # a thisUpdate later than the previous CRL's
                publish_crl()
            self.reply(200, b"revoked\n", "text/plain")
        else:
            self.reply(404)


def main():
    make_pki()
    info = {"port": PORT, "deadPort": DEAD_PORT, "base": BASE, "dir": WORK, "trust": path("trust"), "ca": path("ca.pem"),
            "signers": {name: {"key": path(f"{name}.key"), "cert": path(f"{name}.pem")} for name in SIGNERS},
            "tsa": {"url": BASE + "/tsa", "cert": path("tsa.pem")}}
    with open(path("lab.json"), "w") as f:
        json.dump(info, f, indent=2)
    SERVER_SOCKET.listen(64)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler, bind_and_activate=False)
    server.socket = SERVER_SOCKET
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
