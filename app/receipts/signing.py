"""The QR payload: what it carries, how it is signed (Ed25519), and how anyone checks it.

Format (docs/receipts.md is the reference for third-party verifiers)::

    YWR1.<code:8>.<number:10>.<check:6>.<yyyymmdd>.<amount_fen>.<key_id>.<signature>

The signature is Ed25519 over the ASCII bytes before the last ``.``, encoded base64url
without padding (86 characters). Every character is URL-safe, so the QR can carry the
payload inside the public verification link (``…/verify?q=<payload>``) unescaped.
Keys rotate by key id: a payload names the key that signed it, and every key id ever used
stays published, so old receipts keep verifying.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = "YWR1"
MAX_INPUT = 1024
KEY_ID = re.compile(r"^[a-z0-9]{1,16}$")
_FIELDS = re.compile(
    r"^YWR1\.(?P<code>\d{8})\.(?P<number>\d{10})\.(?P<check>[0-9a-z]{6})\.(?P<date>\d{8})"
    r"\.(?P<amount>-?[1-9]\d{0,14})\.(?P<kid>[a-z0-9]{1,16})$"
)
_SIGNATURE = re.compile(r"^[A-Za-z0-9_-]{86}$")


@dataclass(frozen=True)
class Claim:
    """What a QR says about a receipt (before anyone has checked it)."""

    code: str
    number: int
    check_code: str
    issue_date: date
    amount_fen: int
    key_id: str

    @property
    def receipt_no(self) -> str:
        return f"{self.code}{self.number:010d}"

    def message(self) -> bytes:
        return (
            f"{VERSION}.{self.code}.{self.number:010d}.{self.check_code}."
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
    )
    return claim, signature


@dataclass(frozen=True)
class KeyRing:
    """The current signing key and every public key ever used, by key id."""

    signing_kid: str
    signing_key: Ed25519PrivateKey
    public_keys: Mapping[str, Ed25519PublicKey]

    @classmethod
    def from_seeds(cls, signing_kid: str, seed: bytes, retired: Mapping[str, bytes]) -> KeyRing:
        """``seed`` is the 32-byte Ed25519 private key; ``retired`` maps key ids to raw
        32-byte public keys of keys no longer used for signing."""
        private = Ed25519PrivateKey.from_private_bytes(seed)
        public = {kid: Ed25519PublicKey.from_public_bytes(raw) for kid, raw in retired.items()}
        public[signing_kid] = private.public_key()
        return cls(signing_kid, private, public)

    def sign(self, claim: Claim) -> str:
        if claim.key_id != self.signing_kid:
            raise ValueError("a claim is signed by the key it names")
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
        if not _SIGNATURE.match(signature):
            return Checked(Reading.BAD_SIGNATURE, claim)
        try:
            key.verify(base64.urlsafe_b64decode(signature + "=="), claim.message())
        except (InvalidSignature, binascii.Error, ValueError):
            return Checked(Reading.BAD_SIGNATURE, claim)
        return Checked(Reading.GENUINE, claim)

    def published(self) -> list[dict[str, str]]:
        """Every public key, current first: raw base64 and PEM (SubjectPublicKeyInfo)."""
        ordered = [self.signing_kid, *sorted(k for k in self.public_keys if k != self.signing_kid)]
        return [
            {
                "key_id": kid,
                "algorithm": "Ed25519",
                "status": "current" if kid == self.signing_kid else "retired",
                "public_key": base64.b64encode(
                    self.public_keys[kid].public_bytes(
                        serialization.Encoding.Raw, serialization.PublicFormat.Raw
                    )
                ).decode(),
                "pem": self.public_keys[kid]
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode(),
            }
            for kid in ordered
        ]
