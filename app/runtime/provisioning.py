"""Fresh secrets for a new stack: what ``yiwang secrets generate`` prints.

Every value is new randomness from ``secrets``; nothing is derived from anything else, so
two stacks made this way share nothing. The lines are ``NAME=value`` (comments start with
``#``), readable by a shell's ``set -a; . file``, systemd's EnvironmentFile and docker's
--env-file alike. ``tests/test_provisioning.py`` checks that ``load_settings`` accepts
exactly what this prints, so a secret added to the settings without being added here
fails there first.
"""

from __future__ import annotations

import base64
import secrets

from app.crypto_config import national_secrets
from channels.sandbox.credentials import encode, generate


def _key32() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def fresh_secrets(*, sandbox: bool) -> list[tuple[str, str]]:
    """(name, value) pairs: every secret an instance requires, and with ``sandbox`` the
    channel credentials a standalone sandbox and every instance pointed at it share."""
    pairs = [
        ("PII_KEY", _key32()),
        ("PII_HASH_KEY", _key32()),
        # The national suite's keys (a new stack runs it): SM4, HMAC-SM3, SM2, the audit MAC.
        *national_secrets(receipt_key_id=f"s{secrets.token_hex(3)}").items(),
        ("APPOINTMENT_CHECKIN_KEY", _key32()),
        ("YIWANG_METRICS_TOKEN", secrets.token_urlsafe(32)),
    ]
    if sandbox:
        pairs.append(("YIWANG_SANDBOX_CREDENTIALS", encode(generate())))
    return pairs


def env_file(*, sandbox: bool) -> str:
    lines = [
        "# Yiwang secrets, made by `yiwang secrets generate`. Keep this file private (0600).",
        "# Also needed, not secret: DATABASE_URL=postgres://... REDIS_URL=redis://...",
    ]
    if sandbox:
        lines.append(
            "# Channels: run `yiwang sandbox --port P` with this file, and give every"
            " instance YIWANG_SANDBOX_URL=http://<sandbox host>:P"
        )
    else:
        lines.append(
            "# Channels: the merchant credentials each channel issued (docs/operations.md)."
        )
    lines += [f"{name}={value}" for name, value in fresh_secrets(sandbox=sandbox)]
    return "\n".join(lines) + "\n"
