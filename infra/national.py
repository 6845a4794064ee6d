"""The national algorithms (商用密码): SM2 signatures, SM3 hashes and HMACs, SM4-GCM.

Everything runs in GmSSL's C code through ``gmssl-pyx`` (docs/dependencies.md says why
that library). Two things are ours, because gmssl-pyx leaves them out:

- The signer's Z value (GB/T 32918.2 §5.5): SM3 over the signer id, the curve and the
  public key. It depends only on the key, so it is computed once per key, and each
  signature costs one SM3 over ``Z || message`` plus the C signing of that digest.
  (gmssl-pyx's own ``sm2_sign`` recomputes Z and checks the key pair on every call,
  about ten times slower.)
- The public point of a private key, computed once when settings load (a few ms of
  Python, never on a request): keys are configured as their 32-byte private scalar.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import gmssl_pyx  # type: ignore[import-untyped]

SIGNER_ID = b"1234567812345678"  # the default signer id of GB/T 35276
SM4_KEY_BYTES = 16
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16

# The SM2 curve, GB/T 32918.5 (sm2p256v1).
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

# SubjectPublicKeyInfo for an uncompressed SM2 point: id-ecPublicKey with the
# sm2p256v1 curve (1.2.156.10197.1.301), then the 65-byte point as a BIT STRING.
_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


class CryptoError(ValueError):
    """A key or a ciphertext that the national algorithms refuse."""


def sm3(data: bytes) -> bytes:
    return bytes(gmssl_pyx.sm3_hash(data))


def hmac_sm3(key: bytes, message: bytes) -> bytes:
    return bytes(gmssl_pyx.sm3_hmac(key, message))


def sm4_gcm_seal(key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
    """``ciphertext || tag`` (16-byte tag), the same layout as AES-GCM in ``cryptography``."""
    ciphertext, tag = gmssl_pyx.sm4_gcm_encrypt(key, nonce, aad, plaintext)
    return bytes(ciphertext) + bytes(tag)


def sm4_gcm_open(key: bytes, nonce: bytes, aad: bytes, sealed: bytes) -> bytes:
    if len(sealed) < GCM_TAG_BYTES:
        raise CryptoError("ciphertext too short")
    try:
        return bytes(
            gmssl_pyx.sm4_gcm_decrypt(
                key, nonce, aad, sealed[:-GCM_TAG_BYTES], sealed[-GCM_TAG_BYTES:]
            )
        )
    except gmssl_pyx.GmsslInnerError as exc:
        raise CryptoError("ciphertext does not open with this key") from exc


def _add(p1: tuple[int, int] | None, p2: tuple[int, int] | None) -> tuple[int, int] | None:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and (p1[1] + p2[1]) % P == 0:
        return None
    if p1 == p2:
        slope = (3 * p1[0] * p1[0] + A) * pow(2 * p1[1], -1, P) % P
    else:
        slope = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, P) % P
    x = (slope * slope - p1[0] - p2[0]) % P
    return x, (slope * (p1[0] - x) - p1[1]) % P


def public_point(private: bytes) -> bytes:
    """The 65-byte uncompressed public point ``04 || X || Y`` of a 32-byte private key."""
    d = int.from_bytes(private, "big")
    if len(private) != 32 or not 1 <= d <= N - 2:
        raise CryptoError("an SM2 private key is 32 bytes in [1, n-2]")
    result: tuple[int, int] | None = None
    addend: tuple[int, int] | None = (GX, GY)
    while d:
        if d & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        d >>= 1
    assert result is not None
    return b"\x04" + result[0].to_bytes(32, "big") + result[1].to_bytes(32, "big")


def _on_curve(point: bytes) -> bool:
    if len(point) != 65 or point[0] != 4:
        return False
    x, y = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
    return x < P and y < P and (y * y - (x**3 + A * x + B)) % P == 0


def signer_z(point: bytes, signer_id: bytes = SIGNER_ID) -> bytes:
    """Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A)."""
    entl = (len(signer_id) * 8).to_bytes(2, "big")
    curve = b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY))
    return sm3(entl + signer_id + curve + point[1:])


def spki_pem(point: bytes) -> str:
    body = base64.encodebytes(_SPKI_PREFIX + point).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


@dataclass(frozen=True)
class Sm2PublicKey:
    point: bytes
    z: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not _on_curve(self.point):
            raise CryptoError("not an uncompressed point on the SM2 curve")
        object.__setattr__(self, "z", signer_z(self.point))

    def verify(self, signature_der: bytes, message: bytes) -> bool:
        """Never raises on a bad signature: a malformed one is just not valid."""
        digest = sm3(self.z + message)
        try:
            return bool(gmssl_pyx.sm2_verify_sm3_digest(self.point[1:], digest, signature_der))
        except gmssl_pyx.GmsslInnerError:
            return False


@dataclass(frozen=True)
class Sm2PrivateKey:
    secret: bytes = field(repr=False)
    public: Sm2PublicKey = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "public", Sm2PublicKey(public_point(self.secret)))

    def sign(self, message: bytes) -> bytes:
        """DER ``SEQUENCE { r, s }`` over SM3(Z || message)."""
        digest = sm3(self.public.z + message)
        return bytes(gmssl_pyx.sm2_sign_sm3_digest(self.secret, digest))


def generate_sm2_private() -> bytes:
    _public, private = gmssl_pyx.sm2_key_generate()
    return bytes(private)
