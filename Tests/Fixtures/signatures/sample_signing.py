"""The unsigned sample document (pdf-unsigned.edxml) sealed on its envelope by the xmlsec1 CLI, with the
template of docs/signature-template.xml: the one signing step the test-time fixture scripts share."""
import os, subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def xmlsec_sign_sample(out, key_path, cert_paths, output_name, method=None, all_certificates=False):
    """Writes OUT/<output_name>: the sample signed with `key_path`; KeyInfo holds the first certificate of
    `cert_paths` (every one with `all_certificates`); `method` replaces the template's rsa-sha256."""
    template = open(os.path.join(REPO, "docs/signature-template.xml"), encoding="utf-8").read()
    if all_certificates:
        template = template.replace("<ds:X509Data><ds:X509Certificate/></ds:X509Data>", "<ds:X509Data/>")
    if method:
        template = template.replace("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", method)
    text = open(os.path.join(REPO, "Tests/Fixtures/signatures/pdf-unsigned.edxml"), encoding="utf-8").read()
    unsigned = os.path.join(out, output_name + ".unsigned.xml")
    with open(unsigned, "w", encoding="utf-8") as f:
        f.write(text.replace("</edXML:edXMLHeader>", template + "</edXML:edXMLHeader>"))
    subprocess.run(["xmlsec1", "--sign", "--privkey-pem", ",".join([key_path] + list(cert_paths)), "--output", os.path.join(out, output_name), unsigned],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return os.path.join(out, output_name)
