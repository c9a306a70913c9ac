#!/usr/bin/env python3
"""A signer whose intermediate CA is neither in the trust directory nor in the document: its
certificate's Authority Information Access names caIssuers http://127.0.0.1:PORT/intermediate.cer, which this
script then serves (DER) until it is killed. Made with Python cryptography and the xmlsec1 CLI.

  OUT/trust/root.pem                 the trust directory (the root only)
  OUT/missing-intermediate.edxml     the envelope signed by the signer, only the signer's certificate in KeyInfo
  OUT/ready                          written once the address listens: "PORT <port>"

With --serve garbage it answers bytes that are no certificate, with --serve huge a certificate-sized answer
padded past 64 KB (hostile publishers: the hub must refuse both and stay untrusted).

Usage: python3 serve_ca_issuers.py OUT_DIR [--serve good|garbage|huge]"""
import http.server, os, socket, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_timestamp_fixtures import cert, d, key  # noqa: E402
from sample_signing import xmlsec_sign_sample  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def main(out):
    os.makedirs(os.path.join(out, "trust"), exist_ok=True)
    server = http.server.HTTPServer(("127.0.0.1", 0), None)
    port = server.server_address[1]
    root_key = key()
    root = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, "Root CA (thử nghiệm caIssuers)")], root_key, None, root_key.public_key(),
                d(2020, 1, 1), d(2040, 1, 1), ca=True)
    int_key = key()
    intermediate = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, "VNPT-CA SHA-256 (thử nghiệm)")], root_key, root,
                        int_key.public_key(), d(2020, 1, 1), d(2040, 1, 1), ca=True)
    signer_key = key()
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                                                  x509.UniformResourceIdentifier("http://127.0.0.1:%d/intermediate.cer" % port))])
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, "Văn phòng Chính phủ"),
                                        x509.NameAttribute(NameOID.USER_ID, "MST:0100100001")]))
               .issuer_name(intermediate.subject).public_key(signer_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(d(2025, 1, 1)).not_valid_after(d(2035, 1, 1))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
               .add_extension(aia, critical=False))
    signer = builder.sign(int_key, hashes.SHA256())
    pem = serialization.Encoding.PEM

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    write("trust/root.pem", root.public_bytes(pem))
    write("signer.pem", signer.public_bytes(pem))
    write("signer.key", signer_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    xmlsec_sign_sample(out, os.path.join(out, "signer.key"), [os.path.join(out, "signer.pem")], "missing-intermediate.edxml")
    mode = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--serve" else "good"
    body = {"good": intermediate.public_bytes(serialization.Encoding.DER),
            "garbage": b"\x30\x82\xff\xff" + os.urandom(2000),
            "huge": intermediate.public_bytes(serialization.Encoding.DER) + b"\x00" * (70 << 10)}[mode]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/intermediate.cer":
                self.send_response(404)
                self.end_headers()
                return
            with open(os.path.join(out, "requests"), "a") as f:
                f.write(self.path + "\n")
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-cert")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server.RequestHandlerClass = Handler
    write("ready", ("PORT %d\n" % port).encode())
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])  # the mode is read from sys.argv in main
