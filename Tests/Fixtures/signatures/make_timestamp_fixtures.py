#!/usr/bin/env python3
"""Time-stamp fixtures (validation in the past), made with pyHanko and Python cryptography only:

  an "archive" CA (2014-2036) with a TSA (id-kp-timeStamping, critical) and signers whose certificates ran
  2015-2018; PDFs signed by pyHanko with an RFC 3161 signature time-stamp of 2017-06-01 (pyHanko's
  DummyTimeStamper, with a fixed time), wrapped in edXML messages. The CA's CRL (issued 2026-06-01, next
  update 2036) lists one signer revoked in 2018 (after the time-stamp) and one revoked in 2016 (before it).

  pdf-ts-expired.edxml         expired in 2018, time-stamped 2017: valid, with the expiry reported as later
  pdf-expired.edxml            the same signer, no time-stamp: expired
  pdf-ts-after-expiry.edxml    time-stamped 2019, after the expiry: expired
  pdf-ts-not-tsa.edxml         the time-stamp signed by a certificate without id-kp-timeStamping: proves nothing
  pdf-ts-revoked-later.edxml   revoked 2018-03-01, time-stamped 2017: valid, the revocation reported as later
  pdf-ts-revoked-before.edxml  revoked 2016-06-01, time-stamped 2017: revoked

Each PDF is cross-checked with pyHanko's validator (time-stamp token valid, signature intact).
Run from the repository root: python3 Tests/Fixtures/signatures/make_timestamp_fixtures.py
"""
import datetime, io, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

UTC = datetime.timezone.utc
OUT = os.path.join(mf.EXTRA, "archive")


def d(y, m, day):
    return datetime.datetime(y, m, day, tzinfo=UTC)


def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cert(subject, issuer_key, issuer_cert, public_key, start, end, ca=False, eku=None, serial=None, cdp=None):
    """cdp: a CRL distribution point URL to name in the certificate."""
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in subject])
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_cert.subject if issuer_cert else name)
         .public_key(public_key).serial_number(serial or x509.random_serial_number()).not_valid_before(start).not_valid_after(end))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True).add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    if cdp:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier(cdp)], None, None, None)]),
                            critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def a_cert(c):
    """A cryptography certificate as pyHanko's asn1crypto wants it."""
    from asn1crypto import x509 as a_x509
    return a_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))


def a_key(k):
    """A cryptography private key as pyHanko's asn1crypto wants it."""
    from asn1crypto import keys as a_keys
    return a_keys.PrivateKeyInfo.load(k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def save(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    return os.path.join(OUT, name)


def main():
    import logging
    logging.disable(logging.CRITICAL)  # pyHanko logs the refused time-stamp of pdf-ts-not-tsa, which is expected
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers, timestamps
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    os.makedirs(OUT, exist_ok=True)
    ca_key = key()
    ca = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "Truc archive test"), (NameOID.COMMON_NAME, "Truc Archive Root CA")],
              ca_key, None, ca_key.public_key(), d(2014, 1, 1), d(2036, 1, 1), ca=True)
    tsa_key = key()
    tsa = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, "Truc Archive TSA")], ca_key, ca, tsa_key.public_key(),
               d(2014, 1, 1), d(2036, 1, 1), eku=[ExtendedKeyUsageOID.TIME_STAMPING])
    fake_tsa_key = key()
    fake_tsa = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, "Not a TSA")], ca_key, ca, fake_tsa_key.public_key(),
                    d(2014, 1, 1), d(2036, 1, 1), eku=[ExtendedKeyUsageOID.EMAIL_PROTECTION])
    signers_made = {}
    for name, mst in [("expired", "0100200001"), ("revoked-later", "0100200002"), ("revoked-before", "0100200003")]:
        k = key()
        c = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "So Luu tru"), (NameOID.COMMON_NAME, "Archive signer " + name),
                  (NameOID.USER_ID, "MST:" + mst)], ca_key, ca, k.public_key(), d(2015, 1, 1), d(2018, 12, 31))
        signers_made[name] = (k, c)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(d(2026, 6, 1)).next_update(d(2036, 1, 1))
           .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(signers_made["revoked-later"][1].serial_number)
                                    .revocation_date(d(2018, 3, 1)).build())
           .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(signers_made["revoked-before"][1].serial_number)
                                    .revocation_date(d(2016, 6, 1)).build())
           .sign(ca_key, hashes.SHA256()))
    os.makedirs(os.path.join(OUT, "trust"), exist_ok=True)
    save("trust/archive-ca.pem", ca.public_bytes(serialization.Encoding.PEM))
    save("trust/archive-ca.crl", crl.public_bytes(serialization.Encoding.DER))

    def sign(signer_name, stamp_time=None, stamp_cert=tsa, stamp_key=tsa_key):
        k, c = signers_made[signer_name]
        signer = signers.SimpleSigner(signing_cert=a_cert(c), signing_key=a_key(k), cert_registry=None)
        stamper = None
        if stamp_time:
            stamper = timestamps.DummyTimeStamper(tsa_cert=a_cert(stamp_cert), tsa_key=a_key(stamp_key), fixed_dt=stamp_time)
        meta = signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha256")
        out = io.BytesIO()
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(mf.base_pdf("Ho so luu tru - " + signer_name))), meta, signer=signer,
                         timestamper=stamper, output=out)
        pdf = out.getvalue()
        # Independent cross-check: pyHanko validates the signature's integrity and its time-stamp token.
        context = ValidationContext(trust_roots=[a_cert(ca)], allow_fetching=False, moment=d(2017, 7, 1))
        status = validate_pdf_signature(PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0], signer_validation_context=context,
                                        ts_validation_context=context)
        assert status.intact and status.valid, (signer_name, status)
        if stamp_time:
            # The genuine TSA's token validates; pyHanko refuses the one signed without id-kp-timeStamping.
            assert status.timestamp_validity is not None and status.timestamp_validity.intact, (signer_name, status.timestamp_validity)
            assert (status.timestamp_validity.trust_problem_indic is None) == (stamp_cert is tsa), (signer_name, status.timestamp_validity.trust_problem_indic)
        return pdf

    fixtures = {
        "pdf-ts-expired.edxml": sign("expired", d(2017, 6, 1)),
        "pdf-expired.edxml": sign("expired"),
        "pdf-ts-after-expiry.edxml": sign("expired", d(2019, 6, 1)),
        "pdf-ts-not-tsa.edxml": sign("expired", d(2017, 6, 1), fake_tsa, fake_tsa_key),
        "pdf-ts-revoked-later.edxml": sign("revoked-later", d(2017, 6, 1)),
        "pdf-ts-revoked-before.edxml": sign("revoked-before", d(2017, 6, 1)),
    }
    for name, pdf in fixtures.items():
        save(name.replace(".edxml", ".pdf"), pdf)
        save(name, mf.with_attachments([("ho-so.pdf", pdf)], zipped=False).encode("utf-8"))
    print("time-stamp fixtures written to", OUT)


if __name__ == "__main__":
    main()
