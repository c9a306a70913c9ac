#!/usr/bin/env python3
"""PAdES-LTA renewal with two TSAs, made with pyHanko at test time into OUT_DIR:

  a CA (2014-2040); TSA 1 (2015 - 2018-01-01) and TSA 2 (2017-2040), both id-kp-timeStamping; a signer whose
  certificate ran 2015 - 2017-01-01.
  The document is signed on 2016-06-01 with a signature time-stamp by TSA 1, and validation data (DSS, the CA's
  CRL of 2016-06-02) is added; then a document time-stamp by TSA 2 renews the evidence:
    archive-renewed-in-time.edxml  TSA 2 stamps on 2017-06-01, while TSA 1's certificate was still valid: TSA 1's
                                   time-stamp still proves 2016-06-01, before the signer certificate expired: valid;
    archive-renewed-late.edxml     TSA 2 stamps on 2019-01-01, after TSA 1's certificate expired: TSA 1's time-stamp
                                   proves nothing any more, the earliest proof is 2019, after the signer expired.

pyHanko's validator checks that both document time-stamps are intact and valid at their time.

Usage: python3 make_archive_renewal.py OUT_DIR"""
import io, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
from make_timestamp_fixtures import a_cert, a_key, cert, d, key  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402


def main(out):
    import logging
    logging.disable(logging.CRITICAL)
    from asn1crypto import crl as a_crl
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers, timestamps
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.validation import add_validation_info, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    os.makedirs(os.path.join(out, "trust"), exist_ok=True)
    ca_key = key()
    ca = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, "CA lưu trữ (thử nghiệm)")], ca_key, None, ca_key.public_key(),
              d(2014, 1, 1), d(2040, 1, 1), ca=True)
    tsas = []
    for name, start, end in [("TSA 1 (thử nghiệm)", d(2015, 1, 1), d(2018, 1, 1)), ("TSA 2 (thử nghiệm)", d(2017, 1, 1), d(2040, 1, 1))]:
        k = key()
        tsas.append((k, cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, name)], ca_key, ca, k.public_key(), start, end,
                             eku=[ExtendedKeyUsageOID.TIME_STAMPING])))
    signer_key = key()
    signer = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, "Sở Nội vụ"), (NameOID.USER_ID, "MST:0100100001")],
                  ca_key, ca, signer_key.public_key(), d(2015, 1, 1), d(2017, 1, 1))
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(d(2016, 6, 2)).next_update(d(2016, 7, 2))
           .sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    with open(os.path.join(out, "trust", "archive-ca.pem"), "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))

    def context(moment):
        return ValidationContext(trust_roots=[a_cert(ca)], other_certs=[a_cert(t) for _, t in tsas], crls=[a_crl.CertificateList.load(crl)],
                                 allow_fetching=False, moment=moment, revocation_mode="soft-fail")

    def stamper(index, at):
        k, c = tsas[index]
        return timestamps.DummyTimeStamper(tsa_cert=a_cert(c), tsa_key=a_key(k), fixed_dt=at)

    pdf = mf.base_pdf("Ho so luu tru, gia han bang dau thoi gian")
    out_pdf = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                     signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES),
                     signer=signers.SimpleSigner(signing_cert=a_cert(signer), signing_key=a_key(signer_key), cert_registry=None),
                     output=out_pdf, timestamper=stamper(0, d(2016, 6, 1)))
    signed = out_pdf.getvalue()
    with_dss = add_validation_info(PdfFileReader(io.BytesIO(signed)).embedded_signatures[0], context(d(2016, 6, 2)),
                                   output=io.BytesIO()).getvalue()
    for name, at in [("archive-renewed-in-time", d(2017, 6, 1)), ("archive-renewed-late", d(2019, 1, 1))]:
        stamped = signers.PdfTimeStamper(stamper(1, at)).timestamp_pdf(IncrementalPdfFileWriter(io.BytesIO(with_dss)), "sha256",
                                                                       output=io.BytesIO()).getvalue()
        reader = PdfFileReader(io.BytesIO(stamped))
        status = validate_pdf_timestamp(reader.embedded_signatures[1], validation_context=context(at))
        assert status.intact and status.valid and status.timestamp == at, status
        with open(os.path.join(out, name + ".pdf"), "wb") as f:
            f.write(stamped)
        with open(os.path.join(out, name + ".edxml"), "wb") as f:
            f.write(mf.with_attachments([("van-ban.pdf", stamped)], zipped=False).encode("utf-8"))


if __name__ == "__main__":
    main(sys.argv[1])
