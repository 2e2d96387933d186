"""check_png.py FILE WIDTH HEIGHT: FILE is a PNG of that size whose chunks
all have correct CRCs and whose image data decompresses to the right size
(8-bit RGB, one filter byte per row). Exits 1 with a message otherwise."""
import struct
import sys
import zlib

path, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("not a PNG: bad signature")
pos, chunks, idat = 8, [], b""
while pos < len(data):
    (length,) = struct.unpack(">I", data[pos:pos + 4])
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
    (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
    if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
        sys.exit("bad CRC in chunk %r" % kind)
    chunks.append(kind)
    if kind == b"IHDR":
        w, h, depth, color = struct.unpack(">IIBB", body[:10])
        if (w, h, depth, color) != (width, height, 8, 2):
            sys.exit("IHDR says %dx%d depth %d color %d" % (w, h, depth, color))
    if kind == b"IDAT":
        idat += body
    pos += 12 + length
if chunks[0] != b"IHDR" or chunks[-1] != b"IEND" or b"IDAT" not in chunks:
    sys.exit("chunks out of order: %r" % chunks)
raw = zlib.decompress(idat)
if len(raw) != height * (1 + 3 * width):
    sys.exit("image data has %d bytes, want %d" % (len(raw), height * (1 + 3 * width)))
stride = 1 + 3 * width
colors = set(raw[r * stride + 1 + 3 * c:r * stride + 4 + 3 * c]
             for r in range(0, height, 7) for c in range(0, width, 5))
if len(colors) < 3:
    sys.exit("the image is nearly blank (%d colors sampled)" % len(colors))
print("png ok: %dx%d" % (width, height))
