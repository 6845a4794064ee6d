"""Which crypto suite this deployment runs, and its keys (docs/security.md, docs/operations.md).

``CRYPTO_SUITE=national`` (the default, and the demo's) seals personal data with SM4-GCM,
hashes lookups with HMAC-SM3 and signs receipts with SM2. ``international`` keeps
AES-256-GCM, HMAC-SHA256 and Ed25519 for a deployment whose data predates the national
suite. Either way the other suite's keys, when configured, stay readable, so moving
between them is one ``yiwang crypto rotate`` while the server runs.

Variables (each key entry ``<key_id>:<base64>``, lists comma-separated, current first):

- ``PII_SM4_KEYS``: 16-byte SM4 keys. ``PII_SM3_HASH_KEYS``: 32-byte HMAC-SM3 keys.
- ``RECEIPT_SM2_KEY``: the 32-byte SM2 private key that signs receipts and check-in codes.
- ``PII_KEY`` / ``PII_HASH_KEY`` (key ids ``v1`` / ``h1``) and ``RECEIPT_SIGNING_KEY``
  (Ed25519): the international suite's keys.
- ``AUDIT_MAC_KEY``: 32 bytes, the HMAC-SM3 key of the audit chain.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from infra.national import Sm2PrivateKey, generate_sm2_private
from infra.pii import KEY_ID, DataKey, LookupKey, PiiVault

Suite = Literal["national", "international"]
SUITES: tuple[Suite, ...] = ("national", "international")


class CryptoSettingsError(ValueError):
    """A crypto setting is missing or malformed; the message names the variable."""


def _entries(env: Mapping[str, str], name: str, size: int) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for item in filter(None, (part.strip() for part in env.get(name, "").split(","))):
        key_id, _, encoded = item.partition(":")
        if not KEY_ID.match(key_id):
            raise CryptoSettingsError(f"{name}: a key id is 1-16 of a-z, 0-9 (<key_id>:<base64>)")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoSettingsError(f"{name}: key {key_id!r} is not base64") from exc
        if len(secret) != size:
            raise CryptoSettingsError(f"{name}: key {key_id!r} must be {size} bytes")
        if len(set(secret)) < 6:
            raise CryptoSettingsError(f"{name}: key {key_id!r} looks like a constant")
        if any(key_id == seen for seen, _ in found):
            raise CryptoSettingsError(f"{name}: key id {key_id!r} appears twice")
        found.append((key_id, secret))
    return found


def national_secrets(*, receipt_key_id: str = "sm2r1") -> dict[str, str]:
    """Fresh keys for the national suite, as environment lines (a new deployment's)."""

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return {
        "PII_SM4_KEYS": f"sm1:{b64(secrets.token_bytes(16))}",
        "PII_SM3_HASH_KEYS": f"hm1:{b64(secrets.token_bytes(32))}",
        "RECEIPT_SM2_KEY": f"{receipt_key_id}:{b64(generate_sm2_private())}",
        "AUDIT_MAC_KEY": b64(secrets.token_bytes(32)),
    }


@dataclass(frozen=True)
class CryptoSettings:
    suite: Suite
    sm4_keys: tuple[tuple[str, bytes], ...] = field(repr=False)
    sm3_hash_keys: tuple[tuple[str, bytes], ...] = field(repr=False)
    receipt_sm2: tuple[str, bytes] | None = field(repr=False)
    legacy_key: bytes = field(repr=False)
    legacy_hash_key: bytes = field(repr=False)
    audit_mac_key: bytes = field(repr=False)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, legacy_key: bytes, legacy_hash_key: bytes
    ) -> CryptoSettings:
        suite = env.get("CRYPTO_SUITE", "national").strip() or "national"
        if suite not in SUITES:
            raise CryptoSettingsError("CRYPTO_SUITE is national or international")
        sm4 = _entries(env, "PII_SM4_KEYS", 16)
        sm3 = _entries(env, "PII_SM3_HASH_KEYS", 32)
        sm2 = _entries(env, "RECEIPT_SM2_KEY", 32)
        raw_audit = env.get("AUDIT_MAC_KEY", "").strip()
        audit = (
            _entries({"AUDIT_MAC_KEY": f"audit:{raw_audit}"}, "AUDIT_MAC_KEY", 32)
            if raw_audit
            else []
        )
        if suite == "national":
            for name, value in (
                ("PII_SM4_KEYS", sm4),
                ("PII_SM3_HASH_KEYS", sm3),
                ("RECEIPT_SM2_KEY", sm2),
                ("AUDIT_MAC_KEY", audit),
            ):
                if not value:
                    raise CryptoSettingsError(
                        f"{name} is required by CRYPTO_SUITE=national (yiwang secrets generate)"
                    )
        if len(sm2) > 1:
            raise CryptoSettingsError(
                "RECEIPT_SM2_KEY is one key; retired public keys go to RECEIPT_RETIRED_PUBLIC_KEYS"
            )
        for name, entries in (("PII_SM4_KEYS", sm4), ("PII_SM3_HASH_KEYS", sm3)):
            if any(key_id in ("v1", "h1") for key_id, _ in entries):
                raise CryptoSettingsError(
                    f"{name}: key ids v1 and h1 belong to PII_KEY and PII_HASH_KEY"
                )
        return cls(
            suite,
            tuple(sm4),
            tuple(sm3),
            sm2[0] if sm2 else None,
            legacy_key,
            legacy_hash_key,
            audit[0][1] if audit else legacy_hash_key,
        )

    @classmethod
    def demo(cls, var_dir: Path, *, legacy_key: bytes, legacy_hash_key: bytes) -> CryptoSettings:
        """The demo makes its national keys once and keeps them, beside its other secrets."""
        path = var_dir / "demo-crypto.json"
        if path.exists():
            data = json.loads(path.read_text())
        else:
            data = national_secrets(receipt_key_id="demo2")
            var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data))
            path.chmod(0o600)
        return cls.from_env(data, legacy_key=legacy_key, legacy_hash_key=legacy_hash_key)

    def vault(self) -> PiiVault:
        """The suite's keys first; the other suite's stay readable until rotated away."""
        national_data = [DataKey(k, "SM4-GCM", s) for k, s in self.sm4_keys]
        national_hash = [LookupKey(k, "HMAC-SM3", s) for k, s in self.sm3_hash_keys]
        legacy_data = [DataKey("v1", "AES-256-GCM", self.legacy_key)]
        legacy_hash = [LookupKey("h1", "HMAC-SHA256", self.legacy_hash_key)]
        if self.suite == "national":
            return PiiVault(tuple(national_data + legacy_data), tuple(national_hash + legacy_hash))
        return PiiVault(tuple(legacy_data + national_data), tuple(legacy_hash + national_hash))

    def receipt_signer(self) -> tuple[str, Sm2PrivateKey] | None:
        if self.receipt_sm2 is None:
            return None
        key_id, secret = self.receipt_sm2
        return key_id, Sm2PrivateKey(secret)

    def status(self, receipt_key_id: str, receipt_algorithm: str) -> dict[str, Any]:
        """What ``yiwang crypto status`` prints: per purpose, the algorithm and key in use."""
        vault = self.vault()
        return {
            "suite": self.suite,
            "personal_data": {
                "algorithm": vault.current.algorithm,
                "key_id": vault.current.key_id,
                "version": self._version(vault.current.key_id),
                "readable_key_ids": [k.key_id for k in vault.data_keys],
            },
            "lookup_hash": {
                "algorithm": vault.lookup_keys[0].algorithm,
                "key_id": vault.lookup_keys[0].key_id,
                "version": self._version(vault.lookup_keys[0].key_id),
                "readable_key_ids": [k.key_id for k in vault.lookup_keys],
            },
            "receipt_signature": {
                "algorithm": receipt_algorithm,
                "key_id": receipt_key_id,
                "version": 1,
            },
            "audit_chain": {"algorithm": "HMAC-SM3", "key_id": "audit", "version": 1},
        }

    def _version(self, key_id: str) -> int:
        """A key's version counts up from the oldest configured key of its kind (lists are
        current first, so the current key has the highest version); legacy keys are 1."""
        for keys in (self.sm4_keys, self.sm3_hash_keys):
            ids = [k for k, _ in keys]
            if key_id in ids:
                return len(ids) - ids.index(key_id)
        return 1
