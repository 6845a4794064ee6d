"""The check-in code drawn as a QR image for the institution's scanner.

A phone screen is read at arm's length, often with glare: medium error correction and a
large module size keep it readable. Called off the event loop (a few ms of CPU).
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants


def check_in_png(code: str, box_size: int = 8) -> bytes:
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4
    )
    qr.add_data(code)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out, format="PNG")
    return out.getvalue()
