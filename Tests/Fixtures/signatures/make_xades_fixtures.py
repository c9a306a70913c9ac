#!/usr/bin/env python3
"""Envelope fixtures for the forms real signing tools produce, made with xmlsec1 and signxml only:

  env-two-filter2.edxml          an organisation (G22) and a personal (G22) signature in the header, each with an
                                 XPath Filter 2.0 "subtract //ds:Signature" transform (xmlsec1, one after the other):
                                 both verify (with plain enveloped-signature the first would break when the second
                                 is added)
  env-two-filter2-tampered.edxml the same with the subject changed: both digest-mismatch
  env-filter2-content.edxml      a filter that subtracts the MessageHeader (xmlsec1 signs it): malformed, since the
                                 header would be unsigned
  env-filter2-intersect.edxml    Filter="intersect": unsupported-algorithm
  env-two-enveloped.edxml        two plain enveloped signatures: the first no longer verifies (digest-mismatch)
  env-xades-signxml.edxml        XAdES-BES by signxml's XAdESSigner (SigningCertificateV2, Canonical XML 1.1): valid
  env-xades-wrong-cert.edxml     XAdES-BES whose SigningCertificateV2 digests another agency's certificate (the
                                 signxml signer told to commit to H41's certificate): signing-certificate-mismatch
  env-countersigned.edxml        G22's organisation signature with, in its ds:Object, a personal countersignature over
                                 its SignatureValue (xmlsec1, outer then inner): both found, both valid
  env-nested-unrelated.edxml     a nested signature over an unrelated element of the ds:Object: the nested one is
                                 malformed (it covers neither the envelope nor its enclosing signature)

Each valid fixture is cross-checked by xmlsec1 --verify (per signature) or signxml's XAdESVerifier.
Run from the repository root: python3 Tests/Fixtures/signatures/make_xades_fixtures.py
"""
import dataclasses, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
from lxml import etree  # noqa: E402

FILTER2 = "http://www.w3.org/2002/06/xmldsig-filter2"
SUBJECT = "V/v kết nối, liên thông phần mềm quản lý văn bản</edXML:Subject>"


def numbered(text, n):
    """The sample with its own document number (a hub keeps one document per sender and number)."""
    return text.replace("7816/VPCP", "%d/VPCP" % n).replace("<edXML:CodeNumber>7816<", "<edXML:CodeNumber>%d<" % n)


def template(sig_id, uri="", transforms=None, value_id=None, obj=""):
    transforms = transforms or [
        '<ds:Transform Algorithm="%s"><dsig-xpath:XPath xmlns:dsig-xpath="%s" Filter="subtract">//ds:Signature</dsig-xpath:XPath></ds:Transform>' % (FILTER2, FILTER2),
        '<ds:Transform Algorithm="%s"/>' % mf.EXC,
    ]
    return ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="%s"><ds:SignedInfo>'
            '<ds:CanonicalizationMethod Algorithm="%s"/><ds:SignatureMethod Algorithm="%s"/>'
            '<ds:Reference URI="%s"><ds:Transforms>%s</ds:Transforms><ds:DigestMethod Algorithm="%s"/><ds:DigestValue/></ds:Reference>'
            '</ds:SignedInfo><ds:SignatureValue%s/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>%s</ds:Signature>'
            % (sig_id, mf.EXC, mf.RSA_SHA256, uri, "".join(transforms), mf.SHA256, ' Id="%s"' % value_id if value_id else "", obj))


