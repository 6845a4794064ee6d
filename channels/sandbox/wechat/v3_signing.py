"""WeChat Pay API v3 wire security, written from WeChat's documentation, not from any SDK.

- Requests carry ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
  signature="…",timestamp="…",serial_no="…"``; the signature is SHA256-RSA (PKCS#1 v1.5)
  over ``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n`` with the merchant's API key, and the
  URL is the path with its query string.
- Answers and notifications carry ``Wechatpay-Timestamp``, ``-Nonce``, ``-Serial`` (the
  WeChat Pay public key id) and ``-Signature`` over ``TIMESTAMP\\nNONCE\\nBODY\\n``.
- Notification resources are AEAD_AES_256_GCM under the merchant's APIv3 key.
- ``wx.requestPayment``'s ``paySign`` is SHA256-RSA over
  ``appId\\ntimeStamp\\nnonceStr\\npackage\\n`` with the merchant's key.
"""

from __future__ import annotations

import base64
import functools
import re
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "WECHATPAY2-SHA256-RSA2048"
# WeChat refuses a request whose timestamp is more than five minutes off.
CLOCK_SKEW_SECONDS = 300
PROBE_PREFIX = "WECHATPAY/SIGNTEST/"
_PARAM = re.compile(r'\s*([a-z_]+)="([^"]*)"\s*')


class SignatureError(ValueError):
    """The request's Authorization is missing, malformed, stale or does not verify."""


@dataclass(frozen=True)
class Authorization:
    mchid: str
    nonce_str: str
    signature: str
    timestamp: str
    serial_no: str


def parse_authorization(header: str | None) -> Authorization:
    if not header or not header.startswith(SCHEME + " "):
        raise SignatureError("Authorization is not WECHATPAY2-SHA256-RSA2048")
    params: dict[str, str] = {}
    for part in header[len(SCHEME) + 1 :].split(","):
        match = _PARAM.fullmatch(part)
        if match is None:
            raise SignatureError("Authorization parameters are malformed")
        params[match.group(1)] = match.group(2)
    try:
        return Authorization(
            params["mchid"],
            params["nonce_str"],
            params["signature"],
            params["timestamp"],
            params["serial_no"],
        )
    except KeyError as exc:
        raise SignatureError(f"Authorization lacks {exc.args[0]}") from exc


# Loading a PEM private key checks the RSA key, which costs milliseconds: keep the few the
# sandbox uses loaded.
@functools.lru_cache(maxsize=16)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return key


@functools.lru_cache(maxsize=16)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def rsa_sign(private_pem: str, message: str) -> str:
    signature = _private_key(private_pem).sign(
        message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
    )
    return base64.b64encode(signature).decode()


def rsa_ok(public_pem: str, message: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        _public_key(public_pem).verify(
            raw, message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_request(
    method: str,
    url: str,
    body: bytes,
    header: str | None,
    *,
    mchid: str,
    serial_no: str,
    merchant_public_key: str,
) -> None:
    """Raises SignatureError with WeChat's reason when the request is not the merchant's."""
    auth = parse_authorization(header)
    if auth.mchid != mchid:
        raise SignatureError("mchid in Authorization is not this merchant")
    if auth.serial_no.upper() != serial_no.upper():
        raise SignatureError("serial_no is not the merchant's API certificate")
    if not auth.timestamp.isdigit() or abs(time.time() - int(auth.timestamp)) > (
        CLOCK_SKEW_SECONDS
    ):
        raise SignatureError("timestamp is more than five minutes off")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignatureError("body is not UTF-8") from exc
    message = f"{method}\n{url}\n{auth.timestamp}\n{auth.nonce_str}\n{text}\n"
    if not rsa_ok(merchant_public_key, message, auth.signature):
        raise SignatureError("signature does not verify")


def nonce() -> str:
    return secrets.token_hex(16).upper()


def signed_headers(
    body: str, *, private_key: str, key_id: str, probe: bool = False
) -> dict[str, str]:
    """WeChat Pay's signature headers for an answer or a notification.

    A probe carries ``WECHATPAY/SIGNTEST/…`` instead of a signature: a merchant who
    accepts it is not verifying.
    """
    timestamp = str(int(time.time()))
    once = nonce()
    if probe:
        signature = PROBE_PREFIX + base64.b64encode(secrets.token_bytes(192)).decode()
    else:
        signature = rsa_sign(private_key, f"{timestamp}\n{once}\n{body}\n")
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": once,
        "Wechatpay-Serial": key_id,
        "Wechatpay-Signature": signature,
        "Wechatpay-Signature-Type": SCHEME,
        "Request-ID": secrets.token_hex(16),
    }


def encrypt_resource(plain: str, apiv3_key: str, associated_data: str) -> dict[str, str]:
    """AEAD_AES_256_GCM with a 12-character nonce, as WeChat encrypts ``resource``."""
    once = secrets.token_hex(6)
    sealed = AESGCM(apiv3_key.encode("utf-8")).encrypt(
        once.encode("utf-8"), plain.encode("utf-8"), associated_data.encode("utf-8")
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": once,
    }


def pay_sign_ok(appid: str, params: dict[str, object], merchant_public_key: str) -> bool:
    """What WeChat's client checks before it shows the cashier for a v3 JSAPI payment."""
    names = ("timeStamp", "nonceStr", "package", "paySign")
    if params.get("signType") != "RSA" or not all(isinstance(params.get(n), str) for n in names):
        return False
    message = f"{appid}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    return rsa_ok(merchant_public_key, message, str(params["paySign"]))
