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

from app.crypto_config import CryptoSettings, CryptoSettingsError
from channels.sandbox.credentials import SandboxCredentials, load_or_create
from infra.pii import PiiVault

# Online levels (星级) of a service item, 1-5; level 5 is fully online (零登门).
ONLINE_LEVELS: dict[int, str] = {
    1: "信息公开: the guide is published online; everything is done at the counter",
    2: "在线预约/下载: forms can be downloaded or a visit booked online",
    3: "在线预审: materials are submitted and pre-checked online; one visit to finish",
    4: "在线办理: applied for and decided online; one visit to collect the result",
    5: "全程网办: fully online from application to result, no visit (零登门)",
}


@dataclass(frozen=True)
class AppointmentRules:
    """The appointment rules marked * in DESIGN.md; times are Asia/Shanghai wall-clock."""

    release_time: str = "07:00"
    horizon_days: int = 7
    cutoff_time: str = "15:00"
    cancel_time: str = "14:00"
    per_department_session: int = 1
    per_week: int = 8
    per_month: int = 12
    no_show_limit: int = 3
    no_show_window_days: int = 90
    ban_days: int = 90
    offer_minutes: int = 30
    payment_hold_minutes: int = 15
    reminder_time: str = "09:00"
    reminder_template: str = "APPT_REMINDER"
    offer_template: str = "APPT_WAITLIST_OFFER"
    # HMAC-SHA256 key for check-in QR codes (APPOINTMENT_CHECKIN_KEY, 32 bytes base64).
    checkin_key: bytes = b""

    @classmethod
    def from_env(cls, env: Mapping[str, str], fallback_key: bytes) -> AppointmentRules:
        """Integers and times from APPOINTMENT_* variables; the key falls back to one
        derived from ``fallback_key`` so the demo and tests need no extra secret."""
        import hashlib
        import hmac

        ints = {
            name: int(env[f"APPOINTMENT_{name.upper()}"])
            for name in (
                "horizon_days",
                "per_department_session",
                "per_week",
                "per_month",
                "no_show_limit",
                "no_show_window_days",
                "ban_days",
                "offer_minutes",
                "payment_hold_minutes",
            )
            if f"APPOINTMENT_{name.upper()}" in env
        }
        times = {
            name: env[f"APPOINTMENT_{name.upper()}"]
            for name in ("release_time", "cutoff_time", "cancel_time", "reminder_time")
            if f"APPOINTMENT_{name.upper()}" in env
        }
        key = (
            _key(env, "APPOINTMENT_CHECKIN_KEY")
            if env.get("APPOINTMENT_CHECKIN_KEY")
            else hmac.new(fallback_key, b"yiwang/appointments/check-in", hashlib.sha256).digest()
        )
        return cls(**ints, **times, checkin_key=key)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ServiceRules:
    """Cases, ratings, 12345 tickets and the electronic supervisor (docs/cases.md).

    Deadlines count working days: Monday to Friday unless ``weekend_days`` says otherwise
    (0 = Monday), with holidays and make-up working days held as data (supervision_holiday).
    """

    upload_max_bytes: int = 5 * 1024 * 1024
    materials_per_case: int = 10
    photos_per_ticket: int = 6
    accept_working_days: int = 1
    deliver_working_days: int = 2
    rating_invite_after_days: int = 3
    rectify_reply_working_days: int = 1
    rectify_fix_working_days: int = 15
    ticket_reply_working_days: int = 5
    ticket_reopen_days: int = 10
    weekend_days: tuple[int, ...] = (5, 6)
    # A warning this many working days before the due day; a red card this many after it.
    warn_working_days: int = 1
    red_after_working_days: int = 3
    digest_time: str = "08:30"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServiceRules:
        """SERVICE_<FIELD> overrides a default: SERVICE_WEEKEND_DAYS=5,6 (0 = Monday),
        SERVICE_UPLOAD_MAX_BYTES=5242880, SERVICE_DIGEST_TIME=08:30, …"""
        import re
        from dataclasses import fields as dataclass_fields

        values: dict[str, object] = {}
        for f in dataclass_fields(cls):
            raw = env.get(f"SERVICE_{f.name.upper()}")
            if raw is None:
                continue
            name = f"SERVICE_{f.name.upper()}"
            try:
                if f.name == "weekend_days":
                    days = tuple(sorted({int(x) for x in raw.split(",") if x.strip()}))
                    if any(not 0 <= d <= 6 for d in days) or len(days) > 6:
                        raise ValueError
                    values[f.name] = days
                elif f.name == "digest_time":
                    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", raw):
                        raise ValueError
                    values[f.name] = raw
                else:
                    number = int(raw)
                    if number < 0 or (number == 0 and f.name.endswith(("_bytes", "_case"))):
                        raise ValueError
                    values[f.name] = number
            except ValueError as exc:
                raise SettingsError(f"{name} has an impossible value: {raw!r}") from exc
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ReceiptKeys:
    """The Ed25519 key that signs receipt QR codes now, and the public keys of retired ones.

    RECEIPT_SIGNING_KEY is ``<key_id>:<base64 32-byte private seed>``. Rotating means a new
    key id and seed here, and the old key's public half moving to RECEIPT_RETIRED_PUBLIC_KEYS
    (``<key_id>:<base64 32-byte public key>,…``) so receipts it signed keep verifying.
    """

    signing_kid: str = ""
    signing_seed: bytes = b""
    retired: Mapping[str, bytes] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, required: bool = True) -> ReceiptKeys:
        import re

        raw = env.get("RECEIPT_SIGNING_KEY", "").strip()
        if not raw and required:
            raise SettingsError(
                "RECEIPT_SIGNING_KEY is required (<key_id>:<base64 32-byte Ed25519 seed>)"
            )
        kid, seed = "", b""
        if raw:
            kid, _, seed_b64 = raw.partition(":")
            if not re.fullmatch(r"[a-z0-9]{1,16}", kid):
                raise SettingsError("RECEIPT_SIGNING_KEY key id must be 1-16 of a-z, 0-9")
            seed = _key({"RECEIPT_SIGNING_KEY": seed_b64}, "RECEIPT_SIGNING_KEY")
        retired: dict[str, bytes] = {}
        for item in filter(None, env.get("RECEIPT_RETIRED_PUBLIC_KEYS", "").split(",")):
            old_kid, _, public_b64 = item.strip().partition(":")
            try:
                public = base64.b64decode(public_b64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise SettingsError("RECEIPT_RETIRED_PUBLIC_KEYS must be base64") from exc
            # 32 bytes: a raw Ed25519 key; 65 bytes: an uncompressed SM2 point.
            if not re.fullmatch(r"[a-z0-9]{1,16}", old_kid) or len(public) not in (32, 65):
                raise SettingsError(
                    "RECEIPT_RETIRED_PUBLIC_KEYS entries are <key_id>:<base64 32-byte Ed25519 "
                    "or 65-byte SM2 key>"
                )
            if old_kid == kid:
                raise SettingsError("a retired receipt key id may not be the signing key id")
            retired[old_kid] = public
        return cls(kid, seed, retired)

    @classmethod
    def demo(cls, var_dir: Path) -> ReceiptKeys:
        """The demo makes one key once and keeps it, so its receipts keep verifying."""
        path = var_dir / "demo-receipt-key.json"
        if path.exists():
            data = json.loads(path.read_text())
        else:
            data = {"key_id": "demo1", "seed": base64.b64encode(secrets.token_bytes(32)).decode()}
            var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data))
            path.chmod(0o600)
        return cls(data["key_id"], base64.b64decode(data["seed"]))


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
    # Unpaid orders expire (and are closed at the channel) after this many minutes.
    order_ttl_minutes: int = 30
    # Orders still PAYING this long after the payment started are queried at the channel.
    paying_query_after_minutes: int = 5
    login_rate_per_minute: int = 30
    # --- catalog: what each online level (星级) means; docs/catalog.md repeats it.
    online_levels: Mapping[int, str] = field(default_factory=lambda: dict(ONLINE_LEVELS))
    catalog_cache_seconds: int = 600
    operator_session_ttl_seconds: int = 8 * 3600
    operator_max_failed_logins: int = 5
    operator_lockout_seconds: int = 15 * 60
    # --- appointments: release, limits, bans, waitlist, holds (DESIGN.md *).
    appointments: AppointmentRules = field(default_factory=AppointmentRules)
    # --- violations: lookup limits per minute (anti-enumeration) and cache lifetime.
    violation_lookups_per_minute_citizen: int = 30
    violation_lookups_per_minute_client: int = 300
    violation_cache_seconds: int = 300
    # --- receipts: the QR signing keys, and verifications per client per minute.
    receipt_keys: ReceiptKeys = field(default_factory=ReceiptKeys)
    receipt_verifications_per_minute: int = 60
    # --- cases, evaluations, 12345 interactions, supervision (docs/cases.md).
    service_rules: ServiceRules = field(default_factory=ServiceRules)
    log_json: bool = True
    var_dir: Path = Path("var")
    # --- national cryptography: the suite and its keys (app/crypto_config.py).
    crypto: CryptoSettings | None = None

    @property
    def crypto_suite(self) -> CryptoSettings:
        if self.crypto is None:
            return CryptoSettings.from_env(
                {"CRYPTO_SUITE": "international"},
                legacy_key=self.pii_key,
                legacy_hash_key=self.pii_hash_key,
            )
        return self.crypto

    def vault(self) -> PiiVault:
        return self.crypto_suite.vault()

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
    sandbox_port: int | None = None,
    workers: int = 1,
) -> Settings:
    """Build settings from an environment mapping; raises SettingsError naming what is wrong.

    The sandbox port comes from the argument, else YIWANG_SANDBOX_PORT, else 8001, so
    one-off commands (refund, reconcile) reach the same sandbox as the running server.
    """
    if sandbox_port is None:
        sandbox_port = int(env.get("YIWANG_SANDBOX_PORT", "8001"))
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
    crypto = _crypto_from_env(env, demo, var_dir, pii_key, pii_hash_key)
    return Settings(
        crypto=crypto,
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
        login_rate_per_minute=int(env.get("LOGIN_RATE_PER_MINUTE", "30")),
        var_dir=var_dir,
        appointments=AppointmentRules.from_env(env, pii_hash_key),
        service_rules=ServiceRules.from_env(env),
        receipt_keys=ReceiptKeys.demo(var_dir)
        if demo
        else ReceiptKeys.from_env(env, required=crypto.suite == "international"),
        receipt_verifications_per_minute=int(env.get("RECEIPT_VERIFICATIONS_PER_MINUTE", "60")),
        violation_lookups_per_minute_citizen=int(
            env.get("VIOLATION_LOOKUPS_PER_MINUTE_CITIZEN", "30")
        ),
        violation_lookups_per_minute_client=int(
            env.get("VIOLATION_LOOKUPS_PER_MINUTE_CLIENT", "300")
        ),
    )


def _crypto_from_env(
    env: Mapping[str, str], demo: bool, var_dir: Path, key: bytes, hash_key: bytes
) -> CryptoSettings:
    try:
        if demo:
            return CryptoSettings.demo(var_dir, legacy_key=key, legacy_hash_key=hash_key)
        return CryptoSettings.from_env(env, legacy_key=key, legacy_hash_key=hash_key)
    except CryptoSettingsError as exc:
        raise SettingsError(str(exc)) from exc


def with_redis(settings: Settings, redis_url: str) -> Settings:
    return replace(settings, redis_url=redis_url)
