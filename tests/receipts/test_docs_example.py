"""docs/receipts.md's example verifies with the key it prints, written from the doc alone."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DOC = (Path(__file__).parents[2] / "docs" / "receipts.md").read_text()


def test_the_documented_example_verifies_and_a_changed_amount_does_not() -> None:
    public = re.search(r"whose public key is\n?\s*`([A-Za-z0-9+/=]{44})`", DOC)
    example = re.search(r"^(YWR1\.\d{8}\.[^\s`]+)$", DOC, re.M)
    assert public and example
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public.group(1)))
    message, _, signature = example.group(1).rpartition(".")
    assert message.split(".")[5] == "12345" and len(signature) == 86
    key.verify(base64.urlsafe_b64decode(signature + "=="), message.encode("ascii"))
    forged = message.replace(".12345.", ".12346.")
    try:
        key.verify(base64.urlsafe_b64decode(signature + "=="), forged.encode("ascii"))
    except Exception:
        return
    raise AssertionError("a changed amount verified")
