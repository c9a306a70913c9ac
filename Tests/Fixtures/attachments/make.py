#!/usr/bin/env python3
"""Makes the attachment fixtures with Python's own zipfile/zlib (an implementation independent of Truc).

  bomb.zip   one entry of 200 MiB of zeros (about 200 KB compressed): ratio and total-size limits
  liar.zip   one entry whose headers declare 1,000 bytes but which inflates to 20 MiB
  nested.zip a small PDF and a text file, as the national library zips files
  corrupt.zip a stored entry changed after its CRC-32 was written
  small.pdf  a minimal one-page PDF
Run from this folder; the outputs are committed.
"""
import struct, zipfile, zlib, io

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
open("small.pdf", "wb").write(PDF)

with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open("zeros.pdf", "w", force_zip64=True) as f:
        chunk = bytes(1 << 20)
        for _ in range(200):
            f.write(chunk)

with zipfile.ZipFile("nested.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("van-ban.pdf", PDF)
    z.writestr("ghi-chu.txt", "Tiếng Việt\n".encode())

# corrupt.zip: a stored entry with one byte changed after the CRC was written.
with zipfile.ZipFile("corrupt.zip", "w", zipfile.ZIP_STORED) as z:
    z.writestr("van-ban.pdf", PDF)
data = bytearray(open("corrupt.zip", "rb").read())
at = data.find(b"/MediaBox")
data[at + 1] ^= 0x20
open("corrupt.zip", "wb").write(bytes(data))

# liar.zip: write a real archive, then rewrite the uncompressed size fields to 1000.
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("liar.bin", bytes(20 << 20))
data = bytearray(buf.getvalue())
real = 20 << 20
# local file header: uncompressed size at offset 22
assert data[0:4] == b"PK\x03\x04"
struct.pack_into("<I", data, 22, 1000)
cd = data.find(b"PK\x01\x02")
struct.pack_into("<I", data, cd + 24, 1000)
open("liar.zip", "wb").write(bytes(data))
print("ok")
