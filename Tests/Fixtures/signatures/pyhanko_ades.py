#!/usr/bin/env python3
"""pyHanko's reading of a PDF signature in the terms of ETSI EN 319 102-1, to cross-check Truc's indications.

Runs pyHanko's AdES validation of a signature with time (`ades_with_time_validation`: EN 319 102-1 §5.5; the basic
validation of §5.3 when the signature has no time-stamp) against
a trust directory's certificates (*.pem: self-signed ones are anchors, the others intermediates) and CRLs (*.crl,
*.crl.pem, handed to pyHanko as local knowledge), offline (no fetching), at the current time. (pyHanko's LTA
process asks a proof of existence for locally supplied CRLs that a trust directory cannot give, so it is not
the oracle here; nor for past validation, where its answers on revocation before a time-stamp differ.)

Usage: pyhanko_ades.py PDF TRUST_DIR [FIELD_INDEX]
Prints one JSON object: {"indication": "PASSED|FAILED|INDETERMINATE", "subIndication": "..."|null}
"""
import asyncio, json, os, sys

from asn1crypto import crl as asn1_crl, pem
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESPassed
from pyhanko.sign.validation.ades import ades_basic_validation, ades_with_time_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.policy_decl import (LocalKnowledge, RevinfoOnlineFetchingRule,
                                                 RevocationInfoGatheringSpec, SignatureValidationSpec)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer
from asn1crypto import x509


def load(trust_dir):
    anchors, crls = [], []
    for name in sorted(os.listdir(trust_dir)):
        data = open(os.path.join(trust_dir, name), "rb").read()
        blobs = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        for der in blobs:
            if name.lower().endswith((".crl", ".crl.pem")):
                crls.append(CRLContainer(asn1_crl.CertificateList.load(der)))
            else:
                anchors.append(x509.Certificate.load(der))
    return anchors, crls


async def main(pdf, trust_dir, index):
    anchors, crls = load(trust_dir)
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=[a for a in anchors if a.self_signed != "no"], extra_trust_roots=[]),
        revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
                                                                   intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED)))
    spec = SignatureValidationSpec(
        cert_validation_policy=policy,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
        local_knowledge=LocalKnowledge(known_crls=crls, known_certs=[a for a in anchors if a.self_signed == "no"]))
    with open(pdf, "rb") as f:
        reader = PdfFileReader(f)
        # The document's own validation data (its DSS), as pyHanko's LTV validation reads it.
        try:
            dss = DocumentSecurityStore.read_dss(reader)
            spec.local_knowledge.known_crls.extend(CRLContainer(asn1_crl.CertificateList.load(c.get_object().data)) for c in dss.crls)
            spec.local_knowledge.known_certs.extend(dss.load_certs())
        except NoDSSFoundError:
            pass
        signature = reader.embedded_regular_signatures[index]
        signature.compute_integrity_info()
        result = await ades_with_time_validation(signature.signed_data, spec, raw_digest=signature.compute_digest())
        if result.failure_msg == "No signature timestamp present":
            # Without a signature time-stamp, EN 319 102-1's basic validation (§5.3) is the process that applies.
            result = await ades_basic_validation(signature.signed_data, spec, raw_digest=signature.compute_digest())
    indication = {AdESPassed: "PASSED", AdESFailure: "FAILED", AdESIndeterminate: "INDETERMINATE"}.get(type(result.ades_subindic), None)
    if indication is None:
        indication = "PASSED" if result.ades_subindic is None else type(result.ades_subindic).__name__
    print(json.dumps({"indication": indication, "subIndication": getattr(result.ades_subindic, "name", None)}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0))
