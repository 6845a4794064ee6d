"""Personal data at rest: AES-256-GCM for the value, HMAC-SHA256 for exact-match lookups.

The ciphertext carries a random 96-bit nonce; the associated data binds it to its purpose
("id_number", "phone", ...), so a value cannot be moved between columns undetected. What a
value looks like masked is ``infra.masking``'s business.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
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
