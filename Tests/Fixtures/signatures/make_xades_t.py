#!/usr/bin/env python3
"""XAdES-T envelopes: an envelope signature made by the xmlsec1 CLI whose UnsignedSignatureProperties
carry a SignatureTimeStamp — an RFC 3161 token from pyHanko's time-stamper over the ds:SignatureValue element
canonicalised with C14N 1.0, as XAdES (EN 319 132-1 §5.3) says — made at test time into OUT_DIR:

  a CA (2018-2040) with a TSA (id-kp-timeStamping) and a signer (UID=MST:0100100001) revoked on 2020-06-01 (the
  CA's CRL in OUT/trust says so);
  xades-t-before-revocation.edxml  time-stamped 2019-06-01: the signature existed before the revocation;
  xades-bes-revoked.edxml          the same signature without its time-stamp: revoked;
  xades-t-wrong-imprint.edxml      a time-stamp over other bytes: it proves nothing, revoked;
  OUT/trust-tsa-revoked            the same CA with a CRL that also revokes the TSA (2020-01-01): under it, the
                                   time-stamp of xades-t-before-revocation proves nothing any more.

The tokens are checked with `openssl ts -verify` over the canonical SignatureValue (the right one verifies, the
wrong one does not).

Usage: python3 make_xades_t.py OUT_DIR"""
import base64, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_timestamp_fixtures import a_cert, a_key, cert, d, key  # noqa: E402
from sample_signing import xmlsec_sign_sample  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
XADES = "http://uri.etsi.org/01903/v1.3.2#"
DS = "http://www.w3.org/2000/09/xmldsig#"


def main(out):
    import logging
    logging.disable(logging.CRITICAL)
    from lxml import etree
    from pyhanko.sign import timestamps
    os.makedirs(os.path.join(out, "trust"), exist_ok=True)
    ca_key = key()
    ca = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "Ban Cơ yếu Chính phủ"), (NameOID.COMMON_NAME, "CA XAdES-T (thử nghiệm)")],
              ca_key, None, ca_key.public_key(), d(2018, 1, 1), d(2040, 1, 1), ca=True)
    tsa_key = key()
    tsa = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, "TSA (thử nghiệm)")], ca_key, ca, tsa_key.public_key(),
               d(2018, 1, 1), d(2040, 1, 1), eku=[ExtendedKeyUsageOID.TIME_STAMPING])
    signer_key = key()
    signer = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "Văn phòng Chính phủ"), (NameOID.COMMON_NAME, "Văn phòng Chính phủ"),
                   (NameOID.USER_ID, "MST:0100100001")], ca_key, ca, signer_key.public_key(), d(2018, 1, 1), d(2035, 1, 1))
    revoked = (x509.RevokedCertificateBuilder().serial_number(signer.serial_number).revocation_date(d(2020, 6, 1)).build())
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(d(2026, 6, 1)).next_update(d(2036, 1, 1))
           .add_revoked_certificate(revoked).sign(ca_key, hashes.SHA256()))

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    pem = serialization.Encoding.PEM
    write("trust/xades-ca.pem", ca.public_bytes(pem))
    write("trust/xades-ca.crl.pem", crl.public_bytes(pem))
    # The same CA whose CRL also revokes the TSA on 2020-01-01: its time-stamps prove nothing any more.
    tsa_revoked = x509.RevokedCertificateBuilder().serial_number(tsa.serial_number).revocation_date(d(2020, 1, 1)).build()
    crl_tsa = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(d(2026, 6, 1)).next_update(d(2036, 1, 1))
               .add_revoked_certificate(revoked).add_revoked_certificate(tsa_revoked).sign(ca_key, hashes.SHA256()))
    os.makedirs(os.path.join(out, "trust-tsa-revoked"), exist_ok=True)
    write("trust-tsa-revoked/xades-ca.pem", ca.public_bytes(pem))
    write("trust-tsa-revoked/xades-ca.crl.pem", crl_tsa.public_bytes(pem))
    write("tsa.pem", tsa.public_bytes(pem))
    write("signer.pem", signer.public_bytes(pem))
    write("signer.key", signer_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    # 1. The envelope signed with xmlsec1 (the template of docs/signature-template.xml).
    xmlsec_sign_sample(out, os.path.join(out, "signer.key"), [os.path.join(out, "signer.pem")], "xades-bes-revoked.edxml")
    signed = open(os.path.join(out, "xades-bes-revoked.edxml"), "rb").read()

    # 2. The SignatureValue element, canonicalised (inclusive C14N 1.0: it inherits the ds namespace).
    tree = etree.fromstring(signed)
    value = tree.find(".//{%s}Signature/{%s}SignatureValue" % (DS, DS))
    canonical = etree.tostring(value, method="c14n")
    write("signature-value.c14n", canonical)

    def token(data, at):
        import hashlib
        stamper = timestamps.DummyTimeStamper(tsa_cert=a_cert(tsa), tsa_key=a_key(tsa_key), fixed_dt=at)
        import asyncio
        return asyncio.run(stamper.async_timestamp(hashlib.sha256(data).digest(), "sha256")).dump()

    def with_stamp(der):
        stamp = ('<ds:Object><xades:QualifyingProperties xmlns:xades="%s" Target="#sig"><xades:UnsignedProperties>'
                 '<xades:UnsignedSignatureProperties><xades:SignatureTimeStamp><xades:EncapsulatedTimeStamp>%s'
                 '</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp></xades:UnsignedSignatureProperties>'
                 '</xades:UnsignedProperties></xades:QualifyingProperties></ds:Object>') % (XADES, base64.b64encode(der).decode())
        return signed.replace(b"</ds:Signature>", stamp.encode() + b"</ds:Signature>", 1)

    good, wrong = token(canonical, d(2019, 6, 1)), token(canonical + b" ", d(2019, 6, 1))
    write("good.tsr", good)
    write("wrong.tsr", wrong)
    write("xades-t-before-revocation.edxml", with_stamp(good))
    write("xades-t-wrong-imprint.edxml", with_stamp(wrong))

    # 3. openssl ts agrees: the good token stamps the canonical SignatureValue, the other one does not.
    def verifies(name):
        return subprocess.run(["openssl", "ts", "-verify", "-data", os.path.join(out, "signature-value.c14n"), "-in", os.path.join(out, name),
                               "-token_in", "-CAfile", os.path.join(out, "trust/xades-ca.pem"), "-untrusted", os.path.join(out, "tsa.pem")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    assert verifies("good.tsr") and not verifies("wrong.tsr"), "openssl ts does not agree"


if __name__ == "__main__":
    main(sys.argv[1])
