"""Personal data at rest: authenticated encryption under versioned keys, keyed hashes
for exact-match lookups.

A sealed value is ``<key_id>:<base64(nonce || ciphertext || tag)>``: the key id names the
key (and so the algorithm) that sealed it, so keys rotate without a flag day. The
national suite seals with SM4-GCM and hashes with HMAC-SM3; the international suite
(AES-256-GCM under key id ``v1``, HMAC-SHA256) stays readable for data written before.
The associated data binds a value to its purpose ("id_number", "phone", ...), so a value
cannot be moved between columns undetected. A value under a key id this vault does not
hold is refused with the key id named, never opened as garbage.

Lookups: writes use the current lookup key; reads ask for every hash the vault can make
(``lookup_hashes``), so a row is found whether or not ``yiwang crypto rotate`` has reached
it yet. What a value looks like masked is ``infra.masking``'s business.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infra.national import CryptoError, hmac_sm3, sm4_gcm_open, sm4_gcm_seal

KEY_ID = re.compile(r"^[a-z0-9]{1,16}$")
NONCE_BYTES = 12
BLOB_MAGIC = b"YW"
SealAlgorithm = Literal["SM4-GCM", "AES-256-GCM"]
HashAlgorithm = Literal["HMAC-SM3", "HMAC-SHA256"]


class PiiDecryptError(ValueError):
    pass


class PiiUnknownKey(PiiDecryptError):
    """The value names a key this deployment does not hold (never configured, or retired
    before every value under it was rotated)."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"personal data sealed under unknown or retired key id {key_id!r}")
        self.key_id = key_id


@dataclass(frozen=True)
class DataKey:
    key_id: str
    algorithm: SealAlgorithm
    secret: bytes

    def __post_init__(self) -> None:
        if not KEY_ID.match(self.key_id):
            raise ValueError("a key id is 1-16 of a-z, 0-9")
        size = 16 if self.algorithm == "SM4-GCM" else 32
        if len(self.secret) != size:
            raise ValueError(f"a {self.algorithm} key is {size} bytes")

    def seal(self, aad: bytes, plaintext: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        if self.algorithm == "SM4-GCM":
            return nonce + sm4_gcm_seal(self.secret, nonce, aad, plaintext)
        return nonce + AESGCM(self.secret).encrypt(nonce, plaintext, aad)

    def open(self, aad: bytes, raw: bytes) -> bytes:
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        try:
            if self.algorithm == "SM4-GCM":
                return sm4_gcm_open(self.secret, nonce, aad, sealed)
            return AESGCM(self.secret).decrypt(nonce, sealed, aad)
        except (InvalidTag, CryptoError, ValueError) as exc:
            raise PiiDecryptError(f"ciphertext does not open with key {self.key_id!r}") from exc


@dataclass(frozen=True)
class LookupKey:
    key_id: str
    algorithm: HashAlgorithm
    secret: bytes

    def digest(self, message: bytes) -> str:
        if self.algorithm == "HMAC-SM3":
            return hmac_sm3(self.secret, message).hex()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PiiVault:
    """``data_keys`` and ``lookup_keys`` are current first; the rest are still readable."""

    data_keys: tuple[DataKey, ...]
    lookup_keys: tuple[LookupKey, ...]

    def __post_init__(self) -> None:
        if not self.data_keys or not self.lookup_keys:
            raise ValueError("a vault needs a current data key and a current lookup key")
        ids = [k.key_id for k in self.data_keys]
        if len(set(ids)) != len(ids):
            raise ValueError("data key ids must be distinct")

    @classmethod
    def international(cls, key: bytes, hash_key: bytes) -> PiiVault:
        """AES-256-GCM (key id v1) and HMAC-SHA256: the suite before national crypto."""
        return cls(
            (DataKey("v1", "AES-256-GCM", key),), (LookupKey("h1", "HMAC-SHA256", hash_key),)
        )

    @property
    def current(self) -> DataKey:
        return self.data_keys[0]

    def encrypt(self, purpose: str, value: str) -> str:
        raw = self.current.seal(purpose.encode(), value.encode())
        return f"{self.current.key_id}:{base64.b64encode(raw).decode()}"

    def key_id_of(self, token: str) -> str:
        key_id, sep, _ = token.partition(":")
        if not sep or not KEY_ID.match(key_id):
            raise PiiDecryptError("not a sealed value")
        return key_id

    def is_current(self, token: str) -> bool:
        return token.startswith(self.current.key_id + ":")

    def decrypt(self, purpose: str, token: str) -> str:
        key_id = self.key_id_of(token)
        key = next((k for k in self.data_keys if k.key_id == key_id), None)
        if key is None:
            raise PiiUnknownKey(key_id)
        try:
            raw = base64.b64decode(token[len(key_id) + 1 :], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PiiDecryptError("sealed value is not base64") from exc
        return key.open(purpose.encode(), raw).decode()

    def key(self, key_id: str) -> DataKey | None:
        return next((k for k in self.data_keys if k.key_id == key_id), None)

    def seal_bytes(self, aad: bytes, data: bytes) -> bytes:
        """Files (sealed PDFs, uploaded materials): ``YW || len || key_id || sealed``."""
        key_id = self.current.key_id.encode()
        return BLOB_MAGIC + bytes([len(key_id)]) + key_id + self.current.seal(aad, data)

    def blob_is_current(self, blob: bytes) -> bool:
        key_id = self.current.key_id.encode()
        return blob.startswith(BLOB_MAGIC + bytes([len(key_id)]) + key_id)

    def open_bytes(self, aad: bytes, blob: bytes, legacy: DataKey | None = None) -> bytes:
        """``legacy`` opens blobs sealed before key ids existed (``nonce || ciphertext``);
        such a blob may start with the magic by chance, so a failed open falls back to it."""
        if blob.startswith(BLOB_MAGIC) and len(blob) > 3:
            end = 3 + blob[2]
            key_id = blob[3:end].decode("ascii", "replace")
            key = self.key(key_id)
            if key is None and legacy is None:
                raise PiiUnknownKey(key_id)
            if key is not None:
                try:
                    return key.open(aad, blob[end:])
                except PiiDecryptError:
                    if legacy is None:
                        raise
            assert legacy is not None
            try:
                return legacy.open(aad, blob)
            except PiiDecryptError:
                if key is None:
                    raise PiiUnknownKey(key_id) from None
                raise
        if legacy is None:
            raise PiiDecryptError("not a sealed file")
        return legacy.open(aad, blob)

    def lookup_hash(self, purpose: str, value: str) -> str:
        """The hash a write stores: under the current lookup key."""
        return self.lookup_keys[0].digest(f"{purpose}\x00{value}".encode())

    def lookup_hashes(self, purpose: str, value: str) -> list[str]:
        """Every hash a stored row may carry for this value (current first): for reads."""
        message = f"{purpose}\x00{value}".encode()
        return [k.digest(message) for k in self.lookup_keys]

