#!/usr/bin/env python3
"""Makes the signature fixtures with implementations independent of Truc:

  * envelope XMLDSig signatures with the xmlsec1 CLI and with Python signxml (lxml + cryptography);
  * PDF (CMS) signatures with pyHanko;
  * extra certificates (an ECDSA signer, an untrusted CA) with Python cryptography.

Every fixture that must fail, fails for exactly one reason; its name says which. Run from the repository
root:  python3 Tests/Fixtures/signatures/make_fixtures.py   (needs xmlsec1, signxml, pyhanko; see .ci/run)
The outputs are committed; CI may regenerate them.
"""
import base64, copy, datetime, hashlib, io, os, re, shutil, subprocess, sys, tempfile, zipfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, padding
from cryptography.x509.oid import NameOID
from lxml import etree

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(ROOT, "..", "..", ".."))
PKI = os.path.join(REPO, "Certs", "demo")
SAMPLE = os.path.join(REPO, "Tests", "Fixtures", "vpcp", "edoc_new_variant_dc0bdef0.edxml")
OUT = ROOT
EXTRA = os.path.join(ROOT, "pki")

EDXML = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DS = "http://www.w3.org/2000/09/xmldsig#"


def pki(*parts):
    return os.path.join(PKI, *parts)


def agency(code, kind):
    return pki("agencies", code, kind + ".key"), pki("agencies", code, kind + ".pem")


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------------
# Extra certificates, made with Python cryptography from the demo intermediate CA (or a rogue CA).

def load_ca():
    with open(pki("ca", "intermediate", "intermediate-ca.key"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    with open(pki("ca", "intermediate", "intermediate-ca.pem"), "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    return key, cert


def issue(subject_attrs, issuer_key, issuer_cert, key, ca=False):
    now = datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(oid, value) for oid, value in subject_attrs])
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=3650)))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True).add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def make_extra_pki():
    os.makedirs(EXTRA, exist_ok=True)
    ca_key, ca_cert = load_ca()
    # An ECDSA P-256 organisation signer of G22, issued by the demo intermediate.
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_cert = issue([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "Văn phòng Chính phủ"),
                     (NameOID.COMMON_NAME, "Văn phòng Chính phủ (ECDSA)"), (NameOID.USER_ID, "MST:0100100001")],
                    ca_key, ca_cert, ec_key)
    # A rogue CA (not in the trust store) and a signer under it that claims to be G22.
    rogue_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rogue_ca = issue([(NameOID.COMMON_NAME, "Rogue CA")], rogue_key, None, rogue_key, ca=True)
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = issue([(NameOID.COUNTRY_NAME, "VN"), (NameOID.ORGANIZATION_NAME, "Văn phòng Chính phủ"),
                    (NameOID.COMMON_NAME, "Văn phòng Chính phủ"), (NameOID.USER_ID, "MST:0100100001")],
                   rogue_key, rogue_ca, forged_key)
    # A signer identified only by a certificate policy (no CCCD:/MST: identifier).
    policy_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    policy_cert = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Policy Only Signer")]))
                   .issuer_name(ca_cert.subject).public_key(policy_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc))
                   .not_valid_after(datetime.datetime(2035, 6, 1, tzinfo=datetime.timezone.utc))
                   .add_extension(x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1.2"), None)]), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    for name, data in [("policy-signer.pem", pem_cert(policy_cert)), ("ec-signer.key", pem_key(ec_key)), ("ec-signer.pem", pem_cert(ec_cert) + open(pki("trust", "intermediate-ca.pem"), "rb").read()),
                       ("rogue-ca.pem", pem_cert(rogue_ca)), ("untrusted-signer.key", pem_key(forged_key)),
                       ("untrusted-signer.pem", pem_cert(forged)), ("untrusted-signer.chain.pem", pem_cert(forged) + pem_cert(rogue_ca))]:
        with open(os.path.join(EXTRA, name), "wb") as f:
            f.write(data)


# ---------------------------------------------------------------------------------------------------
# PDFs: a small valid PDF written with a correct cross-reference table, signed with pyHanko.