def run_xmlsec(args, text):
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "in.xml"), os.path.join(d, "out.xml")
        with open(src, "w", encoding="utf-8") as f:
            f.write(text)
        result = subprocess.run(["xmlsec1"] + args + ["--output", dst, src], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        with open(dst, encoding="utf-8") as f:
            return f.read()


def sign(text, node_id, key, cert):
    return run_xmlsec(["--sign", "--privkey-pem", "%s,%s" % (key, cert), "--node-id", node_id, "--id-attr:Id", "Signature",
                       "--id-attr:Id", "SignatureValue", "--id-attr:Id", "Object"], text)


def verify(text, node_id):
    """xmlsec1's verdict on one signature (trusting only the demo root, as the tests do)."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "in.xml")
        with open(src, "w", encoding="utf-8") as f:
            f.write(text)
        result = subprocess.run(["xmlsec1", "--verify", "--trusted-pem", mf.pki("trust", "root-ca.pem"), "--untrusted-pem",
                                 mf.pki("trust", "intermediate-ca.pem"), "--node-id", node_id, "--id-attr:Id", "Signature",
                                 "--id-attr:Id", "SignatureValue", "--id-attr:Id", "Object", src], capture_output=True, text=True)
        return result.returncode == 0


def main():
    from signxml import SignatureMethod, DigestAlgorithm
    from signxml.xades import XAdESSigner, XAdESVerifier

    ok, oc = mf.agency("000.00.00.G22", "organisation")
    pk, pc = mf.agency("000.00.00.G22", "personal")
    base = mf.with_attachments([("van-ban.pdf", mf.base_pdf())])
    fixtures = {}

    # Two signatures, each subtracting every ds:Signature: the organisation signs first, then the person.
    two = mf.insert_signature(numbered(base, 8101), template("sig-org") + template("sig-personal"))
    two = sign(sign(two, "sig-org", ok, oc), "sig-personal", pk, pc)
    assert verify(two, "sig-org") and verify(two, "sig-personal")
    fixtures["env-two-filter2.edxml"] = two
    tampered = two.replace(SUBJECT, "V/v giả mạo</edXML:Subject>", 1)
    assert tampered != two and not verify(tampered, "sig-org") and not verify(tampered, "sig-personal")
    fixtures["env-two-filter2-tampered.edxml"] = tampered

    content = template("sig-org", transforms=[
        '<ds:Transform Algorithm="%s"><dsig-xpath:XPath xmlns:dsig-xpath="%s" xmlns:edXML="%s" Filter="subtract">//edXML:MessageHeader</dsig-xpath:XPath></ds:Transform>'
        % (FILTER2, FILTER2, mf.EDXML), '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'])
    content = sign(mf.insert_signature(numbered(base, 8102), content), "sig-org", ok, oc)
    assert verify(content, "sig-org")
    fixtures["env-filter2-content.edxml"] = content

    intersect = template("sig-org", transforms=[
        '<ds:Transform Algorithm="%s"><dsig-xpath:XPath xmlns:dsig-xpath="%s" Filter="intersect">/</dsig-xpath:XPath></ds:Transform>' % (FILTER2, FILTER2),
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'])
    intersect = sign(mf.insert_signature(numbered(base, 8103), intersect), "sig-org", ok, oc)
    assert verify(intersect, "sig-org")
    fixtures["env-filter2-intersect.edxml"] = intersect

    plain = ['<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>', '<ds:Transform Algorithm="%s"/>' % mf.EXC]
    enveloped = mf.insert_signature(numbered(base, 8104), template("sig-org", transforms=plain) + template("sig-personal", transforms=plain))
    enveloped = sign(sign(enveloped, "sig-org", ok, oc), "sig-personal", pk, pc)
    assert not verify(enveloped, "sig-org") and verify(enveloped, "sig-personal")
    fixtures["env-two-enveloped.edxml"] = enveloped

    # XAdES-BES with signxml, and one that commits to another agency's certificate.
    class WrongCertificate(XAdESSigner):
        def add_signing_certificate(self, properties, sig_root, signing_settings):
            with open(mf.pki("agencies", "000.00.00.H41", "organisation.pem")) as f:
                other = f.read()
            return super().add_signing_certificate(properties, sig_root, dataclasses.replace(signing_settings, cert_chain=[other]))

    def xades(signer_class):
        root = etree.fromstring(numbered(base, 8105).encode())
        header = root.find(".//{%s}edXMLHeader" % mf.EDXML)
        etree.SubElement(header, "{%s}Signature" % mf.DS, Id="placeholder")
        # signxml's default canonicalisation, Canonical XML 1.1
        signer = signer_class(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256)
        with open(ok, "rb") as f:
            k = f.read()
        with open(oc) as f:
            c = f.read()
        signed = signer.sign(root, key=k, cert=c)
        return etree.tostring(signed, xml_declaration=True, encoding="UTF-8"), c

    data, cert = xades(XAdESSigner)
    XAdESVerifier().verify(data, ca_pem_file=mf.pki("trust", "root-ca.pem"), x509_cert=cert, expect_references=3)
    fixtures["env-xades-signxml.edxml"] = data.decode()
    wrong, cert = xades(WrongCertificate)
    try:
        XAdESVerifier().verify(wrong, ca_pem_file=mf.pki("trust", "root-ca.pem"), x509_cert=cert, expect_references=3)
        raise AssertionError("signxml accepted a SigningCertificateV2 of another certificate")
    except AssertionError:
        raise
    except Exception:
        pass
    fixtures["env-xades-wrong-cert.edxml"] = wrong.decode()

    # A countersignature in the ds:Object of the organisation signature, over its SignatureValue.
    inner = template("sig-counter", uri="#value-org", transforms=['<ds:Transform Algorithm="%s"/>' % mf.EXC])
    outer = template("sig-org", transforms=plain, value_id="value-org", obj='<ds:Object Id="object-org">%s</ds:Object>' % inner)
    counter = sign(sign(mf.insert_signature(numbered(base, 8106), outer), "sig-org", ok, oc), "sig-counter", pk, pc)
    assert verify(counter, "sig-org") and verify(counter, "sig-counter")
    fixtures["env-countersigned.edxml"] = counter

    unrelated_inner = template("sig-nested", uri="#note", transforms=['<ds:Transform Algorithm="%s"/>' % mf.EXC])
    unrelated = template("sig-org", transforms=plain, value_id="value-org",
                         obj='<ds:Object Id="object-org"><Note xmlns="urn:truc:test" Id="note">ghi chú</Note>%s</ds:Object>' % unrelated_inner)
    unrelated = run_xmlsec(["--sign", "--privkey-pem", "%s,%s" % (ok, oc), "--node-id", "sig-org", "--id-attr:Id", "Signature",
                            "--id-attr:Id", "Note"], mf.insert_signature(numbered(base, 8107), unrelated))
    unrelated = run_xmlsec(["--sign", "--privkey-pem", "%s,%s" % (pk, pc), "--node-id", "sig-nested", "--id-attr:Id", "Signature",
                            "--id-attr:Id", "Note"], unrelated)
    fixtures["env-nested-unrelated.edxml"] = unrelated

    for name, text in fixtures.items():
        mf.write(name, text.encode("utf-8"))
    print("XAdES / XPath Filter 2.0 / nested fixtures written")


if __name__ == "__main__":
    main()
