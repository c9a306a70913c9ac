#!/usr/bin/env python3
"""Signs a small PDF with pyHanko, with an RFC 3161 signature time-stamp fetched from a TSA over HTTP (the
revocation lab's `openssl ts`), and wraps it in an edXML message.

Usage: sign_pdf_with_tsa.py KEY CERT TSA_URL OUT.edxml
"""
import io, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "signatures"))
import make_fixtures as mf  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import signers, timestamps  # noqa: E402

key, cert, url, out = sys.argv[1:5]
signer = signers.SimpleSigner.load(key, cert)
meta = signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha256")
buffer = io.BytesIO()
signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(mf.base_pdf("Van ban co dau thoi gian"))), meta, signer=signer,
                 timestamper=timestamps.HTTPTimeStamper(url), output=buffer)
with open(out, "w", encoding="utf-8") as f:
    f.write(mf.with_attachments([("van-ban.pdf", buffer.getvalue())], zipped=False))
