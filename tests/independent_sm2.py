"""An SM2 verifier independent of ours: the pure-Python ``gmssl`` package.

Tests check our signatures with it, as a third party would who has only the public key. Its
constructor strips a leading "04" with ``str.lstrip("04")``, which also eats any '0' or '4'
digits that follow, so about one key in 256 came out truncated and the check crashed. The key
is therefore set after construction, as the 128 hex digits of x || y.
"""

from __future__ import annotations

from gmssl import sm2


def verifies(point: bytes, signature_der: bytes, message: bytes) -> bool:
    """True when ``signature_der`` (DER r, s) is a valid SM2-with-SM3 signature of ``message``
    under the uncompressed public ``point`` (0x04 || x || y), with the default signer id."""
    assert len(point) == 65 and point[0] == 4, "an uncompressed SM2 point"
    checker = sm2.CryptSM2(private_key=None, public_key="", mode=1, asn1=True)
    checker.public_key = point[1:].hex()
    return bool(checker.verify_with_sm3(signature_der.hex(), message))
