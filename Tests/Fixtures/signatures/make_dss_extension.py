#!/usr/bin/env python3
"""A PAdES B-LT document with two signatures whose final update extends the same DSS, made with
pyHanko as Acrobat's "add verification information" does, at test time into OUT_DIR:

  first signature (PAdES) → DSS update (add_validation_info) → second signature, covering that DSS →
  a final DSS-only update that extends the same DSS dictionary (add_validation_info for the second signature).

ISO 32000-2 §12.8.4.3 and ETSI EN 319 142-1 allow it; pyHanko's validator is asked to agree: both signatures
intact and valid; after the first, a signature was added (FORM_FILLING) and validation data; after the
second, validation data only (LTA_UPDATES).

  OUT/trust/dss-ca.pem, dss-ca2.pem   the two CAs (the trust directory; the signers come from different CAs,
                                      so the final update has new certificates and a new CRL to add)
  OUT/pdf-dss-extended.pdf, OUT/pdf-dss-extended.edxml

Usage: python3 make_dss_extension.py OUT_DIR"""
import io, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
from make_timestamp_fixtures import a_cert, a_key, cert, d, key  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

CDP = "http://127.0.0.1:9/dss.crl"  # nobody serves it: only the document's DSS can answer


def main(out):
    import logging
    logging.disable(logging.CRITICAL)
    from asn1crypto import crl as a_crl
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.validation import add_validation_info, validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    os.makedirs(os.path.join(out, "trust"), exist_ok=True)
    ca_key = key()
    ca = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "Ban Cơ yếu Chính phủ"),
               (NameOID.COMMON_NAME, "CA phục vụ các cơ quan Nhà nước (thử nghiệm)")], ca_key, None, ca_key.public_key(),
              d(2020, 1, 1), d(2040, 1, 1), ca=True)
    # The second signer comes from another CA (the public PKI's), so the final update has new data to add.
    ca2_key = key()
    ca2 = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "VNPT"), (NameOID.COMMON_NAME, "VNPT-CA (thử nghiệm)")],
               ca2_key, None, ca2_key.public_key(), d(2020, 1, 1), d(2040, 1, 1), ca=True)
    signers_ = []
    for name, uid, (issuer_key, issuer) in [("Nguyễn Văn An", "CCCD:001080000009", (ca_key, ca)),
                                            ("Văn phòng Chính phủ", "MST:0100100001", (ca2_key, ca2))]:
        k = key()
        c = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, name), (NameOID.USER_ID, uid)], issuer_key, issuer, k.public_key(),
                 d(2025, 1, 1), d(2035, 1, 1), cdp=CDP)
        signers_.append((k, c))

    def crl_of(issuer_key, issuer):
        return (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject).last_update(d(2026, 6, 1)).next_update(d(2036, 1, 1))
                .sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    crls = [crl_of(ca_key, ca), crl_of(ca2_key, ca2)]
    for name, c in [("dss-ca.pem", ca), ("dss-ca2.pem", ca2)]:
        with open(os.path.join(out, "trust", name), "wb") as f:
            f.write(c.public_bytes(serialization.Encoding.PEM))
    now = d(2026, 11, 1)

    def context():
        return ValidationContext(trust_roots=[a_cert(ca), a_cert(ca2)], crls=[a_crl.CertificateList.load(c) for c in crls], allow_fetching=False,
                                 moment=now, revocation_mode="hard-fail")

    def sign(pdf, k, c, field):
        signer = signers.SimpleSigner(signing_cert=a_cert(c), signing_key=a_key(k), cert_registry=None)
        meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES)
        result = io.BytesIO()
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, output=result)
        return result.getvalue()

    first = sign(mf.base_pdf("Quyet dinh phe duyet, hai chu ky va du lieu kiem tra dai han"), *signers_[0], "Signature1")
    first_lt = add_validation_info(PdfFileReader(io.BytesIO(first)).embedded_signatures[0], context(), output=io.BytesIO()).getvalue()
    second = sign(first_lt, *signers_[1], "Signature2")
    final = add_validation_info(PdfFileReader(io.BytesIO(second)).embedded_signatures[1], context(), output=io.BytesIO()).getvalue()
    # The last update extends the DSS made after the first signature: the same DSS object, written again with
    # more certificates, CRLs and VRI entries.
    last = final[len(second):]
    dss_number = first_lt[len(first):].split(b"/DSS", 1)[1].split(b"R", 1)[0].split()[0]
    assert b"\n" + dss_number + b" 0 obj" in last and b"/VRI" in last, "the final update does not extend the DSS"
    reader = PdfFileReader(io.BytesIO(final))
    for index, signature in enumerate(reader.embedded_signatures):
        status = validate_pdf_signature(signature, signer_validation_context=context())
        assert status.intact and status.valid, (index, status)
        # The first signature sees a second signature added (form filling) and validation data; the second only the latter.
        allowed = ModificationLevel.FORM_FILLING if index == 0 else ModificationLevel.LTA_UPDATES
        assert status.modification_level is not None and status.modification_level <= allowed and status.docmdp_ok, (index, status.modification_level)
    with open(os.path.join(out, "pdf-dss-extended.pdf"), "wb") as f:
        f.write(final)
    text = mf.with_attachments([("van-ban.pdf", final)], zipped=False)
    with open(os.path.join(out, "pdf-dss-extended.edxml"), "wb") as f:
        f.write(text.encode("utf-8"))


if __name__ == "__main__":
    main(sys.argv[1])
