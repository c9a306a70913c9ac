#!/usr/bin/env python3
"""Long-term validation fixtures (PAdES B-LT / B-LTA), made with pyHanko, qpdf and Python cryptography only:

  an "ltv" CA (2014-2036) with a TSA (id-kp-timeStamping, critical), a signer valid 2025-2035 whose certificate
  names a CRL distribution point nobody serves (http://127.0.0.1:9/ltv.crl: only the document can answer), and
  a signer whose certificate ran 2015-2018.

  pdf-lt-dss.edxml            signed (PAdES), then a DSS-only incremental update by pyHanko's add_validation_info
                              carrying the CA's current CRL: valid, revocation answered by the embedded CRL
  pdf-lt-dss-objstm.edxml     the same on a PDF whose objects live in object streams and whose cross-reference is a
                              stream (qpdf --object-streams=generate): the catalog must be found compressed
  pdf-lt-no-dss.edxml         the same signature without the DSS update: the CRL cannot be fetched, indeterminate
  pdf-lt-dss-and-change.edxml the DSS update plus an unsigned change of the catalog (/OpenAction added in the
                              same revision): byte-range-incomplete
  pdf-lt-dss-then-page.edxml  the DSS update, then an update replacing the page's content: byte-range-incomplete
  pdf-lt-shadow.edxml         the signed page refers to an undefined object 40 (/Thumb 40 0 R); after the DSS update a
                              hand-written revision defines object 40 as a data stream: byte-range-incomplete
  pdf-lta-expired.edxml       the 2015-2018 signer, a signature time-stamp of 2017-06-01, DSS with a CRL of 2017-06-02,
                              then a PAdES document time-stamp of 2017-06-03 (ETSI.RFC3161): valid, revocation
                              answered by the embedded CRL (issued after the proven time), the expiry reported as later
  pdf-lta-docts-only.edxml    the 2015-2018 signer without a signature time-stamp, DSS with a CRL of 2017-05-15, a
                              document time-stamp of 2017-06-01: the document time-stamp proves the signature existed
                              before the expiry (not `expired`), and the CRL (next update 2017-07-15) was the current
                              CRL at that proof: fresh enough, valid (EN 319 102-1)
  pdf-lta-tampered.edxml      pdf-lta-expired with one byte of the DSS's CRL changed after the document time-stamp:
                              the document time-stamp's imprint fails, the revision it should cover is unsigned

Each is cross-checked with pyHanko's validator: signature intact, modification level (LTA updates only, or
worse), the document time-stamp's validity. Run from the repository root:
    python3 Tests/Fixtures/signatures/make_ltv_fixtures.py
"""
import datetime, io, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
from make_timestamp_fixtures import a_cert, a_key, cert as timestamp_cert, d, key  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

OUT = os.path.join(mf.EXTRA, "ltv")
CDP = "http://127.0.0.1:9/ltv.crl"


def cert(subject, issuer_key, issuer_cert, public_key, start, end, ca=False, eku=None, cdp=False):
    return timestamp_cert(subject, issuer_key, issuer_cert, public_key, start, end, ca=ca, eku=eku, cdp=CDP if cdp else None)


def rewrite_xref(pdf):
    """Recomputes the xref table offsets of a single-revision PDF (after an edit changed lengths)."""
    import re
    body = pdf[:pdf.index(b"xref\n")]
    offsets = [m.start() for m in re.finditer(rb"(?m)^\d+ 0 obj", body)]
    xref = len(body)
    out = body + b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref)


