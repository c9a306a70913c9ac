#!/usr/bin/env python3
"""Makes the PDF attack fixtures: documents signed by pyHanko with the demo PKI (G22's organisation key), then
changed after signing as the published attacks do — PDF-Insecurity's incremental saving attacks (ISA) and
signature wrapping (SWA), the Shadow Attacks' hide / replace / hide-and-replace, and the variants that fooled
Truc's earlier DSS-only rule (a page named as /Info, a reference with another generation, an
xref-only update re-pointing an object at an older body, a change followed by a dummy or another agency's
signature). Every attack makes the page say "900 ty dong" where the signed page says "100 trieu dong".

Beside each file, attacks/verdicts.json records what pyHanko's validator (difference analysis) says of the
G22 signature: intact, modification level, DocMDP ok — the Swift tests compare Truc's verdict with it.
Run from the repository root:  python3 Tests/Fixtures/signatures/make_attack_fixtures.py
"""
import io, json, os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402

OUT = os.path.join(mf.ROOT, "attacks")
SIGNED_TEXT = b"Phe duyet kinh phi 100 trieu dong"
FORGED_TEXT = b"Phe duyet kinh phi 900 ty dong"


def content(text):
    body = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    return b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"


def white_box():
    body = b"1 1 1 rg 60 740 400 40 re f"
    return b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"


def build(objects, revisions=None):
    """A PDF from {number: body} (generation 0, or (generation, body)); revisions: later updates of the same
    file before signing, each {number: body}."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        generation, body = objects[number] if isinstance(objects[number], tuple) else (0, objects[number])
        offsets[number] = (out.tell(), generation)
        out.write(b"%d %d obj\n" % (number, generation) + body + b"\nendobj\n")
    size = max(objects) + 1
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        if number in offsets:
            out.write(b"%010d %05d n \n" % offsets[number])
        else:
            out.write(b"0000000000 00001 f \n")
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    pdf = out.getvalue()
    for update in revisions or []:
        pdf = append(pdf, update)
    return pdf


def last_startxref(pdf):
    return int(pdf.rsplit(b"startxref", 1)[1].split()[0])


def size_of(pdf):
    return max(int(m) for m in re.findall(rb"/Size (\d+)", pdf))


def append(pdf, objects, trailer=b"", xref_entries=None, prev=True):
    """An incremental update: new bodies for {number: body or (generation, body)}, an xref table naming them
    (or xref_entries: {number: (offset, generation)} written as they are), and a trailer."""
    out = io.BytesIO()
    out.write(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    entries = dict(xref_entries or {})
    for number in sorted(objects):
        generation, body = objects[number] if isinstance(objects[number], tuple) else (0, objects[number])
        entries[number] = (out.tell(), generation)
        out.write(b"%d %d obj\n" % (number, generation) + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n")
    for number in sorted(entries):
        out.write(b"%d 1\n%010d %05d n \n" % (number, entries[number][0], entries[number][1]))
    size = max(size_of(pdf), max(entries) + 1)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R%s%s >>\nstartxref\n%d\n%%%%EOF\n"
              % (size, b" /Prev %d" % last_startxref(pdf) if prev else b"", trailer, xref))
    return out.getvalue()


def page(contents, extra=b""):
    return (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents " + contents
            + b" /Resources << /Font << /F1 5 0 R >> >>" + extra + b" >>")


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def base(extra_objects=None, page_contents=b"4 0 R", revisions=None):
    objects = {1: CATALOG, 2: PAGES, 3: page(page_contents), 4: content(SIGNED_TEXT), 5: FONT}
    objects.update(extra_objects or {})
    return build(objects, revisions)


def g22(pdf, field="G22"):
    key, cert = mf.agency("000.00.00.G22", "organisation")
    return mf.pdf_sign(pdf, key, cert, field)


def certify(pdf, permission):
    from pyhanko.sign import signers
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    key, cert = mf.agency("000.00.00.G22", "organisation")
    signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(mf.pki("trust", "intermediate-ca.pem"),))
    meta = signers.PdfSignatureMetadata(field_name="G22", md_algorithm="sha256", certify=True, docmdp_permissions=permission)
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, output=out)
    return out.getvalue()


def h41_sign(pdf, md="sha256", field="H41"):
    from pyhanko.sign import signers
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    key, cert = mf.agency("000.00.00.H41", "organisation")
    signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(mf.pki("trust", "intermediate-ca.pem"),))
    meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm=md)
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), meta, signer=signer, output=out)
    return out.getvalue()


def pyhanko_verdict(pdf):
    """pyHanko's validator on the first signature (G22's): intact, modification level, DocMDP ok."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko_certvalidator import ValidationContext
    try:
        vc = ValidationContext(trust_roots=[load_cert_from_pemder(mf.pki("trust", "root-ca.pem"))],
                               other_certs=[load_cert_from_pemder(mf.pki("trust", "intermediate-ca.pem"))],
                               allow_fetching=False, revocation_mode="soft-fail")
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signature = reader.embedded_signatures[0]
        status = validate_pdf_signature(signature, vc)
        level = status.modification_level.name if status.modification_level is not None else None
        return {"intact": bool(status.intact), "modification_level": level, "docmdp_ok": status.docmdp_ok,
                "bottom_line": bool(status.bottom_line)}
    except Exception as error:  # pyHanko refuses the file itself
        return {"error": "%s: %s" % (type(error).__name__, str(error)[:160])}


