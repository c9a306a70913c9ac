#!/usr/bin/env python3
"""An independent check of Truc's RFC 9162 Merkle tree (Tests/TrucLogTests): reads a JSON file of cases that the
Swift code produced and checks each with code that is not Truc's —

  roots:        {"leaves": [hex...], "roots": [hex of the root at size 1..n]}  against pymerkle (InmemoryTree,
                sha256, the RFC 9162 prefixes) at every size;
  inclusion:    {"leaf": hex, "index", "size", "path": [hex], "root": hex}       with RFC 9162 §2.1.3.2 written here;
  consistency:  {"old", "new", "oldRoot", "newRoot", "path": [hex]}              with RFC 9162 §2.1.4.2 written here.

Usage: rfc9162_check.py CASES.json   -> prints "ok N" or the first disagreement, exit 1."""
import hashlib, json, sys
import warnings

warnings.filterwarnings("ignore")
from pymerkle import InmemoryTree


def h(b):
    return hashlib.sha256(b).digest()


def node(l, r):
    return h(b"\x01" + l + r)


def skip_right_edge(fn, sn):
    """RFC 9162: if LSB(fn) is not set, right-shift fn and sn until LSB(fn) is set or fn is 0."""
    if not fn & 1:
        while True:
            fn >>= 1
            sn >>= 1
            if fn & 1 or fn == 0:
                break
    return fn, sn


def verify_inclusion(leaf, index, size, path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            fn, sn = skip_right_edge(fn, sn)
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old, new, old_root, new_root, path):
    if old == new:
        return not path and old_root == new_root
    if not path:
        return False
    if old & (old - 1) == 0:
        path = [old_root] + path
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            fn, sn = skip_right_edge(fn, sn)
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


def main(path):
    cases = json.load(open(path))
    tree = InmemoryTree(algorithm="sha256")
    for i, leaf in enumerate(cases["roots"]["leaves"]):
        tree.append_entry(bytes.fromhex(leaf))
        expected = tree.get_state(i + 1).hex()
        if cases["roots"]["roots"][i] != expected:
            print(f"root at size {i + 1}: Truc {cases['roots']['roots'][i]}, pymerkle {expected}")
            return 1
    n = len(cases["roots"]["roots"])
    for c in cases["inclusion"]:
        ok = verify_inclusion(bytes.fromhex(c["leaf"]), c["index"], c["size"], [bytes.fromhex(p) for p in c["path"]], bytes.fromhex(c["root"]))
        if ok != c.get("valid", True):
            print(f"inclusion {c['index']} in {c['size']}: expected {c.get('valid', True)}, got {ok}")
            return 1
        n += 1
    for c in cases["consistency"]:
        ok = verify_consistency(c["old"], c["new"], bytes.fromhex(c["oldRoot"]), bytes.fromhex(c["newRoot"]), [bytes.fromhex(p) for p in c["path"]])
        if ok != c.get("valid", True):
            print(f"consistency {c['old']} -> {c['new']}: expected {c.get('valid', True)}, got {ok}")
            return 1
        n += 1
    print(f"ok {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
