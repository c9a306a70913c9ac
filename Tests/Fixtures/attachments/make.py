#!/usr/bin/env python3
"""Makes the attachment fixtures with Python's own zipfile/zlib (an implementation independent of Truc).

  bomb.zip   one entry of 200 MiB of zeros (about 200 KB compressed): ratio and total-size limits
  liar.zip   one entry whose headers declare 1,000 bytes but which inflates to 20 MiB
  nested.zip a small PDF and a text file, as the national library zips files
  corrupt.zip a stored entry changed after its CRC-32 was written
  small.pdf  a minimal one-page PDF
  hostile/   ZIP containers crafted to trap or stall a reader (each must be refused quickly as invalid-zip),
             zip64.zip (a valid ZIP64 archive that must be read), and hostile/*.edxml: the unsigned PDF
             document of ../signatures with its attachment replaced by each hostile ZIP (for the live hub)
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

# --- hostile containers -------------------------------------------------------------------------
import os, base64, re
os.makedirs("hostile", exist_ok=True)
good = open("nested.zip", "rb").read()

def eocd(data):
    return data.rfind(b"PK\x05\x06")

def save(name, data):
    open(os.path.join("hostile", name), "wb").write(bytes(data))

# central directory offset past the end of the archive (ZIPFoundation 0.9.20 traps on this)
d = bytearray(good); struct.pack_into("<I", d, eocd(d) + 16, len(d) + 1000); save("cd-offset-past-end.zip", d)
# central directory size larger than the archive
d = bytearray(good); struct.pack_into("<I", d, eocd(d) + 12, 0x7FFFFFF0); save("cd-size-huge.zip", d)
# entry count that the directory cannot hold
d = bytearray(good); struct.pack_into("<HH", d, eocd(d) + 8, 200, 200); save("entry-count-lies.zip", d)
# a local header offset past the central directory
d = bytearray(good); cd = d.find(b"PK\x01\x02"); struct.pack_into("<I", d, cd + 42, 0x00FFFFFF); save("local-offset-past.zip", d)
# a compressed size running past the central directory
d = bytearray(good); cd = d.find(b"PK\x01\x02"); struct.pack_into("<I", d, cd + 20, 0x7FFFFFFF); save("compressed-size-past.zip", d)
# name length running past the directory
d = bytearray(good); cd = d.find(b"PK\x01\x02"); struct.pack_into("<H", d, cd + 28, 0xFFFF); save("name-length-past.zip", d)
# the archive cut in half, and with its end record only
save("truncated.zip", good[: len(good) // 2])
save("eocd-only.zip", good[eocd(good):])

def raw_zip(name, payload, crc, size, method=8):
    """One entry, written by hand around `payload` (the entry's stored bytes)."""
    n = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(payload), size, len(n), 0) + n
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(payload), size,
                          len(n), 0, 0, 0, 0, 0, 0) + n
    body = local + payload
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(body), 0)
    return body + central + end

content = PDF * 200
# a deflate stream without its final block (sync flush, no Z_FINISH): the reader must stop, not spin
c = zlib.compressobj(9, zlib.DEFLATED, -15)
unfinished = c.compress(content) + c.flush(zlib.Z_SYNC_FLUSH)
save("deflate-no-final-block.zip", raw_zip("van-ban.pdf", unfinished, zlib.crc32(content), len(content)))
# a deflate stream cut short
c = zlib.compressobj(9, zlib.DEFLATED, -15)
whole = c.compress(content) + c.flush()
save("deflate-truncated.zip", raw_zip("van-ban.pdf", whole[: len(whole) // 2], zlib.crc32(content), len(content)))
# garbage where the deflate stream should be
save("deflate-garbage.zip", raw_zip("van-ban.pdf", bytes(range(256)) * 4, zlib.crc32(content), len(content)))
# an unknown compression method, and an encrypted entry
save("method-99.zip", raw_zip("van-ban.pdf", whole, zlib.crc32(content), len(content), method=99))
d = bytearray(raw_zip("van-ban.pdf", whole, zlib.crc32(content), len(content)))
struct.pack_into("<H", d, 6, 1); cd = d.find(b"PK\x01\x02"); struct.pack_into("<H", d, cd + 8, 1); save("encrypted.zip", d)

# a valid ZIP64 archive (ZIP64 end records and extra fields): read like any other
with zipfile.ZipFile("hostile/zip64.zip", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("van-ban.pdf", "w", force_zip64=True) as f:
        f.write(PDF)

# a signed PDF changed after signing whose /ByteRange was then made unreadable (a broken signature, not "no
# signature"), zipped like the national library does
pdf = open("../signatures/pdf-tampered.pdf", "rb").read()
at = pdf.find(b"/ByteRange")
assert at > 0
broken = pdf.replace(b"/ByteRange [0 ", b"/ByteRange [O ")
assert broken.count(b"/ByteRange [O ") == pdf.count(b"/ByteRange")
with zipfile.ZipFile("hostile/pdf-byterange-broken.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("van-ban.pdf", broken)

# documents carrying each one, for the live hub and truc verify
template = open("../signatures/pdf-unsigned.edxml", encoding="utf-8").read()
for name in sorted(os.listdir("hostile")):
    if not name.endswith(".zip"):
        continue
    encoded = base64.b64encode(open(os.path.join("hostile", name), "rb").read()).decode()
    doc = re.sub(r"(<edXML:ContentTransferEncoded[^>]*>)[^<]*(</edXML:ContentTransferEncoded>)",
                 lambda m: m.group(1) + encoded + m.group(2), template, count=1)
    doc = doc.replace("7816/VPCP-TTĐT", "7816/VPCP-" + name[:-4].upper())
    open(os.path.join("hostile", name[:-4] + ".edxml"), "w", encoding="utf-8").write(doc)
print("ok")
