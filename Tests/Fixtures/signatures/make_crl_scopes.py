#!/usr/bin/env python3
"""Trust directories whose CRL for the demo signing CA has a scope, made at test time with Python
cryptography from the committed demo CA key (Certs/demo):

  OUT/user-only/   its CRL has an issuingDistributionPoint onlyContainsUserCerts: it covers the signers;
  OUT/ca-only/     onlyContainsCACerts: it says nothing about a signer (end-entity) certificate;
  OUT/delta-only/  a delta CRL (deltaCRLIndicator) and no base: the changes since a base, not a complete list.
  OUT/delta-stale-base/  a complete CRL (number 6) past its nextUpdate and a current delta over it (number 7, base 6):
                   together a current list (RFC 5280 §5.2.4, §6.3.3).
  OUT/delta-wrong-base/  the same stale complete CRL numbered 5: the delta (base 6) does not apply to it.

Each directory also holds the demo root, the signing CA and the root's CRL.

Usage: python3 make_crl_scopes.py OUT_DIR
       python3 make_crl_scopes.py --other-point CA_CERT CA_KEY OUT_FILE
         (a CRL of that CA whose issuingDistributionPoint names http://127.0.0.1:9/other.crl: for a certificate
         whose own distribution point is another, it is not the CRL of its scope)"""
import datetime, os, shutil, sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID  # noqa: F401

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEMO = os.path.join(REPO, "Certs", "demo")


def main(out):
    key = serialization.load_pem_private_key(open(os.path.join(DEMO, "ca/intermediate/intermediate-ca.key"), "rb").read(), password=None)
    ca = x509.load_pem_x509_certificate(open(os.path.join(DEMO, "ca/intermediate/intermediate-ca.pem"), "rb").read())
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    def crl(*extensions, number=7, stale=False):
        last, nxt = (now - datetime.timedelta(days=10), now - datetime.timedelta(days=1)) if stale else \
            (now - datetime.timedelta(hours=1), now + datetime.timedelta(days=30))
        builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(last)
                   .next_update(nxt).add_extension(x509.CRLNumber(number), critical=False))
        for extension in extensions:
            builder = builder.add_extension(extension, critical=True)
        return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def idp(user=False, ca_only=False, points=None):
        return x509.IssuingDistributionPoint(
            full_name=[x509.UniformResourceIdentifier(p) for p in points] if points else None, relative_name=None,
            only_contains_user_certs=user, only_contains_ca_certs=ca_only, only_some_reasons=None, indirect_crl=False,
            only_contains_attribute_certs=False)

    scopes = {
        "user-only": crl(idp(user=True)),
        "ca-only": crl(idp(ca_only=True)),
        "delta-only": crl(x509.DeltaCRLIndicator(6)),
        "delta-stale-base": [crl(x509.DeltaCRLIndicator(6)), crl(number=6, stale=True)],
        "delta-wrong-base": [crl(x509.DeltaCRLIndicator(6)), crl(number=5, stale=True)],
    }
    for name, pem in scopes.items():
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        for f in ["root-ca.pem", "intermediate-ca.pem", "root.crl.pem"]:
            shutil.copy(os.path.join(DEMO, "trust", f), os.path.join(folder, f))
        for i, one in enumerate(pem if isinstance(pem, list) else [pem]):
            with open(os.path.join(folder, "intermediate.crl.pem" if i == 0 else f"intermediate-{i}.crl.pem"), "wb") as f:
                f.write(one)


def other_point(ca_cert, ca_key, out_file):
    key = serialization.load_pem_private_key(open(ca_key, "rb").read(), password=None)
    ca = x509.load_pem_x509_certificate(open(ca_cert, "rb").read())
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    point = x509.IssuingDistributionPoint(full_name=[x509.UniformResourceIdentifier("http://127.0.0.1:9/other.crl")], relative_name=None,
                                          only_contains_user_certs=False, only_contains_ca_certs=False, only_some_reasons=None,
                                          indirect_crl=False, only_contains_attribute_certs=False)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(now - datetime.timedelta(hours=1))
           .next_update(now + datetime.timedelta(days=30)).add_extension(point, critical=True).sign(key, hashes.SHA256()))
    with open(out_file, "wb") as f:
        f.write(crl.public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    if sys.argv[1] == "--other-point":
        other_point(*sys.argv[2:5])
    else:
        main(sys.argv[1])
