#!/usr/bin/env python3
"""Benchmark inputs for `truc bench verify`, signed with the same independent tools as the test fixtures:
  (a) typical.edxml: two zipped PDFs of ~200 KB, each signed personal then organisation (pyHanko),
      the envelope signed by the organisation (xmlsec1) — about 550 KB;
  (b) large.edxml: one ~15 MB PDF signed personal + organisation, envelope signed — about 20 MB.
Usage: python3 scripts/make_bench_documents.py OUTDIR"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "signatures"))
import make_fixtures as f

out = sys.argv[1] if len(sys.argv) > 1 else ".build/bench"
os.makedirs(out, exist_ok=True)
pk, pc = f.agency("000.00.00.G22", "personal")
ok, oc = f.agency("000.00.00.G22", "organisation")


def signed_pdf(padding, text):
    personal = f.pdf_sign(f.base_pdf(text, padding=padding), pk, pc, "Personal")
    from pyhanko.sign.fields import SigSeedSubFilter
    return f.pdf_sign(personal, ok, oc, "Organisation", SigSeedSubFilter.PADES)


typical = f.with_attachments([("van-ban.pdf", signed_pdf(190_000, "Van ban")), ("phu-luc.pdf", signed_pdf(190_000, "Phu luc"))])
large = f.with_attachments([("bao-cao.pdf", signed_pdf(15_000_000, "Bao cao"))])
for name, doc in [("typical.edxml", typical), ("large.edxml", large)]:
    signed = f.xmlsec_sign(doc, ok, oc, c14n=f.EXC)
    with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
        fh.write(signed)
    print(name, len(signed.encode()), "bytes")

# For the load benchmark: distinct typical documents (each its own DocumentId, each envelope-signed), signed
# in-process with the xmlsec library (Python binding) when it is installed.
count = int(os.environ.get("TRUC_LOAD_DOCUMENTS", "0"))
if count:
    import xmlsec
    from lxml import etree
    folder = os.path.join(out, "load")
    os.makedirs(folder, exist_ok=True)
    key = xmlsec.Key.from_file(ok, xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_file(oc, xmlsec.constants.KeyDataFormatPem)
    template = f.insert_signature(typical, f.SIG_TEMPLATE.format(c14n=f.EXC, method=f.RSA_SHA256, digest=f.SHA256, uri=""))
    original = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    for i in range(count):
        root = etree.fromstring(template.replace(original, "000.00.00.G22,2026/11/22,%d/VPCP-LOAD" % i).encode())
        ctx = xmlsec.SignatureContext()
        ctx.key = key
        ctx.sign(xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature))
        with open(os.path.join(folder, "%05d.edxml" % i), "wb") as fh:
            fh.write(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    print("load documents:", count)
