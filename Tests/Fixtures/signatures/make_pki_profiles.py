#!/usr/bin/env python3
"""Signed edXML documents whose signer certificates have the shapes of the real Vietnamese PKI that a
laboratory PKI lacks, made at test time with the openssl and xmlsec1 CLIs (independent tools) under
the committed demo PKI (Certs/demo):

  eku-server-only.edxml      the signer's extendedKeyUsage is serverAuth only: it may not sign documents;
  cross-self-first.edxml     the signer's CA is carried twice: self-signed (an untrusted root of its own) first,
                             then cross-certified by the trusted demo root;
  cross-untrusted-root.edxml the signer's CA is carried as issued by an untrusted root (with that root), and
                             cross-certified by the trusted demo root;
  sha1-ca.edxml              the signer's CA certificate is signed by the demo root with SHA-1 (the signature
                             and the signer certificate use SHA-256);
  personal-p384.edxml        a personal signer (UID=CCCD:…) with an ECDSA P-384 key and the government PKI's policy
                             OID 2.16.704.1.1.1.1.1, signed ecdsa-sha384;
  organisation-rsa4096.edxml an organisation signer (UID=MST:…) with an RSA-4096 key, signed rsa-sha512;
  personal-bhxh.edxml        a personal signer identified only by a social-insurance number (UID=BHXH:…).

Usage: python3 make_pki_profiles.py OUT_DIR"""
import os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sample_signing import xmlsec_sign_sample  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEMO = os.path.join(REPO, "Certs", "demo")
ROOT_KEY, ROOT_CERT = os.path.join(DEMO, "ca/root/root-ca.key"), os.path.join(DEMO, "ca/root/root-ca.pem")
INT_KEY, INT_CERT = os.path.join(DEMO, "ca/intermediate/intermediate-ca.key"), os.path.join(DEMO, "ca/intermediate/intermediate-ca.pem")
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
serial = [1000]


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def path(name):
    return os.path.join(out, name)


def key(name, spec="rsa:2048"):
    kind, size = spec.split(":")
    if kind == "rsa":
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:" + size, "-out", path(name + ".key"))
    else:
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + size, "-out", path(name + ".key"))
    return path(name + ".key")


def extensions(name, text):
    with open(path(name + ".ext"), "w") as f:
        f.write("[ext]\n" + text)
    return path(name + ".ext")


CA_EXT = "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n"
SIGNER_EXT = ("basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
              "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")


def self_signed(name, subject):
    k = key(name)
    run("openssl", "req", "-new", "-x509", "-key", k, "-subj", subject, "-days", "3650", "-utf8", "-sha256",
        "-extensions", "ext", "-config", extensions(name, CA_EXT), "-out", path(name + ".pem"))
    return k, path(name + ".pem")


def issue(name, subject, issuer_key, issuer_cert, ext, subject_key=None, digest="-sha256"):
    k = subject_key or key(name)
    run("openssl", "req", "-new", "-key", k, "-subj", subject, "-utf8", "-config", extensions(name + "-req", "[req]\ndistinguished_name=dn\n[dn]\n"),
        "-out", path(name + ".csr"))
    serial[0] += 1
    run("openssl", "x509", "-req", "-in", path(name + ".csr"), "-CA", issuer_cert, "-CAkey", issuer_key, "-set_serial", str(serial[0]),
        "-days", "1825", digest, "-extfile", extensions(name, ext), "-extensions", "ext", "-out", path(name + ".pem"))
    return k, path(name + ".pem")


def sign(name, signer_key, certificates, method=None):
    """The unsigned sample, sealed on its envelope by xmlsec1 with every certificate of `certificates` in KeyInfo."""
    xmlsec_sign_sample(out, signer_key, certificates, name + ".edxml", method=method, all_certificates=True)


SUBJECT = "/C=VN/O=Văn phòng Chính phủ/CN=Văn phòng Chính phủ/UID=MST:0100100001"

# 1. extendedKeyUsage serverAuth only, issued by the demo intermediate.
k, c = issue("eku-server", SUBJECT, INT_KEY, INT_CERT, SIGNER_EXT + "extendedKeyUsage=serverAuth\n")
sign("eku-server-only", k, [c, INT_CERT])

# 2. A cross-certified CA: the same name and key, self-signed and issued by the trusted demo root.
ca_key, ca_self = self_signed("ca-x-self", "/C=VN/O=Ban Cơ yếu Chính phủ/CN=CA phục vụ các cơ quan Nhà nước G2")
_, ca_cross = issue("ca-x-cross", "/C=VN/O=Ban Cơ yếu Chính phủ/CN=CA phục vụ các cơ quan Nhà nước G2", ROOT_KEY, ROOT_CERT,
                    CA_EXT + "authorityKeyIdentifier=keyid\n", subject_key=ca_key)
k, c = issue("cross-signer", SUBJECT, ca_key, ca_self, SIGNER_EXT + "extendedKeyUsage=clientAuth,emailProtection\n")
sign("cross-self-first", k, [c, ca_self, ca_cross])

# 3. The same CA issued by another, untrusted root (carried along), and cross-certified by the demo root.
r2_key, r2 = self_signed("root-g2", "/C=VN/O=Ban Cơ yếu Chính phủ/CN=RootCA chuyên dùng Chính phủ G2")
_, ca_r2 = issue("ca-x-r2", "/C=VN/O=Ban Cơ yếu Chính phủ/CN=CA phục vụ các cơ quan Nhà nước G2", r2_key, r2,
                 CA_EXT + "authorityKeyIdentifier=keyid\n", subject_key=ca_key)
sign("cross-untrusted-root", k, [c, ca_r2, r2, ca_cross])

# 4. A CA certificate signed with SHA-1 by the trusted demo root.
sha1_ca_key, sha1_ca = issue("ca-sha1", "/C=VN/O=VNPT/CN=VNPT Certification Authority (SHA-1)", ROOT_KEY, ROOT_CERT,
                             CA_EXT + "authorityKeyIdentifier=keyid\n", digest="-sha1")
k, c = issue("sha1-ca-signer", SUBJECT, sha1_ca_key, sha1_ca, SIGNER_EXT + "extendedKeyUsage=clientAuth,emailProtection\n")
sign("sha1-ca", k, [c, sha1_ca])

# 5. Real shapes: ECDSA P-384 with the government policy OID, RSA-4096, a BHXH: identifier.
P384 = "policyIdentifier=2.16.704.1.1.1.1.1\n"
k = key("personal-p384", "ec:secp384r1")
_, c = issue("personal-p384", "/C=VN/O=Ban Cơ yếu Chính phủ/CN=Nguyễn Thị Bình/UID=CCCD:079190000123", INT_KEY, INT_CERT,
             SIGNER_EXT + "extendedKeyUsage=emailProtection,clientAuth\ncertificatePolicies=2.16.704.1.1.1.1.1\n", subject_key=k)
sign("personal-p384", k, [c, INT_CERT], method="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384")
k = key("organisation-rsa4096", "rsa:4096")
_, c = issue("organisation-rsa4096", SUBJECT, INT_KEY, INT_CERT, SIGNER_EXT + "extendedKeyUsage=emailProtection\n", subject_key=k)
sign("organisation-rsa4096", k, [c, INT_CERT], method="http://www.w3.org/2001/04/xmldsig-more#rsa-sha512")
k, c = issue("personal-bhxh", "/C=VN/CN=Trần Văn Cường/UID=BHXH:0123456789", INT_KEY, INT_CERT, SIGNER_EXT + "extendedKeyUsage=emailProtection\n")
sign("personal-bhxh", k, [c, INT_CERT])
