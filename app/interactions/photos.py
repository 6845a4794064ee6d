"""A report's photo as the public sees it: the picture, and none of what the phone added.

Phones write where and when a photo was taken, and by which device, into EXIF/XMP (JPEG
APP1), IPTC (APP13), comments, and PNG text/eXIf chunks. Served through Open311's
``media_url`` to anyone, a photo must carry the picture only, so segments are copied from
an allow-list and everything else is dropped (unknown data included). The EXIF orientation
goes with the rest: a sideways photo stays sideways.
"""

from __future__ import annotations

import struct

# JPEG segments that describe the picture: tables, frame headers, JFIF (APP0), the ICC
# colour profile (APP2) and Adobe's colour transform (APP14).
_JPEG_KEEP = {0xDB, 0xC4, 0xDD, 0xCC, 0xE0, 0xE2, 0xEE} | (set(range(0xC0, 0xD0)) - {0xC4, 0xC8})
_JPEG_SOS, _JPEG_EOI = 0xDA, 0xD9
# PNG chunks needed to draw the picture in its colours; text, time and eXIf are left out.
_PNG_KEEP = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
    b"sBIT", b"bKGD", b"pHYs",
}  # fmt: skip
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _scan_end(data: bytes, start: int) -> int:
    """Where the entropy-coded data after an SOS header ends (the next real marker)."""
    i = start
    while i + 1 < len(data):
        if data[i] == 0xFF and data[i + 1] != 0x00 and not 0xD0 <= data[i + 1] <= 0xD7:
            return i
        i += 1
    return len(data)


def _jpeg(data: bytes) -> bytes:
    out = bytearray(b"\xff\xd8")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            break  # not a marker where one must be: stop, keep what was checked
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == _JPEG_EOI:
            break
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        end = i + 2 + length
        if length < 2 or end > len(data):
            break
        if marker == _JPEG_SOS:
            scan_end = _scan_end(data, end)
            out += data[i:scan_end]
            i = scan_end
            continue
        if marker in _JPEG_KEEP:
            out += data[i:end]
        i = end
    out += b"\xff\xd9"
    return bytes(out)


def _png(data: bytes) -> bytes:
    out = bytearray(_PNG_SIGNATURE)
    i = len(_PNG_SIGNATURE)
    while i + 12 <= len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            break
        if kind in _PNG_KEEP:
            out += data[i:end]
        i = end
        if kind == b"IEND":
            break
    return bytes(out)


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """The photo with only picture-describing segments (JPEG or PNG; others: nothing)."""
    if content_type == "image/jpeg" and data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if content_type == "image/png" and data.startswith(_PNG_SIGNATURE):
        return _png(data)
    return b""
