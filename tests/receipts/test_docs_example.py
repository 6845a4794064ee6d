"""docs/receipts.md's examples verify with the keys they print, using the code the page shows
(an SM2 implementation independent of ours: the pure-Python ``gmssl``)."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from infra.national import Sm2PrivateKey, generate_sm2_private

DOC = (Path(__file__).parents[2] / "docs" / "receipts.md").read_text()


def _documented(function: str) -> Any:
    """The page's ``python`` block that defines ``function``, run as the page shows it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC, re.S)
    source = next(b for b in blocks if f"def {function}(" in b)
    scope: dict[str, Any] = {}
    exec(compile(source, "docs/receipts.md", "exec"), scope)
    return scope[function]


def _example(version: str) -> tuple[str, str, str]:
    """The page's example payload of this version and the key it names."""
    payload = re.search(rf"^({version}\.\d{{8}}\.[^\s`]+)$", DOC, re.M)
    assert payload, version
    key_id = payload.group(1).split(".")[6]
    public = re.search(rf"signed by key `{key_id}` whose public key is\s*`([^`]+)`", DOC)
    assert public, key_id
    return key_id, public.group(1), payload.group(1)


def test_the_documented_sm2_example_verifies_and_a_changed_amount_does_not() -> None:
    verify = _documented("verify")
    key_id, public, payload = _example("YWR2")
    assert key_id == "sm1" and payload.split(".")[5] == "12345"
    keys = {key_id: public}
    assert verify(payload, keys) is True
    assert verify(payload.replace(".12345.", ".12346."), keys) is False
    assert verify("YWR1" + payload[4:], keys) is False
    other = Sm2PrivateKey(generate_sm2_private()).public.point
    assert verify(payload, {"sm1": base64.b64encode(other).decode()}) is False


def test_the_documented_ed25519_example_still_verifies() -> None:
    verify = _documented("verify_ywr1")
    key_id, public, payload = _example("YWR1")
    assert key_id == "t1" and len(payload.rpartition(".")[2]) == 86
    assert verify(payload, {key_id: public}) is True
    assert verify(payload.replace(".12345.", ".12346."), {key_id: public}) is False