def base_pdf(text="Van ban dien tu - Truc test document", padding=0):
    """padding: bytes of incompressible image data added as an extra object (for benchmark documents)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    stream = ("BT /F1 14 Tf 72 760 Td (%s) Tj ET" % text).encode()
    objects[3] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    if padding:
        blob = os.urandom(padding)
        objects.append(b"<< /Type /XObject /Subtype /Image /Width 1 /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n"
                       % (padding, padding) + blob + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def pdf_sign(pdf, key, cert, field, subfilter=None, chain=None):
    from pyhanko.sign import signers, fields
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigSeedSubFilter
    signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(chain or pki("trust", "intermediate-ca.pem"),))
    assert signer is not None, "pyHanko could not load %s" % cert
    meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm="sha256",
                                        subfilter=subfilter or SigSeedSubFilter.ADOBE_PKCS7_DETACHED)
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, output=out)
    return out.getvalue()


def legacy_sha1_pdf(base, key, cert):
    """An adbe.pkcs7.sha1 signature (the legacy form: the CMS encapsulates the SHA-1 of the byte ranges),
    added as an incremental update by hand and signed with the openssl CLI (pyHanko does not make this form)."""
    xref_at = int(base.rsplit(b"startxref", 1)[1].split()[0])
    placeholder = 16384
    body = io.BytesIO()
    body.write(base)
    offsets = {}
    offsets[6] = body.tell()
    body.write(b"6 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.sha1 /ByteRange [0000000000 0000000000 0000000000 0000000000] /Contents <")
    contents_at = body.tell() - 1
    body.write(b"0" * placeholder + b"> /M (D:20261122000000Z) >>\nendobj\n")
    offsets[7] = body.tell()
    body.write(b"7 0 obj\n<< /FT /Sig /T (Legacy) /V 6 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /F 132 >>\nendobj\n")
    offsets[1] = body.tell()
    body.write(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] /SigFlags 3 >> >>\nendobj\n")
    xref = body.tell()
    body.write(b"xref\n0 2\n0000000000 65535 f \n%010d 00000 n \n6 2\n%010d 00000 n \n%010d 00000 n \n" % (offsets[1], offsets[6], offsets[7]))
    body.write(b"trailer\n<< /Size 8 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (xref_at, xref))
    pdf = bytearray(body.getvalue())
    hole_end = contents_at + 2 + placeholder
    ranges = [0, contents_at, hole_end, len(pdf) - hole_end]
    marker = b"[0000000000 0000000000 0000000000 0000000000]"
    at = pdf.find(marker)
    pdf[at:at + len(marker)] = (b"[%010d %010d %010d %010d]" % tuple(ranges))
    digest = hashlib.sha1(bytes(pdf[0:ranges[1]]) + bytes(pdf[ranges[2]:ranges[2] + ranges[3]])).digest()
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "digest"), "wb") as fh:
            fh.write(digest)
        subprocess.run(["openssl", "cms", "-sign", "-binary", "-nodetach", "-md", "sha1", "-in", os.path.join(d, "digest"),
                        "-signer", cert, "-inkey", key, "-certfile", pki("trust", "intermediate-ca.pem"), "-outform", "DER",
                        "-out", os.path.join(d, "sig.der")], check=True, capture_output=True)
        der = open(os.path.join(d, "sig.der"), "rb").read()
    hexed = der.hex().upper().encode()
    assert len(hexed) <= placeholder
    pdf[contents_at + 1:contents_at + 1 + len(hexed)] = hexed
    return bytes(pdf)


def make_pdfs():
    from pyhanko.sign.fields import SigSeedSubFilter
    base = base_pdf()
    pk, pc = agency("000.00.00.G22", "personal")
    ok, oc = agency("000.00.00.G22", "organisation")
    personal = pdf_sign(base, pk, pc, "Personal")
    both = pdf_sign(personal, ok, oc, "Organisation", SigSeedSubFilter.PADES)
    organisation = pdf_sign(base, ok, oc, "Organisation", SigSeedSubFilter.PADES)
    pdfs = {"unsigned": base, "personal": personal, "both": both, "organisation": organisation,
            "legacy-sha1": legacy_sha1_pdf(base, pk, pc)}
    # Broken on purpose:
    # a byte inside the signed range changed (the page text), after signing
    tampered = bytearray(both)
    at = tampered.find(b"Truc test document")
    tampered[at] = ord("X")
    pdfs["tampered"] = bytes(tampered)
    # an unsigned incremental update appended after the last signature (it could change what a reader sees)
    pdfs["appended"] = both + b"\n5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>\nendobj\n%%EOF\n"
    # signed by revoked / expired certificates, and an untrusted (rogue) chain
    pdfs["revoked"] = pdf_sign(base, pki("test", "revoked.key"), pki("test", "revoked.pem"), "Personal")
    pdfs["untrusted"] = pdf_sign(base, os.path.join(EXTRA, "untrusted-signer.key"), os.path.join(EXTRA, "untrusted-signer.pem"), "Organisation",
                                 chain=os.path.join(EXTRA, "rogue-ca.pem"))
    for name, data in pdfs.items():
        write("pdf-%s.pdf" % name, data)
    return pdfs


# ---------------------------------------------------------------------------------------------------
# edXML messages: the variant sample with its attachment replaced.

def sample_text():
    with open(SAMPLE, encoding="utf-8") as f:
        return f.read()


def with_attachments(files, zipped=True):
    """files: list of (name, bytes). Each is zipped (as the national library does) unless zipped=False."""
    text = sample_text()
    head, rest = text.split("<edXML:edXMLManifest version=\"1.0\">", 1)
    _, tail = rest.split("</edXML:edXMLManifest>", 1)
    refs, atts = [], []
    for i, (name, data) in enumerate(files, start=1):
        if zipped:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(name, data)
            payload, ctype = buf.getvalue(), "application/zip"
        else:
            payload, ctype = data, "application/pdf"
        refs.append("<edXML:Reference><edXML:ContentId>cid:%d</edXML:ContentId><edXML:ContentType>%s</edXML:ContentType>"
                    "<edXML:Description>%s</edXML:Description><edXML:AttachmentName>%s</edXML:AttachmentName></edXML:Reference>" % (i, ctype, name, name))
        atts.append("<Attachment><ContentId>cid:%d</ContentId><AttachmentName>%s</AttachmentName><Description>%s</Description>"
                    "<ContentType>%s</ContentType><edXML:ContentTransferEncoded xmlns:edXML=\"%s\">%s</edXML:ContentTransferEncoded></Attachment>"
                    % (i, name, name, ctype, EDXML, base64.b64encode(payload).decode()))
    body = head + "<edXML:edXMLManifest version=\"1.0\">" + "".join(refs) + "</edXML:edXMLManifest>" + tail
    start = body.index("<AttachmentEncoded>")
    end = body.index("</AttachmentEncoded>") + len("</AttachmentEncoded>")
    # No placeholder signature in fixtures that carry real ones.
    body = re.sub(r"\s*<Signature>.*?</Signature>", "", body, flags=re.S)
    start = body.index("<AttachmentEncoded>")
    end = body.index("</AttachmentEncoded>") + len("</AttachmentEncoded>")
    return body[:start] + "<AttachmentEncoded>" + "".join(atts) + "</AttachmentEncoded>" + body[end:]


# ---------------------------------------------------------------------------------------------------
# Envelope signatures with the xmlsec1 CLI.

SIG_TEMPLATE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="{c14n}"/>
<ds:SignatureMethod Algorithm="{method}"/>
<ds:Reference URI="{uri}">
<ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="{c14n}"/>
</ds:Transforms>
<ds:DigestMethod Algorithm="{digest}"/>
<ds:DigestValue></ds:DigestValue>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue/>
<ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>
</ds:Signature>"""

