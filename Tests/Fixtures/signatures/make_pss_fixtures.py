#!/usr/bin/env python3
"""RSASSA-PSS fixtures, made with independent tools:

  pdf-pss.edxml       a PDF signed by pyHanko with RSASSA-PSS (prefer_pss), G22's demo organisation key;
                      cross-checked with pyHanko's validator
  env-pss-signxml.edxml  the envelope signed by signxml with http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1
                      (RFC 9231), cross-checked with signxml's verifier

Run from the repository root: python3 Tests/Fixtures/signatures/make_pss_fixtures.py
"""
import io, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
from lxml import etree  # noqa: E402


def main():
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from pyhanko.keys import load_cert_from_pemder
    from signxml import XMLSigner, XMLVerifier, methods, SignatureMethod, DigestAlgorithm, CanonicalizationMethod

    key, cert = mf.agency("000.00.00.G22", "organisation")
    chain = mf.pki("trust", "intermediate-ca.pem")
    signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,), prefer_pss=True)
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(mf.base_pdf("Van ban ky RSASSA-PSS"))),
                     signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha256"), signer=signer, output=out)
    pdf = out.getvalue()
    roots = [load_cert_from_pemder(mf.pki("trust", "root-ca.pem"))]
    context = ValidationContext(trust_roots=roots, other_certs=[load_cert_from_pemder(chain)], allow_fetching=False)
    status = validate_pdf_signature(PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0], signer_validation_context=context)
    assert status.intact and status.valid and status.pkcs7_signature_mechanism == "rsassa_pss", status
    mf.write("pdf-pss.pdf", pdf)
    mf.write("pdf-pss.edxml", mf.with_attachments([("van-ban.pdf", pdf)], zipped=False).encode("utf-8"))

    text = mf.with_attachments([("van-ban.pdf", mf.base_pdf())])
    root = etree.fromstring(text.encode())
    header = root.find(".//{%s}edXMLHeader" % mf.EDXML)
    etree.SubElement(header, "{%s}Signature" % mf.DS, Id="placeholder")
    xml_signer = XMLSigner(method=methods.enveloped, signature_algorithm=SignatureMethod.SHA256_RSA_MGF1,
                           digest_algorithm=DigestAlgorithm.SHA256, c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    with open(key, "rb") as f:
        k = f.read()
    with open(cert) as f:
        c = f.read()
    signed = xml_signer.sign(root, key=k, cert=c)
    data = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    XMLVerifier().verify(data, ca_pem_file=mf.pki("trust", "root-ca.pem"), x509_cert=c)
    mf.write("env-pss-signxml.edxml", data)
    print("PSS fixtures written")


if __name__ == "__main__":
    main()
