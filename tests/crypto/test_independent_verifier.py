"""The independent SM2 verifier the tests use agrees with ours on every key shape."""

from __future__ import annotations

from infra.national import Sm2PrivateKey, generate_sm2_private
from tests import independent_sm2


def _key_whose_x_starts_with(prefix: str) -> Sm2PrivateKey:
    while True:
        key = Sm2PrivateKey(generate_sm2_private())
        if key.public.point[1:].hex().startswith(prefix):
            return key


def test_a_public_key_whose_x_starts_with_04_is_not_truncated() -> None:
    # gmssl's constructor would lstrip("04") such a key down to an odd length and crash.
    key = _key_whose_x_starts_with("04")
    message = b"YWCI2.booking.institution.nonce"
    signature = key.sign(message)
    assert independent_sm2.verifies(key.public.point, signature, message)
    assert not independent_sm2.verifies(key.public.point, signature, message + b"x")


def test_fifty_fresh_keys_verify_and_reject_a_changed_message() -> None:
    for _ in range(50):
        key = Sm2PrivateKey(generate_sm2_private())
        signature = key.sign(b"message")
        assert independent_sm2.verifies(key.public.point, signature, b"message")
        assert not independent_sm2.verifies(key.public.point, signature, b"messagf")
