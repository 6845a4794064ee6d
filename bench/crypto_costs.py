"""What the national algorithms cost per call, beside the international ones they replace:
``.venv/bin/python bench/crypto_costs.py [--rounds N]``. One process, one core; figures in
docs/performance.md and docs/dependencies.md (the library choice)."""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infra.national import Sm2PrivateKey, generate_sm2_private, hmac_sm3, sm4_gcm_seal

MESSAGE = b"YWR2.33010326.0000000001.8kq3xd.20260304.12345.sm1"
ID_NUMBER = b"330106199003071236"


def _cost(call: Callable[[], object], rounds: int) -> float:
    """Microseconds per call, the best of three runs (the least disturbed by neighbours)."""
    return min(timeit.repeat(call, number=rounds, repeat=3)) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    sm2 = Sm2PrivateKey(generate_sm2_private())
    signature = sm2.sign(MESSAGE)
    ed = Ed25519PrivateKey.generate()
    ed_signature = ed.sign(MESSAGE)
    sm4_key, aes_key, nonce = os.urandom(16), AESGCM(os.urandom(32)), os.urandom(12)
    rows = [
        ("SM2 sign (SM3, signer id)", lambda: sm2.sign(MESSAGE), rounds),
        ("SM2 verify", lambda: sm2.public.verify(signature, MESSAGE), rounds),
        (
            "SM4-GCM seal, 18 bytes",
            lambda: sm4_gcm_seal(sm4_key, nonce, b"id", ID_NUMBER),
            10 * rounds,
        ),
        (
            "HMAC-SM3, 28 bytes",
            lambda: hmac_sm3(sm4_key, b"id_number\x00" + ID_NUMBER),
            10 * rounds,
        ),
        ("Ed25519 sign", lambda: ed.sign(MESSAGE), rounds),
        ("Ed25519 verify", lambda: ed.public_key().verify(ed_signature, MESSAGE), rounds),
        (
            "AES-256-GCM seal, 18 bytes",
            lambda: aes_key.encrypt(nonce, ID_NUMBER, b"id"),
            10 * rounds,
        ),
    ]
    for name, call, n in rows:
        print(f"{name:32s} {_cost(call, n):9.1f} µs")


if __name__ == "__main__":
    main()
