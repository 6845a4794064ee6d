"""Personal data at rest: AES-256-GCM for the value, HMAC-SHA256 for exact-match lookups.

The ciphertext carries a random 96-bit nonce; the associated data binds it to its purpose
("id_number", "phone", ...), so a value cannot be moved between columns undetected. Masks
follow the usual Chinese public-service forms: ``330106********123X`` and ``138****8000``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class PiiDecryptError(ValueError):
    pass


@dataclass(frozen=True)
class PiiVault:
    key: bytes
    hash_key: bytes

    def encrypt(self, purpose: str, value: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.key).encrypt(nonce, value.encode(), purpose.encode())
        return "v1:" + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, purpose: str, token: str) -> str:
        if not token.startswith("v1:"):
            raise PiiDecryptError("unknown ciphertext version")
        raw = base64.b64decode(token[3:])
        try:
            return AESGCM(self.key).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
        except InvalidTag as exc:
            raise PiiDecryptError("ciphertext does not open with this key") from exc

    def lookup_hash(self, purpose: str, value: str) -> str:
        mac = hmac.new(self.hash_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
        return mac.hexdigest()


def mask_id_number(value: str) -> str:
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: keep the surname's first character only."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def redact(text: str) -> str:
    """Mask anything that looks like an ID number or a mobile number in free text (logs)."""
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)