def swa_moved(signed):
    """Signature wrapping: the second signed range moved to the end, forged objects in a widened hole."""
    m = re.search(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", signed)
    a, b, c, d = map(int, m.groups())
    forged = b"\n4 0 obj\n" + content(FORGED_TEXT) + b"\nendobj\n"
    moved = signed[:b] + signed[b:c] + forged + signed[c:c + d]
    new_c = c + len(forged)
    text = b"/ByteRange [%d %d %d %d]" % (a, b, new_c, d)
    return moved.replace(m.group(0), text.ljust(len(m.group(0))), 1)


def main():
    os.makedirs(OUT, exist_ok=True)
    forged = content(FORGED_TEXT)
    signed = g22(base())
    attacks = {}
    # (a) the trailer names the signed page as /Info, and the "Info" is rewritten with new contents
    attacks["info-names-page"] = append(signed, {3: page(b"20 0 R"), 20: forged}, trailer=b" /Info 3 0 R")
    # (b) the signed page refers to 9 1 R, which the signed revision never defined (it has 9 0): defined later
    generation = g22(base({9: b"<< /Note (unused) >>"}, page_contents=b"[4 0 R 9 1 R]"))
    attacks["other-generation"] = append(generation, {9: (1, forged)})
    # (c) an xref-only update re-points object 4 at its older body, left in the file by an earlier revision
    older = base({}, revisions=[])
    older = build({1: CATALOG, 2: PAGES, 3: page(b"4 0 R"), 4: forged, 5: FONT})
    old_body = older.index(b"4 0 obj")
    two_revisions = g22(append(older, {4: content(SIGNED_TEXT)}))
    attacks["xref-only-repoint"] = append(two_revisions, {}, xref_entries={4: (old_body, 0)})
    # (d) a change, then a dummy signature whose CMS names SHA-224 (unsupported by the hub: indeterminate)
    changed = append(signed, {4: forged})
    attacks["change-then-sha224-signature"] = h41_sign(changed, md="sha224")
    # (e) a change, then a valid signature of another agency (H41)
    attacks["change-then-other-signature"] = h41_sign(changed)
    # ISA: an object appended without any cross-reference (readers that repair the file show it)
    attacks["isa-no-xref"] = signed + b"\n4 0 obj\n" + forged + b"\nendobj\n%%EOF\n"
    # ISA: a complete new xref table and trailer without /Prev, every object pointing at a new body
    attacks["isa-full-xref-no-prev"] = append(signed, {1: CATALOG, 2: PAGES, 3: page(b"4 0 R"), 4: forged, 5: FONT}, prev=False)
    # ISA: the update frees object 4 (the page's text becomes null) and writes the forged text as object 21
    freed = append(signed, {3: page(b"21 0 R"), 21: forged})
    attacks["isa-page-redefined"] = freed
    # Shadow: hide — the signed page carries the forged text under a white box; the update removes the box
    hide = g22(base({4: content(FORGED_TEXT), 6: white_box(), 7: content(SIGNED_TEXT)}, page_contents=b"[4 0 R 6 0 R 7 0 R]"))
    attacks["shadow-hide"] = append(hide, {6: b"<< /Length 0 >>\nstream\n\nendstream", 7: b"<< /Length 0 >>\nstream\n\nendstream"})
    # Shadow: replace — the font is replaced after signing (a font whose glyphs draw other digits)
    attacks["shadow-replace-font"] = append(signed, {5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"})
    # Shadow: hide-and-replace — the signed file carries an unused forged page content (object 8); the update
    # makes the page use it
    hidden = g22(base({8: forged}))
    attacks["shadow-hide-and-replace"] = append(hidden, {3: page(b"8 0 R")})
    # SWA: the second signed range moved to the end, the forged object written into a widened hole
    attacks["swa-moved-range"] = swa_moved(signed)
    # an annotation added after signing (a FreeText that shows the forged sum over the page)
    widgets = re.findall(rb"/Annots \[([^\]]*)\]", signed)[-1]
    attacks["annotation-added"] = append(signed, {3: page(b"4 0 R", b" /Annots [" + widgets + b" 22 0 R]"),
                                                  22: b"<< /Type /Annot /Subtype /FreeText /Rect [60 740 460 780] /Contents (900 ty dong) /DA (/Helv 14 Tf 0 g) >>"})

    xmp = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/><?xpacket end="w"?>'
    catalog = re.findall(rb"\n1 0 obj\s*(<<.*?>>)\s*endobj", signed, re.S)[-1]
    controls = {
        # a second signature by another agency over an unchanged document: both valid
        "control-second-signature": h41_sign(signed),
        # the catalog gains an XMP metadata stream after signing, as signing tools write (pyHanko: LTA_UPDATES)
        "control-metadata-added": append(signed, {1: catalog[:-2] + b" /Metadata 23 0 R >>",
                                                  23: b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(xmp) + xmp + b"\nendstream"}),
    }
    # signature boxes placed in the template, then filled in order (the usual way of official forms)
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    writer = IncrementalPdfFileWriter(io.BytesIO(base()))
    fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name="G22", on_page=0, box=(300, 100, 500, 160)))
    fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name="H41", on_page=0, box=(50, 100, 250, 160)))
    template = io.BytesIO()
    writer.write(template)
    controls["control-prefilled-fields"] = h41_sign(g22(template.getvalue(), field="G22"), field="H41")
    # certified by G22 allowing form filling and signing (DocMDP P=2), then signed by H41
    controls["control-certified-p2-then-signed"] = h41_sign(certify(base(), MDPPerm.FILL_FORMS))
    # certified with P=1 (no changes), then signed anyway (pyHanko refuses to: its check is switched off here)
    enforce = signers.PdfSigner._enforce_certification_constraints
    signers.PdfSigner._enforce_certification_constraints = lambda self, reader: None
    attacks["certified-p1-then-signed"] = h41_sign(certify(base(), MDPPerm.NO_CHANGES))
    signers.PdfSigner._enforce_certification_constraints = enforce
    # the catalog's /Metadata pointed at a stream that is not XMP (a form XObject, which a page could also use)
    attacks["metadata-not-xmp"] = append(signed, {1: catalog[:-2] + b" /Metadata 23 0 R >>",
                                                  23: b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Length 5 >>\nstream\nBT ET\nendstream"})
    verdicts = {}
    for name, pdf in {**attacks, **controls}.items():
        with open(os.path.join(OUT, name + ".pdf"), "wb") as f:
            f.write(pdf)
        verdicts[name] = pyhanko_verdict(pdf)
        if name in ("info-names-page", "change-then-other-signature", "control-second-signature"):
            # as an agency sends it: the PDF attached to an edXML message (for truc verify and a live hub)
            with open(os.path.join(OUT, name + ".edxml"), "w", encoding="utf-8") as f:
                f.write(mf.with_attachments([("van-ban.pdf", pdf)], zipped=False))
        print("%-32s %s" % (name, verdicts[name]))
    # XPath Filter 2.0: after signing, a forged Subject wrapped in <ds:Signature> before the real one; both
    # signatures subtract //ds:Signature (signed by xmlsec1 and signxml in make_fixtures.py)
    with open(os.path.join(mf.ROOT, "env-two-filter2.edxml"), encoding="utf-8") as f:
        text = f.read()
    wrapper = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><edXML:Subject>Phê duyệt kinh phí 900 tỷ đồng'
               '</edXML:Subject></ds:Signature>')
    with open(os.path.join(OUT, "xpath-signature-wrapper.edxml"), "w", encoding="utf-8") as f:
        f.write(text.replace("<edXML:Subject>", wrapper + "<edXML:Subject>", 1))
    with open(os.path.join(OUT, "verdicts.json"), "w") as f:
        json.dump(verdicts, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
