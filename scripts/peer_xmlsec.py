#!/usr/bin/env python3
"""The peer for `truc bench verify`: the xmlsec library (Python binding `xmlsec`, in-process loop)
verifying the same envelope signature against the same demo trust anchors.
Usage: python3 scripts/peer_xmlsec.py FILE SECONDS"""
import os, sys, time
import xmlsec
from lxml import etree

path, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 5
trust = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Certs", "demo", "trust")
data = open(path, "rb").read()
manager = xmlsec.KeysManager()
manager.load_cert(os.path.join(trust, "root-ca.pem"), xmlsec.constants.KeyDataFormatPem, xmlsec.constants.KeyDataTypeTrusted)
manager.load_cert(os.path.join(trust, "intermediate-ca.pem"), xmlsec.constants.KeyDataFormatPem, xmlsec.constants.KeyDataTypeTrusted)
parser = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
count, start = 0, time.perf_counter()
while True:
    root = etree.fromstring(data, parser)
    node = xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature)
    ctx = xmlsec.SignatureContext(manager)
    ctx.verify(node)
    count += 1
    elapsed = time.perf_counter() - start
    if elapsed >= seconds:
        break
print("peer            xmlsec %s (Python binding, in-process): %.1f verifications/s of the envelope signature (%d in %.2f s)"
      % (xmlsec.__version__, count / elapsed, count, elapsed))
