#!/usr/bin/env python3
"""Writes Tests/Fuzz/crashers/pdf/number-*.pdf: a document pyHanko signed (pdf-both.pdf), followed by an
incremental update whose numbers do not fit: a /Length of Int.max, an xref stream /Index and a
classic subsection starting at Int.max, an object-stream offset of Int.max, xref-stream fields that read as
negative offsets, 4 x 4,000,000 declared entries. Before the checked arithmetic each trapped (SIGILL) or
filled memory; the fuzz target replays them on every `swift test`, and PDFHostileNumberTests asserts that the
signature they follow is not valid. Run from the repository root."""
import os, re, zlib

ROOT = os.path.dirname(os.path.abspath(__file__))
BASE = open(os.path.join(ROOT, "..", "Fixtures", "signatures", "pdf-both.pdf"), "rb").read()
OUT = os.path.join(ROOT, "crashers", "pdf")
MAX = 9223372036854775807


def prev():
    return int(BASE.rsplit(b"startxref", 1)[1].split()[0])


def with_table(objects, table):
    out = bytearray(BASE if BASE.endswith(b"\n") else BASE + b"\n")
    offsets = []
    for body in objects:
        offsets.append(len(out))
        out += body
    xref = len(out)
    out += table(offsets)
    out += b"trailer\n<< /Size 10 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (prev(), xref)
    return bytes(out)


def with_stream(data, dictionary, extra=b""):
    out = bytearray(BASE if BASE.endswith(b"\n") else BASE + b"\n")
    out += extra
    xref = len(out)
    packed = zlib.compress(data)
    out += b"30 0 obj\n<< /Type /XRef /Size 31 /Root 1 0 R /Prev %d /Filter /FlateDecode /Length %d %s >>\nstream\n" % (prev(), len(packed), dictionary)
    out += packed + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {}
    files["number-length-max"] = with_table([b"9 0 obj\n<< /Length %d >>\nstream\nabc\nendstream\nendobj\n" % MAX],
                                            lambda o: b"xref\n9 1\n%010d 00000 n \n" % o[0])
    files["number-subsection-max"] = with_table([], lambda o: b"xref\n%d 2\n0000000010 00000 n \n0000000010 00000 n \n" % MAX)
    files["number-index-max"] = with_stream(b"\x01\x00\x10\x01\x00\x10", b"/W [1 1 1] /Index [%d 2]" % MAX)
    files["number-negative-offset"] = with_stream(b"\x01" + b"\xff" * 8 + b"\x00", b"/W [1 8 1] /Index [4 1]")
    files["number-declared-millions"] = with_stream(b"\x01" * 16_000_000, b"/W [0 0 1] /Index [0 4000000 4000000 4000000 8000000 4000000 12000000 4000000]")
    header = b"4 %d " % MAX
    objstm = b"31 0 obj\n<< /Type /ObjStm /N 1 /First %d /Length %d >>\nstream\n" % (len(header), len(header) + 8) + header + b"<< /A 1 >>\nendstream\nendobj\n"
    # object 4 (the page's content) compressed in object stream 31, whose header puts it at Int.max
    at = len(BASE if BASE.endswith(b"\n") else BASE + b"\n")
    files["number-objstm-offset-max"] = with_stream(b"\x02\x00\x1f\x00" + b"\x01" + at.to_bytes(2, "big") + b"\x00", b"/W [1 2 1] /Index [4 1 31 1]", extra=objstm)
    # a DSS listing 768 objects of one object stream that inflates to 16 MiB: read once, not once per item
    numbers = list(range(1000, 1768))
    header = b" ".join(b"%d %d" % (n, i * 3) for i, n in enumerate(numbers)) + b" "
    body = b"".join(b"[] " for _ in numbers)
    payload = header + body + b" " * ((16 << 20) - 1024 - len(header) - len(body))
    packed = zlib.compress(payload, 9)
    base = BASE if BASE.endswith(b"\n") else BASE + b"\n"
    out = bytearray(base)
    offsets = {}
    root = re.search(rb"/Root (\d+) 0 R", BASE).group(1)
    catalog = re.findall(rb"\n%s 0 obj\s*(<<.*?>>)\s*endobj" % root, BASE, re.S)[-1]
    offsets[int(root)] = len(out)
    out += b"%s 0 obj\n" % root + catalog[:-2] + b" /DSS 900 0 R >>\nendobj\n"
    offsets[900] = len(out)
    out += b"900 0 obj\n<< /Type /DSS /Certs [" + b" ".join(b"%d 0 R" % n for n in numbers) + b"] >>\nendobj\n"
    offsets[950] = len(out)
    out += b"950 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (len(numbers), len(header), len(packed)) + packed + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = b""
    index = []
    for n in sorted(offsets):
        rows += b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00"
        index += [n, 1]
    for i, n in enumerate(numbers):
        rows += b"\x02" + (950).to_bytes(4, "big") + i.to_bytes(2, "big")
    index += [numbers[0], len(numbers)]
    offsets_row = zlib.compress(rows + b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00")
    index += [1999, 1]
    out += (b"1999 0 obj\n<< /Type /XRef /Size 2000 /Root %s 0 R /Prev %d /W [1 4 2] /Index [%s] /Filter /FlateDecode /Length %d >>\nstream\n"
            % (root, prev(), b" ".join(b"%d" % v for v in index), len(offsets_row)) + offsets_row + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    files["bomb-dss-objstm"] = bytes(out)
    for name, data in files.items():
        with open(os.path.join(OUT, name + ".pdf"), "wb") as f:
            f.write(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
