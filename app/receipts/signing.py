"""The QR payload: what it carries, how it is signed, and how anyone checks it.

Formats (docs/receipts.md is the reference for third-party verifiers)::

    YWR2.<code:8>.<number:10>.<check:6>.<yyyymmdd>.<amount_fen>.<key_id>.<signature>
    YWR1.<same fields>.<signature>

``YWR2`` (the national suite): SM2 over SM3 with the default signer id
``1234567812345678`` (GB/T 32918, GB/T 35276), the DER signature base64url without
padding. ``YWR1`` (before it): Ed25519, 86 characters. Either signs the ASCII bytes
before the last ``.``. Every character is URL-safe, so the QR can carry the payload
inside the public verification link (``…/verify?q=<payload>``) unescaped. Keys rotate by
key id: a payload names the key that signed it, and every key id ever used stays
published, so old receipts keep verifying. A payload whose version does not match its
key's algorithm is a forgery, not a receipt.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from infra.national import Sm2PrivateKey, Sm2PublicKey, spki_pem

VERSION_ED25519 = "YWR1"
VERSION_SM2 = "YWR2"
VERSION = VERSION_SM2
MAX_INPUT = 1024
KEY_ID = re.compile(r"^[a-z0-9]{1,16}$")
_FIELDS = re.compile(
    r"^(?P<version>YWR[12])\.(?P<code>\d{8})\.(?P<number>\d{10})\.(?P<check>[0-9a-z]{6})"
    r"\.(?P<date>\d{8})\.(?P<amount>-?[1-9]\d{0,14})\.(?P<kid>[a-z0-9]{1,16})$"
)
_SIGNATURE = {
    VERSION_ED25519: re.compile(r"^[A-Za-z0-9_-]{86}$"),
    # A DER SM2 signature is 8-72 bytes; a real one 70-72 (94-96 characters).
    VERSION_SM2: re.compile(r"^[A-Za-z0-9_-]{11,96}$"),
}


@dataclass(frozen=True)
class Claim:
    """What a QR says about a receipt (before anyone has checked it)."""

    code: str
    number: int
    check_code: str
    issue_date: date
    amount_fen: int
    key_id: str
    version: str = VERSION_SM2

    @property
    def receipt_no(self) -> str:
        return f"{self.code}{self.number:010d}"

    def message(self) -> bytes:
        return (
            f"{self.version}.{self.code}.{self.number:010d}.{self.check_code}."
            f"{self.issue_date:%Y%m%d}.{self.amount_fen}.{self.key_id}"
        ).encode("ascii")


class Reading(StrEnum):
    GENUINE = "genuine"  # well formed, and the named key's signature holds
    MALFORMED = "malformed"  # not a receipt payload at all
    UNKNOWN_KEY = "unknown_key"  # names a key we never published
    BAD_SIGNATURE = "bad_signature"  # any change to any field, or another key's signature


@dataclass(frozen=True)
class Checked:
    reading: Reading
    claim: Claim | None = None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def extract_payload(scanned: str) -> str:
    """The payload from what a scanner read: the verification link or the bare payload."""
    text = scanned.strip()
    if text.lower().startswith(("http://", "https://")):
        values = parse_qs(urlsplit(text).query).get("q", [])
        return values[0] if values else ""
    return text


def parse_claim(payload: str) -> tuple[Claim, str] | None:
    """The claim and the raw signature text, or None when it is not a payload at all."""
    head, _, signature = payload.rpartition(".")
    match = _FIELDS.match(head)
    if match is None:
        return None
    try:
        issued = date(int(match["date"][:4]), int(match["date"][4:6]), int(match["date"][6:8]))
    except ValueError:
        return None
    claim = Claim(
        code=match["code"],
        number=int(match["number"]),
        check_code=match["check"],
        issue_date=issued,
        amount_fen=int(match["amount"]),
        key_id=match["kid"],
        version=match["version"],
    )
    return claim, signature


class PublicKey(Protocol):
    algorithm: str
    version: str

    def verify(self, signature: bytes, message: bytes) -> bool: ...

    def raw(self) -> bytes: ...

    def pem(self) -> str: ...


@dataclass(frozen=True)
class Ed25519Public:
    key: Ed25519PublicKey
    algorithm: str = "Ed25519"
    version: str = VERSION_ED25519

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()


@dataclass(frozen=True)
class Sm2Public:
    key: Sm2PublicKey
    algorithm: str = "SM2"
    version: str = VERSION_SM2

    def verify(self, signature: bytes, message: bytes) -> bool:
        return self.key.verify(signature, message)

    def raw(self) -> bytes:
        return self.key.point

    def pem(self) -> str:
        return spki_pem(self.key.point)


def public_key_from_raw(raw: bytes) -> PublicKey:
    """32 bytes: a raw Ed25519 key; 65 bytes: an uncompressed SM2 point."""
    if len(raw) == 32:
        return Ed25519Public(Ed25519PublicKey.from_public_bytes(raw))
    return Sm2Public(Sm2PublicKey(raw))


@dataclass(frozen=True)
class KeyRing:
    """The current signing key and every public key ever used, by key id."""

    signing_kid: str
    signing_key: Ed25519PrivateKey | Sm2PrivateKey
    public_keys: Mapping[str, PublicKey]

    @classmethod
    def from_seeds(cls, signing_kid: str, seed: bytes, retired: Mapping[str, bytes]) -> KeyRing:
        """Ed25519 signing (YWR1): ``seed`` is the 32-byte private key; ``retired`` maps key
        ids to raw public keys (32-byte Ed25519, 65-byte SM2) no longer used for signing."""
        private = Ed25519PrivateKey.from_private_bytes(seed)
        public = {kid: public_key_from_raw(raw) for kid, raw in retired.items()}
        public[signing_kid] = Ed25519Public(private.public_key())
        return cls(signing_kid, private, public)

    @classmethod
    def national(
        cls,
        signing_kid: str,
        signer: Sm2PrivateKey,
        *,
        ed25519: tuple[str, bytes] | None,
        retired: Mapping[str, bytes],
    ) -> KeyRing:
        """SM2 signing (YWR2); the Ed25519 key that signed before is published as retired."""
        public = {kid: public_key_from_raw(raw) for kid, raw in retired.items()}
        if ed25519 is not None and ed25519[0]:
            old = Ed25519PrivateKey.from_private_bytes(ed25519[1]).public_key()
            public[ed25519[0]] = Ed25519Public(old)
        if signing_kid in public:
            raise ValueError(f"receipt key id {signing_kid!r} is both current and retired")
        public[signing_kid] = Sm2Public(signer.public)
        return cls(signing_kid, signer, public)

    @property
    def algorithm(self) -> str:
        return self.public_keys[self.signing_kid].algorithm

    def sign(self, claim: Claim) -> str:
        """The payload in the signer's version (YWR2 for SM2, YWR1 for Ed25519)."""
        if claim.key_id != self.signing_kid:
            raise ValueError("a claim is signed by the key it names")
        claim = replace(claim, version=self.public_keys[self.signing_kid].version)
        message = claim.message()
        return f"{message.decode('ascii')}.{_b64url(self.signing_key.sign(message))}"

    def check(self, scanned: str) -> Checked:
        """Offline check: no database, just the published keys. Never raises on bad input."""
        if len(scanned) > MAX_INPUT:
            return Checked(Reading.MALFORMED)
        parsed = parse_claim(extract_payload(scanned))
        if parsed is None:
            return Checked(Reading.MALFORMED)
        claim, signature = parsed
        key = self.public_keys.get(claim.key_id)
        if key is None:
            return Checked(Reading.UNKNOWN_KEY, claim)
        if key.version != claim.version or not _SIGNATURE[claim.version].match(signature):
            return Checked(Reading.BAD_SIGNATURE, claim)
        try:
            raw = base64.urlsafe_b64decode(signature + "==")
        except (binascii.Error, ValueError):
            return Checked(Reading.BAD_SIGNATURE, claim)
        if not key.verify(raw, claim.message()):
            return Checked(Reading.BAD_SIGNATURE, claim)
        return Checked(Reading.GENUINE, claim)

    def published(self) -> list[dict[str, str]]:
        """Every public key, current first: raw base64 and PEM (SubjectPublicKeyInfo)."""
        ordered = [self.signing_kid, *sorted(k for k in self.public_keys if k != self.signing_kid)]
        return [
            {
                "key_id": kid,
                "algorithm": self.public_keys[kid].algorithm,
                "status": "current" if kid == self.signing_kid else "retired",
                "public_key": base64.b64encode(self.public_keys[kid].raw()).decode(),
                "pem": self.public_keys[kid].pem(),
            }
            for kid in ordered
        ]
