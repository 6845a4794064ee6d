"""WeChat Pay API v2 wire format, written independently of wechatpy.

The sandbox must not trust the SDK it is testing, so signing (MD5 over the sorted
``k=v`` pairs plus ``&key=API_KEY``), the XML envelope and the refund notification's
AES-256-ECB encryption are implemented here from WeChat's documentation.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def sign_md5(fields: Mapping[str, str], api_key: str) -> str:
    """WeChat's MD5 signature: empty values and ``sign`` itself are left out."""
    pairs = [f"{k}={v}" for k, v in sorted(fields.items()) if v != "" and k != "sign"]
    pairs.append(f"key={api_key}")
    return hashlib.md5("&".join(pairs).encode("utf-8")).hexdigest().upper()


def signature_ok(fields: Mapping[str, str], api_key: str) -> bool:
    given = fields.get("sign", "")
    return bool(given) and secrets.compare_digest(given, sign_md5(fields, api_key))


def parse_xml(body: bytes) -> dict[str, str] | None:
    """Flat ``<xml><k>v</k>…</xml>`` into a dict; None when the body is not that shape."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    if root.tag != "xml":
        return None
    return {child.tag: child.text or "" for child in root}


def to_xml(fields: Mapping[str, str], *, root: str = "xml") -> str:
    """Render fields as WeChat does: every value in CDATA, in a flat element."""
    parts = [f"<{root}>"]
    for key, value in fields.items():
        parts.append(f"<{key}><![CDATA[{value}]]></{key}>")
    parts.append(f"</{root}>")
    return "".join(parts)


def signed_xml(fields: Mapping[str, str], api_key: str) -> str:
    body = {k: v for k, v in fields.items() if v != ""}
    body["sign"] = sign_md5(body, api_key)
    return to_xml(body)


def refund_cipher_key(api_key: str) -> bytes:
    """The refund notify key: the lowercase MD5 hex of the API key, used as 32 ASCII bytes."""
    return hashlib.md5(api_key.encode("utf-8")).hexdigest().lower().encode("ascii")


def encrypt_req_info(plain_xml: str, api_key: str) -> str:
    """``req_info`` = base64(AES-256-ECB(PKCS7(xml))) as WeChat sends in refund notifications."""
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain_xml.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(refund_cipher_key(api_key)), modes.ECB()).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode("ascii")


def nonce() -> str:
    return secrets.token_hex(16)
