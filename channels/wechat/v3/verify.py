"""Believing WeChat Pay v3: signatures by serial, freshness, and the encrypted resource.

wechatpayv3 verifies a signature against one key and says only yes or no; it does not
look at the timestamp. Here the key is chosen by ``Wechatpay-Serial`` among the keys the
merchant holds (two during a rotation), a timestamp more than five minutes off is refused,
and every refusal carries its reason for the notification log. Signature probes
(``WECHATPAY/SIGNTEST/…``) fail like any other bad signature, but are named as probes.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from wechatpayv3.utils import aes_decrypt, load_public_key, rsa_verify

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
PROBE_PREFIX = "WECHATPAY/SIGNTEST/"
FRESHNESS_SECONDS = 300


class V3WireError(ValueError):
    """What WeChat sent (or what claims to be WeChat) is not to be believed; says why."""


def load_keys(public_keys: Mapping[str, str]) -> dict[str, RSAPublicKey]:
    keys: dict[str, RSAPublicKey] = {}
    for key_id, pem in public_keys.items():
        key = load_public_key(pem)
        if not isinstance(key, RSAPublicKey):
            raise V3WireError(f"WeChat Pay public key {key_id} is not an RSA key")
        keys[key_id] = key
    return keys


def check_signed(
    headers: Mapping[str, str],
    body: str,
    keys: Mapping[str, RSAPublicKey],
    *,
    now: float | None = None,
) -> str:
    """Raise V3WireError unless WeChat Pay signed ``body`` just now; return the nonce."""
    lowered = {k.lower(): v for k, v in headers.items()}
    signature = lowered.get("wechatpay-signature", "")
    timestamp = lowered.get("wechatpay-timestamp", "")
    nonce = lowered.get("wechatpay-nonce", "")
    serial = lowered.get("wechatpay-serial", "")
    if not (signature and timestamp and nonce and serial):
        raise V3WireError("Wechatpay-Signature, -Timestamp, -Nonce or -Serial missing")
    if signature.startswith(PROBE_PREFIX):
        raise V3WireError("signature probe (WECHATPAY/SIGNTEST/) refused")
    kind = lowered.get("wechatpay-signature-type", SIGNATURE_TYPE)
    if kind != SIGNATURE_TYPE:
        raise V3WireError(f"unsupported Wechatpay-Signature-Type {kind!r}")
    key = keys.get(serial)
    if key is None:
        raise V3WireError(f"Wechatpay-Serial {serial[:64]!r} is not a key we hold")
    if not timestamp.isdigit():
        raise V3WireError("Wechatpay-Timestamp is not a number")
    skew = abs((time.time() if now is None else now) - int(timestamp))
    if skew > FRESHNESS_SECONDS:
        raise V3WireError(f"Wechatpay-Timestamp is {int(skew)}s off (more than 5 minutes)")
    if not rsa_verify(timestamp, nonce, body, signature, key):
        raise V3WireError("Wechatpay-Signature does not verify")
    return nonce


def decrypt_resource(resource: object, apiv3_key: str) -> dict[str, Any]:
    """The notification's facts; any fault (wrong key, tampering, garbage) is V3WireError."""
    if not isinstance(resource, Mapping):
        raise V3WireError("resource is missing")
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise V3WireError(f"unsupported resource algorithm {resource.get('algorithm')!r}")
    nonce = resource.get("nonce")
    ciphertext = resource.get("ciphertext")
    associated = resource.get("associated_data") or ""
    if not (isinstance(nonce, str) and isinstance(ciphertext, str) and isinstance(associated, str)):
        raise V3WireError("resource nonce, ciphertext or associated_data malformed")
    try:
        base64.b64decode(ciphertext, validate=True)
        plain = aes_decrypt(nonce, ciphertext, associated, apiv3_key)
    except (binascii.Error, ValueError, UnicodeError, OverflowError) as exc:
        raise V3WireError(f"resource does not decrypt: {type(exc).__name__}") from exc
    if plain is None:
        raise V3WireError("resource does not decrypt (authentication tag mismatch)")
    try:
        facts = json.loads(plain)
    except ValueError as exc:
        raise V3WireError("decrypted resource is not JSON") from exc
    if not isinstance(facts, dict):
        raise V3WireError("decrypted resource is not a JSON object")
    return facts