def save(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    import logging
    logging.disable(logging.CRITICAL)
    from asn1crypto import crl as a_crl
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers, timestamps
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.general import SigningError  # noqa: F401
    from pyhanko.sign.validation import add_validation_info, validate_pdf_signature, validate_pdf_timestamp
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko_certvalidator import ValidationContext

    os.makedirs(os.path.join(OUT, "trust"), exist_ok=True)
    ca_key = key()
    ca = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "Truc LTV test"), (NameOID.COMMON_NAME, "Truc LTV Root CA")],
              ca_key, None, ca_key.public_key(), d(2014, 1, 1), d(2036, 1, 1), ca=True)
    tsa_key = key()
    tsa = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.COMMON_NAME, "Truc LTV TSA")], ca_key, ca, tsa_key.public_key(),
               d(2014, 1, 1), d(2036, 1, 1), eku=[ExtendedKeyUsageOID.TIME_STAMPING])
    current_key = key()
    current = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "So Noi vu"), (NameOID.COMMON_NAME, "LTV organisation signer"),
                    (NameOID.USER_ID, "MST:0100300001")], ca_key, ca, current_key.public_key(), d(2025, 1, 1), d(2035, 1, 1), cdp=True)
    old_key = key()
    old = cert([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "So Noi vu"), (NameOID.COMMON_NAME, "LTV archive signer"),
                (NameOID.USER_ID, "MST:0100300002")], ca_key, ca, old_key.public_key(), d(2015, 1, 1), d(2018, 12, 31), cdp=True)

    def crl(this, nxt):
        return (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(this).next_update(nxt)
                .sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))

    crl_now = crl(d(2026, 6, 1), d(2036, 1, 1))
    crl_2017 = crl(d(2017, 6, 2), d(2017, 7, 2))
    crl_before = crl(d(2017, 5, 15), d(2017, 7, 15))
    save("trust/ltv-ca.pem", ca.public_bytes(serialization.Encoding.PEM))

    def context(moment, crls):
        return ValidationContext(trust_roots=[a_cert(ca)], other_certs=[a_cert(tsa)], crls=[a_crl.CertificateList.load(c) for c in crls],
                                 allow_fetching=False, moment=moment, revocation_mode="hard-fail")

    def stamper(at):
        return timestamps.DummyTimeStamper(tsa_cert=a_cert(tsa), tsa_key=a_key(tsa_key), fixed_dt=at)

    def sign(pdf, k, c, moment, crls, stamp=None):
        signer = signers.SimpleSigner(signing_cert=a_cert(c), signing_key=a_key(k), cert_registry=None)
        meta = signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES)
        out = io.BytesIO()
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, output=out,
                         timestamper=stamper(stamp) if stamp else None)
        signed = out.getvalue()
        sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
        with_dss = add_validation_info(sig, context(moment, crls), output=io.BytesIO()).getvalue()
        return signed, with_dss

    def check(pdf, moment, crls, level_ok=True, index=0):
        sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[index]
        status = validate_pdf_signature(sig, signer_validation_context=context(moment, crls))
        assert status.intact and status.valid, status
        ok = status.modification_level is not None and status.modification_level <= ModificationLevel.LTA_UPDATES and status.docmdp_ok
        assert ok == level_ok, (status.modification_level, status.docmdp_ok)
        return status

    now = d(2026, 11, 1)
    base = mf.base_pdf("Van ban co du lieu kiem tra dai han")
    signed, lt = sign(base, current_key, current, now, [crl_now])
    check(lt, now, [crl_now])
    assert b"/DSS" in lt[len(signed):], "pyHanko did not add a DSS"

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.pdf"), os.path.join(tmp, "out.pdf")
        with open(src, "wb") as f:
            f.write(base)
        subprocess.run(["qpdf", "--object-streams=generate", src, dst], check=True)
        objstm_base = open(dst, "rb").read()
    assert b"/ObjStm" in objstm_base and b"/XRef" in objstm_base
    _, lt_objstm = sign(objstm_base, current_key, current, now, [crl_now])
    check(lt_objstm, now, [crl_now])

    # An unsigned change in the DSS revision: the catalog gets an /OpenAction besides the DSS.
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    w.root["/OpenAction"] = generic.ArrayObject([w.root["/Pages"]["/Kids"][0], generic.NameObject("/Fit")])
    w.update_root()
    out = io.BytesIO()
    w.write(out)
    changed = out.getvalue()
    sig = PdfFileReader(io.BytesIO(changed)).embedded_signatures[0]
    lt_and_change = add_validation_info(sig, context(now, [crl_now]), output=io.BytesIO()).getvalue()
    check(lt_and_change, now, [crl_now], level_ok=False)

    # After the DSS update, another revision replaces the page's content stream.
    w = IncrementalPdfFileWriter(io.BytesIO(lt))
    page = w.root["/Pages"]["/Kids"][0].get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 760 Td (Noi dung da bi thay) Tj ET")
    page["/Contents"] = w.add_object(stream)
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    then_page = out.getvalue()
    check(then_page, now, [crl_now], level_ok=False)

    # A signed page that refers to an undefined object, which a revision after the DSS fills in.
    shadow_base = mf.base_pdf("Trang co tham chieu treo").replace(b"/Contents 4 0 R", b"/Contents 4 0 R /Thumb 40 0 R")
    shadow_base = rewrite_xref(shadow_base)
    _, shadow_lt = sign(shadow_base, current_key, current, now, [crl_now])
    prev = int(shadow_lt.rsplit(b"startxref", 1)[1].split()[0])
    size = int(shadow_lt.rsplit(b"/Size", 1)[1].split()[0])
    offset = len(shadow_lt) + 1
    update = b"\n40 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj\n"
    xref_at = len(shadow_lt) + len(update)
    root = shadow_lt.rsplit(b"/Root", 1)[1].split(b"R")[0] + b"R"
    update += (b"xref\n40 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root%s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
               % (offset, max(size, 41), root, prev, xref_at))
    shadow = shadow_lt + update
    assert PdfFileReader(io.BytesIO(shadow)).get_object(generic.Reference(40, 0)) is not None

    # B-LTA: a 2015-2018 signer, time-stamped 2017-06-01, DSS with a CRL of 2017-06-02, a document time-stamp of 2017-06-03.
    def lta(text, crls, crl_moment, stamp, docts_at):
        _, with_dss = sign(mf.base_pdf(text), old_key, old, crl_moment, crls, stamp=stamp)
        stamped = signers.PdfTimeStamper(stamper(docts_at)).timestamp_pdf(IncrementalPdfFileWriter(io.BytesIO(with_dss)), "sha256",
                                                                          output=io.BytesIO()).getvalue()
        reader = PdfFileReader(io.BytesIO(stamped))
        assert len(reader.embedded_signatures) == 2
        ts_status = validate_pdf_timestamp(reader.embedded_signatures[1], validation_context=context(docts_at, crls))
        assert ts_status.intact and ts_status.valid and ts_status.timestamp == docts_at, ts_status
        check(stamped, docts_at, crls)
        return with_dss, stamped

    old_lt, lta_expired = lta("Ho so luu tru dai han", [crl_2017], d(2017, 6, 2), d(2017, 6, 1), d(2017, 6, 3))
    _, lta_docts_only = lta("Ho so luu tru, chi co dau thoi gian tai lieu", [crl_before], d(2017, 5, 16), None, d(2017, 6, 1))
    lta = lta_expired
    moment = d(2017, 6, 3)
    crl_2017_list = [crl_2017]

    # One byte of the embedded CRL changed after the document time-stamp (inside its signed range).
    tampered = bytearray(lta)
    at = lta.rfind(b"stream\n", 0, len(old_lt)) + len(b"stream\n") + 40
    tampered[at] ^= 0x01
    ts_status = validate_pdf_timestamp(PdfFileReader(io.BytesIO(bytes(tampered))).embedded_signatures[1],
                                       validation_context=context(moment, crl_2017_list))
    assert not ts_status.intact, ts_status

    fixtures = {
        "pdf-lt-dss": lt,
        "pdf-lt-dss-objstm": lt_objstm,
        "pdf-lt-no-dss": signed,
        "pdf-lt-dss-and-change": lt_and_change,
        "pdf-lt-dss-then-page": then_page,
        "pdf-lt-shadow": shadow,
        "pdf-lta-expired": lta,
        "pdf-lta-docts-only": lta_docts_only,
        "pdf-lta-tampered": bytes(tampered),
    }
    for number, (name, pdf) in enumerate(fixtures.items(), start=8201):
        save(name + ".pdf", pdf)
        # each its own document number: a hub keeps one document per sender and number
        text = mf.with_attachments([("van-ban.pdf", pdf)], zipped=False)
        text = text.replace("7816/VPCP", "%d/VPCP" % number).replace("<edXML:CodeNumber>7816<", "<edXML:CodeNumber>%d<" % number)
        save(name + ".edxml", text.encode("utf-8"))
    print("LTV fixtures written to", OUT)


if __name__ == "__main__":
    main()
