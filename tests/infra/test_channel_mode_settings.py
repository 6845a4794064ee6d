"""WeChat Pay v3 and Alipay certificate-mode settings: production startup fails fast naming
the variable; the sandbox and the demo get v3 by default, v2 when WECHAT_PAY_API=v2."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.config import SettingsError, load_settings
from app.crypto_config import national_secrets


def _pem(tmp_path: Path, name: str, *, public: bool = False, pkcs8: bool = True) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if public:
        data = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        layout = serialization.PrivateFormat
        data = key.private_bytes(
            serialization.Encoding.PEM,
            layout.PKCS8 if pkcs8 else layout.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _production(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    env = {
        "DATABASE_URL": "postgres://127.0.0.1/x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "PII_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PII_HASH_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "RECEIPT_SIGNING_KEY": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "YIWANG_VAR_DIR": str(tmp_path),
        "WECHAT_APPID": "wx0123456789abcdef",
        "WECHAT_SECRET": "s" * 32,
        "WECHAT_MCH_ID": "1900000109",
        "WECHAT_MCH_PRIVATE_KEY_FILE": _pem(tmp_path, "apiclient_key.pem"),
        "WECHAT_MCH_CERT_SERIAL": "444F4864EA9B34415" + "0" * 23,
        "WECHAT_APIV3_KEY": "a" * 16 + "b" * 16,
        "WECHAT_PAY_PUBLIC_KEY_ID": "PUB_KEY_ID_0114232134912410000000000000000001",
        "WECHAT_PAY_PUBLIC_KEY_FILE": _pem(tmp_path, "pub_key.pem", public=True),
        "ALIPAY_APP_ID": "2021000000000000",
        "ALIPAY_SELLER_ID": "2088000000000000",
        "ALIPAY_APP_PRIVATE_KEY_FILE": _pem(tmp_path, "alipay_app.pem", pkcs8=False),
        "ALIPAY_PUBLIC_KEY_FILE": _pem(tmp_path, "alipay_pub.pem", public=True),
        "APP_CLIENT_ID": "zlb-x",
        "APP_CLIENT_SECRET": "y" * 32,
        "APP_BASE_URL": "https://app.example",
        **national_secrets(),
    }
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def test_a_v3_merchant_needs_no_v2_key_and_may_hold_two_public_keys(tmp_path: Path) -> None:
    second = _pem(tmp_path, "pub_key_2.pem", public=True)
    settings = load_settings(
        _production(
            tmp_path,
            WECHAT_PAY_PUBLIC_KEY_2_ID="PUB_KEY_ID_0114232134912410000000000000000002",
            WECHAT_PAY_PUBLIC_KEY_2_FILE=second,
        )
    )
    v3 = settings.channels.wechat_v3
    assert settings.channels.wechat_pay_api == "v3" and v3 is not None
    assert list(v3.public_keys) == [
        "PUB_KEY_ID_0114232134912410000000000000000001",
        "PUB_KEY_ID_0114232134912410000000000000000002",
    ]
    assert settings.channels.wechat_api_key == ""
    assert "secrets=" in repr(v3) and "PRIVATE" not in repr(v3)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WECHAT_MCH_PRIVATE_KEY_FILE", None),
        ("WECHAT_MCH_PRIVATE_KEY_FILE", "/nonexistent/apiclient_key.pem"),
        ("WECHAT_MCH_CERT_SERIAL", None),
        ("WECHAT_MCH_CERT_SERIAL", "not-hex!"),
        ("WECHAT_APIV3_KEY", None),
        ("WECHAT_APIV3_KEY", "too-short"),
        ("WECHAT_PAY_PUBLIC_KEY_ID", None),
        ("WECHAT_PAY_PUBLIC_KEY_ID", "0114232134912410"),
        ("WECHAT_PAY_PUBLIC_KEY_FILE", None),
        ("WECHAT_PAY_PUBLIC_KEY_2_FILE", "/nonexistent/pub_key_2.pem"),
        ("WECHAT_PAY_API", "v4"),
    ],
)
def test_a_missing_or_malformed_v3_setting_stops_startup_naming_it(
    tmp_path: Path, name: str, value: str | None
) -> None:
    extra: dict[str, str | None] = {name: value}
    if name == "WECHAT_PAY_PUBLIC_KEY_2_FILE":
        extra["WECHAT_PAY_PUBLIC_KEY_2_ID"] = "PUB_KEY_ID_0114232134912410000000000000000002"
    with pytest.raises(SettingsError, match=name):
        load_settings(_production(tmp_path, **extra))


def test_key_files_that_are_not_the_right_keys_are_named(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(SettingsError, match="WECHAT_MCH_PRIVATE_KEY_FILE"):
        load_settings(_production(tmp_path, WECHAT_MCH_PRIVATE_KEY_FILE=str(garbage)))
    pkcs1 = _pem(tmp_path, "pkcs1.pem", pkcs8=False)
    with pytest.raises(SettingsError, match=r"WECHAT_MCH_PRIVATE_KEY_FILE.*PKCS#8"):
        load_settings(_production(tmp_path, WECHAT_MCH_PRIVATE_KEY_FILE=pkcs1))
    private = _pem(tmp_path, "private_as_public.pem")
    with pytest.raises(SettingsError, match="WECHAT_PAY_PUBLIC_KEY_FILE"):
        load_settings(_production(tmp_path, WECHAT_PAY_PUBLIC_KEY_FILE=private))


def test_v2_needs_its_api_key_and_not_the_v3_keys(tmp_path: Path) -> None:
    v2 = _production(tmp_path, WECHAT_PAY_API="v2", WECHAT_APIV3_KEY=None)
    with pytest.raises(SettingsError, match="WECHAT_API_KEY"):
        load_settings(v2)
    settings = load_settings({**v2, "WECHAT_API_KEY": "k" * 32})
    assert settings.channels.wechat_pay_api == "v2" and settings.channels.wechat_v3 is None


def test_the_sandbox_and_demo_default_to_v3(tmp_path: Path) -> None:
    env = {"YIWANG_VAR_DIR": str(tmp_path)}
    demo = load_settings(env, demo=True)
    assert demo.channels.wechat_pay_api == "v3"
    assert demo.channels.wechat_v3 is not None
    assert next(iter(demo.channels.wechat_v3.public_keys)).startswith("PUB_KEY_ID_")
    assert load_settings({**env, "WECHAT_PAY_API": "v2"}, demo=True).channels.wechat_pay_api == "v2"


def _cert_files(tmp_path: Path) -> dict[str, str]:
    from channels.sandbox.credentials import generate

    creds = generate()
    files = {
        "ALIPAY_APP_CERT_FILE": creds.alipay_app_public_cert,
        "ALIPAY_PUBLIC_CERT_FILE": creds.alipay_public_cert,
        "ALIPAY_ROOT_CERT_FILE": creds.alipay_root_cert,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return {name: str(tmp_path / name) for name in files}


def test_alipay_certificate_mode_needs_the_three_certificates_not_the_public_key(
    tmp_path: Path,
) -> None:
    env = _production(tmp_path, ALIPAY_SIGN_MODE="cert", ALIPAY_PUBLIC_KEY_FILE=None)
    settings = load_settings({**env, **_cert_files(tmp_path)})
    assert settings.channels.alipay_sign_mode == "cert"
    certs = settings.channels.alipay_certificates
    assert certs is not None and certs.alipay_root_cert.count("BEGIN CERTIFICATE") == 3
    for name in ("ALIPAY_APP_CERT_FILE", "ALIPAY_PUBLIC_CERT_FILE", "ALIPAY_ROOT_CERT_FILE"):
        missing = {**env, **_cert_files(tmp_path)}
        del missing[name]
        with pytest.raises(SettingsError, match=name):
            load_settings(missing)
    garbage = tmp_path / "not-a-cert.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(SettingsError, match="ALIPAY_ROOT_CERT_FILE"):
        load_settings({**env, **_cert_files(tmp_path), "ALIPAY_ROOT_CERT_FILE": str(garbage)})
    with pytest.raises(SettingsError, match="ALIPAY_SIGN_MODE"):
        load_settings(_production(tmp_path, ALIPAY_SIGN_MODE="certificate"))
    with pytest.raises(SettingsError, match="ALIPAY_PUBLIC_KEY_FILE"):
        load_settings(_production(tmp_path, ALIPAY_PUBLIC_KEY_FILE=None))
