"""Typed settings, read once from the environment at the edge (the CLI), then passed down.

No other module reads ``os.environ``. Outside ``--demo`` startup fails fast when a secret is
missing or unsafe; the demo generates its own secrets under ``./var/`` and keeps them.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from channels.sandbox.credentials import SandboxCredentials, load_or_create


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message names the environment variable."""


@dataclass(frozen=True)
class ChannelSettings:
    """Merchant credentials and base URLs for the three channels (sandbox or real)."""

    wechat_appid: str
    wechat_secret: str
    wechat_mch_id: str
    wechat_api_key: str
    wechat_api_base_url: str
    alipay_app_id: str
    alipay_seller_id: str
    alipay_app_private_key: str
    alipay_public_key: str
    alipay_gateway_url: str
    app_client_id: str
    app_client_secret: str
    app_base_url: str
    timeout_seconds: float = 5.0

    @classmethod
    def from_sandbox(cls, creds: SandboxCredentials, sandbox_url: str) -> ChannelSettings:
        base = sandbox_url.rstrip("/")
        return cls(
            wechat_appid=creds.wechat_appid,
            wechat_secret=creds.wechat_secret,
            wechat_mch_id=creds.wechat_mch_id,
            wechat_api_key=creds.wechat_api_key,
            wechat_api_base_url=base + "/",
            alipay_app_id=creds.alipay_app_id,
            alipay_seller_id=creds.alipay_seller_id,
            alipay_app_private_key=creds.alipay_app_private_key,
            alipay_public_key=creds.alipay_public_key,
            alipay_gateway_url=base + "/gateway.do",
            app_client_id=creds.app_client_id,
            app_client_secret=creds.app_client_secret,
            app_base_url=base,
        )


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    # 32-byte keys: AES-256-GCM for personal data at rest, HMAC-SHA256 for lookups.
    pii_key: bytes
    pii_hash_key: bytes
    channels: ChannelSettings
    # Where channels reach our notify URLs and residents reach the public pages.
    public_base_url: str = "http://127.0.0.1:8000"
    demo: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    sandbox_port: int = 8001
    workers: int = 1
    # Run the sandbox beside the server (demo and tests); its URL then feeds ``channels``.
    run_sandbox: bool = False
    sandbox_time_scale: float = 1.0
    sandbox_credentials_path: Path = Path("var/sandbox-credentials.json")
    # Run the background worker as a process managed by the server (demo only).
    embedded_worker: bool = False
    # Start an embedded Redis (fakeredis over TCP) shared by every worker process.
    embedded_redis: bool = False
    session_ttl_seconds: int = 7 * 24 * 3600
    login_rate_per_minute: int = 30
    log_json: bool = True
    var_dir: Path = Path("var")
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.host}:{self.sandbox_port}"


def _key(env: Mapping[str, str], name: str) -> bytes:
    raw = env.get(name)
    if not raw:
        raise SettingsError(f"{name} is required (32 random bytes, base64)")
    try:
        value = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SettingsError(f"{name} must be base64") from exc
    if len(value) != 32:
        raise SettingsError(f"{name} must decode to exactly 32 bytes, got {len(value)}")
    if len(set(value)) < 8:
        raise SettingsError(f"{name} looks like a constant, not a random key")
    return value


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is required")
    return value


def _demo_secrets(var_dir: Path) -> tuple[bytes, bytes]:
    """Keys the demo makes once and keeps, so its encrypted data stays readable."""
    path = var_dir / "demo-secrets.json"
    if path.exists():
        data = json.loads(path.read_text())
    else:
        data = {
            "pii_key": base64.b64encode(secrets.token_bytes(32)).decode(),
            "pii_hash_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
        path.chmod(0o600)
    return base64.b64decode(data["pii_key"]), base64.b64decode(data["pii_hash_key"])


def _channels_from_env(env: Mapping[str, str]) -> ChannelSettings:
    return ChannelSettings(
        wechat_appid=_required(env, "WECHAT_APPID"),
        wechat_secret=_required(env, "WECHAT_SECRET"),
        wechat_mch_id=_required(env, "WECHAT_MCH_ID"),
        wechat_api_key=_required(env, "WECHAT_API_KEY"),
        wechat_api_base_url=env.get("WECHAT_API_BASE_URL", "https://api.weixin.qq.com/"),
        alipay_app_id=_required(env, "ALIPAY_APP_ID"),
        alipay_seller_id=_required(env, "ALIPAY_SELLER_ID"),
        alipay_app_private_key=Path(_required(env, "ALIPAY_APP_PRIVATE_KEY_FILE")).read_text(),
        alipay_public_key=Path(_required(env, "ALIPAY_PUBLIC_KEY_FILE")).read_text(),
        alipay_gateway_url=env.get("ALIPAY_GATEWAY_URL", "https://openapi.alipay.com/gateway.do"),
        app_client_id=_required(env, "APP_CLIENT_ID"),
        app_client_secret=_required(env, "APP_CLIENT_SECRET"),
        app_base_url=_required(env, "APP_BASE_URL"),
    )


def load_settings(
    env: Mapping[str, str],
    *,
    demo: bool = False,
    host: str = "127.0.0.1",
    port: int = 8000,
    sandbox_port: int = 8001,
    workers: int = 1,
) -> Settings:
    """Build settings from an environment mapping; raises SettingsError naming what is wrong."""
    var_dir = Path(env.get("YIWANG_VAR_DIR", "var"))
    use_sandbox = demo or env.get("YIWANG_SANDBOX", "") == "1"
    public_base = env.get("PUBLIC_BASE_URL", f"http://{host}:{port}")
    credentials_path = var_dir / "sandbox-credentials.json"
    if demo:
        pii_key, pii_hash_key = _demo_secrets(var_dir)
    else:
        pii_key, pii_hash_key = _key(env, "PII_KEY"), _key(env, "PII_HASH_KEY")
        if pii_key == pii_hash_key:
            raise SettingsError("PII_KEY and PII_HASH_KEY must differ")
    if use_sandbox:
        channels = ChannelSettings.from_sandbox(
            load_or_create(credentials_path), f"http://{host}:{sandbox_port}"
        )
    else:
        channels = _channels_from_env(env)
    database_url = env.get("DATABASE_URL") or (f"sqlite://{var_dir}/yiwang.sqlite3" if demo else "")
    if not database_url:
        raise SettingsError("DATABASE_URL is required (postgres://…), or run with --demo")
    redis_url = env.get("REDIS_URL", "")
    if not redis_url and not demo:
        raise SettingsError("REDIS_URL is required (redis://…), or run with --demo")
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        pii_key=pii_key,
        pii_hash_key=pii_hash_key,
        channels=channels,
        public_base_url=public_base.rstrip("/"),
        demo=demo,
        host=host,
        port=port,
        sandbox_port=sandbox_port,
        workers=workers,
        run_sandbox=use_sandbox,
        sandbox_time_scale=float(env.get("YIWANG_SANDBOX_TIME_SCALE", "1.0")),
        sandbox_credentials_path=credentials_path,
        embedded_worker=demo or env.get("YIWANG_EMBEDDED_WORKER", "") == "1",
        embedded_redis=demo and not redis_url,
        log_json=env.get("YIWANG_LOG_FORMAT", "json") == "json",
        var_dir=var_dir,
    )


def with_redis(settings: Settings, redis_url: str) -> Settings:
    return replace(settings, redis_url=redis_url)