INC = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"


def insert_signature(text, signature):
    return text.replace("</edXML:edXMLHeader>", signature + "</edXML:edXMLHeader>", 1)


def xmlsec_sign(text, key, cert, c14n=INC, method=RSA_SHA256, digest=SHA256, uri="", id_attr=None):
    template = insert_signature(text, SIG_TEMPLATE.format(c14n=c14n, method=method, digest=digest, uri=uri))
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "in.xml"), os.path.join(d, "out.xml")
        with open(src, "w", encoding="utf-8") as f:
            f.write(template)
        cmd = ["xmlsec1", "--sign", "--privkey-pem", "%s,%s" % (key, cert), "--output", dst]
        if id_attr:
            cmd += ["--id-attr:Id", id_attr]
        subprocess.run(cmd + [src], check=True, capture_output=True)
        with open(dst, encoding="utf-8") as f:
            return f.read()


def signxml_sign(text, key, cert, c14n=EXC, method="ecdsa-sha256"):
    from signxml import XMLSigner, methods, SignatureMethod, DigestAlgorithm, CanonicalizationMethod
    root = etree.fromstring(text.encode())
    header = root.find(".//{%s}edXMLHeader" % EDXML)
    placeholder = etree.SubElement(header, "{%s}Signature" % DS, Id="placeholder")
    signer = XMLSigner(method=methods.enveloped, signature_algorithm=SignatureMethod.ECDSA_SHA256 if method.startswith("ecdsa") else SignatureMethod.RSA_SHA256,
                       digest_algorithm=DigestAlgorithm.SHA256, c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    with open(key, "rb") as f:
        k = f.read()
    with open(cert, "rb") as f:
        c = f.read()
    signed = signer.sign(root, key=k, cert=c.decode())
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8").decode()


def cid_sign(text, key, cert):
    """A signature with a cid: reference to the first attachment's decoded bytes and a "" reference,
    made with lxml (C14N) and cryptography."""
    root = etree.fromstring(text.encode())
    att = root.find(".//{%s}Attachment" % EDXML)
    payload = base64.b64decode(att.find("{%s}ContentTransferEncoded" % EDXML).text)
    cid = att.find("{%s}ContentId" % EDXML).text.strip()
    header = root.find(".//{%s}edXMLHeader" % EDXML)
    sig = etree.SubElement(header, "{%s}Signature" % DS, nsmap={"ds": DS})
    si = etree.SubElement(sig, "{%s}SignedInfo" % DS)
    etree.SubElement(si, "{%s}CanonicalizationMethod" % DS, Algorithm=EXC)
    etree.SubElement(si, "{%s}SignatureMethod" % DS, Algorithm=RSA_SHA256)
    ref = etree.SubElement(si, "{%s}Reference" % DS, URI="")
    tr = etree.SubElement(ref, "{%s}Transforms" % DS)
    etree.SubElement(tr, "{%s}Transform" % DS, Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature")
    etree.SubElement(tr, "{%s}Transform" % DS, Algorithm=EXC)
    etree.SubElement(ref, "{%s}DigestMethod" % DS, Algorithm=SHA256)
    dv = etree.SubElement(ref, "{%s}DigestValue" % DS)
    ref2 = etree.SubElement(si, "{%s}Reference" % DS, URI=cid)
    etree.SubElement(ref2, "{%s}DigestMethod" % DS, Algorithm=SHA256)
    etree.SubElement(ref2, "{%s}DigestValue" % DS).text = base64.b64encode(hashlib.sha256(payload).digest()).decode()
    sv = etree.SubElement(sig, "{%s}SignatureValue" % DS)
    ki = etree.SubElement(sig, "{%s}KeyInfo" % DS)
    xd = etree.SubElement(ki, "{%s}X509Data" % DS)
    with open(cert, "rb") as f:
        leaf = x509.load_pem_x509_certificate(f.read())
    etree.SubElement(xd, "{%s}X509Certificate" % DS).text = base64.b64encode(leaf.public_bytes(serialization.Encoding.DER)).decode()
    # Digest of the document without the signature (enveloped), exclusive C14N.
    doc_copy = copy.deepcopy(root)
    for s in doc_copy.iter("{%s}Signature" % DS):
        s.getparent().remove(s)
    dv.text = base64.b64encode(hashlib.sha256(etree.tostring(doc_copy, method="c14n", exclusive=True)).digest()).decode()
    with open(key, "rb") as f:
        k = serialization.load_pem_private_key(f.read(), None)
    signed_info = etree.tostring(si, method="c14n", exclusive=True)
    sv.text = base64.b64encode(k.sign(signed_info, padding.PKCS1v15(), hashes.SHA256())).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()


def make_envelopes(pdfs):
    ok, oc = agency("000.00.00.G22", "organisation")
    doc = with_attachments([("van-ban.pdf", pdfs["both"])])
    unsigned_pdf_doc = with_attachments([("van-ban.pdf", pdfs["unsigned"])])
    fixtures = {}
    fixtures["env-valid-inclusive.edxml"] = xmlsec_sign(doc, ok, oc, c14n=INC)
    fixtures["env-valid-exclusive.edxml"] = xmlsec_sign(unsigned_pdf_doc, ok, oc, c14n=EXC)
    fixtures["env-valid-rsa-sha1.edxml"] = xmlsec_sign(unsigned_pdf_doc, ok, oc, method=RSA_SHA1, digest=SHA1)
    with_id = unsigned_pdf_doc.replace("<edXML:edXMLEnvelope ", "<edXML:edXMLEnvelope Id=\"envelope\" ", 1)
    fixtures["env-valid-id-reference.edxml"] = xmlsec_sign(with_id, ok, oc, c14n=EXC, uri="#envelope", id_attr="edXMLEnvelope")
    fixtures["env-valid-ecdsa-signxml.edxml"] = signxml_sign(unsigned_pdf_doc, os.path.join(EXTRA, "ec-signer.key"), os.path.join(EXTRA, "ec-signer.pem"))
    fixtures["env-valid-cid.edxml"] = cid_sign(unsigned_pdf_doc, ok, oc)
    pk, pc = agency("000.00.00.G22", "personal")
    fixtures["env-valid-personal.edxml"] = xmlsec_sign(unsigned_pdf_doc, pk, pc)

    good = fixtures["env-valid-inclusive.edxml"]
    # digest-mismatch: the subject changed after signing
    fixtures["env-digest-mismatch.edxml"] = good.replace("V/v kết nối, liên thông phần mềm quản lý văn bản</edXML:Subject>",
                                                         "V/v giả mạo</edXML:Subject>", 1)
    # signature-mismatch: one character of the signature value changed
    m = re.search(r"<SignatureValue>\s*(\S)", good) or re.search(r"<ds:SignatureValue>\s*(\S)", good)
    i = m.start(1)
    fixtures["env-signature-mismatch.edxml"] = good[:i] + ("A" if good[i] != "A" else "B") + good[i + 1:]
    # signature-mismatch: another agency's certificate swapped in
    with open(pki("agencies", "000.00.00.H41", "organisation.pem"), "rb") as f:
        other = x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)
    fixtures["env-swapped-certificate.edxml"] = re.sub(r"(<(?:ds:)?X509Certificate>)[^<]+", lambda mm: mm.group(1) + base64.b64encode(other).decode(), good, count=1)
    fixtures["env-untrusted.edxml"] = xmlsec_sign(unsigned_pdf_doc, os.path.join(EXTRA, "untrusted-signer.key"), os.path.join(EXTRA, "untrusted-signer.chain.pem"))
    fixtures["env-revoked.edxml"] = xmlsec_sign(unsigned_pdf_doc, pki("test", "revoked.key"), pki("test", "revoked.pem"))
    fixtures["env-expired.edxml"] = xmlsec_sign(unsigned_pdf_doc, pki("test", "expired.key"), pki("test", "expired.pem"))
    fixtures["env-key-usage.edxml"] = xmlsec_sign(unsigned_pdf_doc, pki("test", "no-signing.key"), pki("test", "no-signing.pem"))
    # external-reference: a Reference to a URL (never fetched)
    fixtures["env-external-reference.edxml"] = good.replace('URI=""', 'URI="http://192.0.2.10/document.xml"', 1)
    # signature wrapping: the signed envelope moved into an extension wrapper, a forged one put first
    signed_by_id = fixtures["env-valid-id-reference.edxml"]
    env_start = signed_by_id.index("<edXML:edXMLEnvelope ")
    env_end = signed_by_id.index("</edXML:edXMLEnvelope>") + len("</edXML:edXMLEnvelope>")
    original = signed_by_id[env_start:env_end]
    forged = original.replace(' Id="envelope"', "", 1).replace("V/v kết nối, liên thông phần mềm quản lý văn bản</edXML:Subject>", "V/v chuyển tiền khẩn</edXML:Subject>", 1)
    # The moved original loses its signature, so that a verifier that follows the Id alone is satisfied.
    moved = re.sub(r"<ds:Signature .*?</ds:Signature>", "", original, flags=re.S)
    wrapped = signed_by_id[:env_start] + forged + "<Wrapper xmlns=\"urn:attacker\">" + moved + "</Wrapper>" + signed_by_id[env_end:]
    fixtures["env-wrapping.edxml"] = wrapped
    # duplicate IDs: a second element carries the referenced Id
    fixtures["env-duplicate-id.edxml"] = signed_by_id.replace("<AttachmentEncoded>", "<AttachmentEncoded Id=\"envelope\">", 1)
    for name, text in fixtures.items():
        write(name, text.encode("utf-8"))
    return fixtures


def make_pdf_messages(pdfs):
    messages = {
        "pdf-both-zip.edxml": with_attachments([("van-ban.pdf", pdfs["both"])]),
        "pdf-both-raw.edxml": with_attachments([("van-ban.pdf", pdfs["both"])], zipped=False),
        "pdf-personal.edxml": with_attachments([("van-ban.pdf", pdfs["personal"])]),
        "pdf-organisation.edxml": with_attachments([("van-ban.pdf", pdfs["organisation"])], zipped=False),
        "pdf-unsigned.edxml": with_attachments([("van-ban.pdf", pdfs["unsigned"])]),
        "pdf-tampered.edxml": with_attachments([("van-ban.pdf", pdfs["tampered"])]),
        "pdf-appended.edxml": with_attachments([("van-ban.pdf", pdfs["appended"])], zipped=False),
        "pdf-revoked.edxml": with_attachments([("van-ban.pdf", pdfs["revoked"])]),
        "pdf-untrusted.edxml": with_attachments([("van-ban.pdf", pdfs["untrusted"])]),
        "pdf-legacy-sha1.edxml": with_attachments([("van-ban.pdf", pdfs["legacy-sha1"])], zipped=False),
    }
    for name, text in messages.items():
        write(name, text.encode("utf-8"))


if __name__ == "__main__":
    make_extra_pki()
    pdfs = make_pdfs()
    make_pdf_messages(pdfs)
    make_envelopes(pdfs)
    print("fixtures written to", OUT)
