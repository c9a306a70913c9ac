#!/usr/bin/env python3
"""Checks a Truc evidence-log checkpoint and proofs the way an auditor would, with code that is not Truc's:

  the C2SP signed note: the verifier key "name+keyid+base64(0x01||pubkey)", the key ID (first 4 bytes of
  SHA-256(name || 0x0A || 0x01 || pubkey)), the Ed25519 signature (Python cryptography) over the note's body;
  an inclusion proof (JSON of GET /v1/log/proof/inclusion): the entry's leaf hash, the audit path to the note's root;
  a consistency proof (JSON of GET /v1/log/proof/consistency) between an older note and the newer one.

Usage: checkpoint_check.py KEY NOTE [--inclusion JSON] [--consistency OLD_NOTE JSON]
Prints "ok SIZE ROOTHEX" or what fails (exit 1)."""
import base64, hashlib, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rfc9162_check import verify_consistency, verify_inclusion  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402


def read_note(text, key):
    name, keyid, raw = key.strip().split("+", 2)
    raw = base64.b64decode(raw)
    assert raw[0] == 1 and len(raw) == 33, "not an Ed25519 verifier key"
    pub = raw[1:]
    expected = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    assert expected.hex() == keyid, "key ID does not match the key"
    body, sigs = text.split("\n\n", 1)
    body += "\n"
    origin, size, root = body.split("\n")[:3]
    for line in sigs.splitlines():
        dash, who, blob = line.split(" ")
        blob = base64.b64decode(blob)
        if dash == "\u2014" and who == name and blob[:4] == expected:
            Ed25519PublicKey.from_public_bytes(pub).verify(blob[4:], body.encode())
            return origin, int(size), base64.b64decode(root)
    raise AssertionError("no signature line of that key")


def main(argv):
    key = open(argv[1]).read()
    origin, size, root = read_note(open(argv[2]).read(), key)
    rest = argv[3:]
    while rest:
        if rest[0] == "--inclusion":
            p = json.load(open(rest[1]))
            leaf = hashlib.sha256(b"\x00" + p["entry"].encode()).digest()
            assert p["size"] == size, "the proof is for another tree size"
            assert verify_inclusion(leaf, p["index"], p["size"], [base64.b64decode(x) for x in p["proof"]], root), "inclusion does not verify"
            rest = rest[2:]
        elif rest[0] == "--consistency":
            _, old_size, old_root = read_note(open(rest[1]).read(), key)
            p = json.load(open(rest[2]))
            assert p["first"] == old_size and p["second"] == size
            assert verify_consistency(old_size, size, old_root, root, [base64.b64decode(x) for x in p["proof"]]), "consistency does not verify"
            rest = rest[3:]
        else:
            raise SystemExit(f"unknown option {rest[0]}")
    print(f"ok {size} {root.hex()} {origin}")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception as e:  # noqa: BLE001
        print(f"FAILED: {e}")
        sys.exit(1)
