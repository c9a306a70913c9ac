#!/usr/bin/env python3
"""Writes Tests/Fuzz/crashers/pdf/number-*.pdf: a document pyHanko signed (pdf-both.pdf), followed by an
incremental update whose numbers do not fit (issue 23): a /Length of Int.max, an xref stream /Index and a
classic subsection starting at Int.max, an object-stream offset of Int.max, xref-stream fields that read as
negative offsets, 4 x 4,000,000 declared entries. Before the checked arithmetic each trapped (SIGILL) or
filled memory; the fuzz target replays them on every `swift test`, and PDFHostileNumberTests asserts that the
signature they follow is not valid. Run from the repository root."""
import os, zlib

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
    for name, data in files.items():
        with open(os.path.join(OUT, name + ".pdf"), "wb") as f:
            f.write(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
