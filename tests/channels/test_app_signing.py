"""The adapter's signer against the spec's worked example and its own verify rules.

The sandbox has its own signer; checking both against the same fixed vector (the one in
docs/channels/app.md) is what keeps two independent implementations honest.
"""

from __future__ import annotations

import pytest

from channels.app import signing as adapter_signing
from channels.sandbox.provincial import signing as sandbox_signing

SECRET = "s3cr3t"
BODY = b'{"ticket":"abc"}'
# The worked example of docs/channels/app.md, computed once by hand with hashlib/hmac.
BODY_SHA256 = "53a39eee31f38686a5c4eb7b878c3a538f376153fb9e2c176ab6c8fed7b523f6"
EXPECTED = "76c26fc11dea2430aaa02ff4714d4f8e74510482c620aa85f0497f463a0a7605"


def test_string_to_sign_layout() -> None:
    text = adapter_signing.string_to_sign("post", "/sso/ticket/validate", "1700000000", "n1", BODY)
    lines = text.decode().split("\n")
    assert lines[:4] == ["POST", "/sso/ticket/validate", "1700000000", "n1"]
    assert lines[4] == BODY_SHA256
    assert len(lines) == 5


def test_worked_example_of_the_spec() -> None:
    args = ("POST", "/sso/ticket/validate", "1700000000", "n1", BODY)
    assert adapter_signing.sign(SECRET, *args) == EXPECTED
    assert sandbox_signing.signature(SECRET, *args) == EXPECTED


def test_both_signers_agree() -> None:
    args = ("POST", "/cashier/api/bills?date=2025-01-02", "1700000000", "n1", BODY)
    assert adapter_signing.sign(SECRET, *args) == sandbox_signing.signature(SECRET, *args)
    assert adapter_signing.sign(SECRET, *args) != adapter_signing.sign("other", *args)


def test_verify_accepts_fresh_and_refuses_stale_or_tampered() -> None:
    headers = adapter_signing.signed_headers(
        "cid", SECRET, "POST", "/notify", BODY, timestamp=1_700_000_000, nonce="n1"
    )
    adapter_signing.verify("cid", SECRET, "POST", "/notify", BODY, headers, now=1_700_000_299)
    with pytest.raises(adapter_signing.SignatureMismatch, match="window"):
        adapter_signing.verify("cid", SECRET, "POST", "/notify", BODY, headers, now=1_700_000_301)
    with pytest.raises(adapter_signing.SignatureMismatch, match="does not match"):
        adapter_signing.verify(
            "cid", SECRET, "POST", "/notify", BODY + b" ", headers, now=1_700_000_000
        )
    with pytest.raises(adapter_signing.SignatureMismatch, match="not ours"):
        adapter_signing.verify("other", SECRET, "POST", "/notify", BODY, headers, now=1_700_000_000)
    lowered = {k.lower(): v for k, v in headers.items()}
    adapter_signing.verify("cid", SECRET, "POST", "/notify", BODY, lowered, now=1_700_000_000)
    del lowered["x-nonce"]
    with pytest.raises(adapter_signing.SignatureMismatch, match="missing"):
        adapter_signing.verify("cid", SECRET, "POST", "/notify", BODY, lowered, now=1_700_000_000)
