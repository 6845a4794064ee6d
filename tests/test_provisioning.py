"""`yiwang secrets generate`: fresh keys that the settings accept as they are printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.config import SettingsError, load_settings
from channels.sandbox.credentials import decode, encode, generate


def _generated(*flags: str) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "app", "secrets", "generate", *flags],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pairs = [line.split("=", 1) for line in out.splitlines() if line and not line.startswith("#")]
    return dict(pairs)


def test_a_stack_starts_from_the_printed_lines_alone(tmp_path: Path) -> None:
    printed = _generated("--sandbox")
    env = {
        **printed,
        "DATABASE_URL": "postgres://127.0.0.1/staging",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "YIWANG_SANDBOX_URL": "http://10.0.0.5:8001",
        "YIWANG_VAR_DIR": str(tmp_path),
    }
    settings = load_settings(env)
    # Every channel points at the shared sandbox; this instance starts none of its own.
    assert settings.run_sandbox is False
    assert settings.channels.alipay_gateway_url == "http://10.0.0.5:8001/gateway.do"
    assert settings.channels.wechat_api_base_url == "http://10.0.0.5:8001/"
    shared = decode(printed["YIWANG_SANDBOX_CREDENTIALS"])
    assert settings.channels.wechat_appid == shared.wechat_appid
    assert settings.channels.alipay_app_private_key == shared.alipay_app_private_key
    assert settings.ops.metrics_token == printed["YIWANG_METRICS_TOKEN"]
    # Nothing was written: the credentials came from the line, not a file.
    assert not (tmp_path / "sandbox-credentials.json").exists()


def test_each_run_makes_new_keys_and_only_sandbox_adds_channel_credentials() -> None:
    first, second = _generated(), _generated()
    assert set(first) == {
        "PII_KEY",
        "PII_HASH_KEY",
        "PII_SM4_KEYS",
        "PII_SM3_HASH_KEYS",
        "RECEIPT_SM2_KEY",
        "AUDIT_MAC_KEY",
        "APPOINTMENT_CHECKIN_KEY",
        "YIWANG_METRICS_TOKEN",
    }
    assert all(first[name] != second[name] for name in first)
    assert first["PII_KEY"] != first["PII_HASH_KEY"]


def test_credentials_survive_the_round_trip_and_a_bad_line_is_named() -> None:
    creds = generate()
    assert decode(encode(creds)) == creds
    with pytest.raises(SettingsError, match="YIWANG_SANDBOX_CREDENTIALS"):
        load_settings(
            {
                **_generated(),
                "DATABASE_URL": "postgres://127.0.0.1/x",
                "REDIS_URL": "redis://127.0.0.1:6379/0",
                "YIWANG_SANDBOX_URL": "http://127.0.0.1:8001",
                "YIWANG_SANDBOX_CREDENTIALS": "bm90IGpzb24=",
            }
        )
