"""Typed settings, read once from the environment at the edge (the CLI), then passed down.

Each section is a pydantic-settings model: a field's environment name, its type, its bounds
and its default are written once, on the field. Every variable is validated when the process
starts, and an impossible value stops startup with a message naming the variable. No other
module reads ``os.environ``; outside ``--demo`` a missing or unsafe secret stops startup too,
while the demo generates its own secrets under ``./var/`` and keeps them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

from app.alipay_cert_settings import (
    AlipayCertificates,
    AlipayCertSettingsError,
    alipay_certificates_from_env,
)
from app.crypto_config import CryptoSettings, CryptoSettingsError
from app.wechat_v3_settings import (
    WeChatPayV3Credentials,
    WeChatV3SettingsError,
    wechat_v3_from_env,
)
from infra.pii import PiiVault


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message names the environment variable."""


def _random_key(value: object) -> bytes:
    """A 32-byte key, given as base64 text (the environment) or as bytes (the demo's file)."""
    if isinstance(value, str):
        try:
            value = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("must be base64") from exc
    if not isinstance(value, bytes):
        raise ValueError("must be base64")
    if len(value) != 32:
        raise ValueError(f"must decode to exactly 32 bytes, got {len(value)}")
    if len(set(value)) < 8:
        raise ValueError("looks like a constant, not a random key")
    return value


def _pem_file(value: object) -> str:
    try:
        return Path(str(value)).read_text()
    except OSError as exc:
        raise ValueError(f"cannot read {value}: {exc.strerror}") from exc


def _comma_separated_days(value: object) -> object:
    if isinstance(value, str):
        return tuple(sorted({int(x) for x in value.split(",") if x.strip()}))
    return value


Key = Annotated[bytes, BeforeValidator(_random_key)]
# A key that may be left unset (b""), for one the program derives from another.
DerivableKey = Annotated[bytes, BeforeValidator(lambda v: v if v == b"" else _random_key(v))]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Port = Annotated[int, Field(ge=1, le=65535)]
Weekday = Annotated[int, Field(ge=0, le=6)]
PemFile = Annotated[str, BeforeValidator(_pem_file)]
# A PEM file that a mode may not need ("" when unset).
OptionalPemFile = Annotated[str, BeforeValidator(lambda v: v and _pem_file(v))]


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of ``os.environ``,
    so tests and the CLI hand in the environment they mean; names of fields set only by the
    program (``init_only``) are never taken from it."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._given = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        init_only = {name.lower() for name in getattr(self.settings_cls, "init_only", ())}
        prefix = (self.env_prefix or "").lower()
        given = {k: v for k, v in self._given.items() if k.lower()[len(prefix) :] not in init_only}
        return parse_env_vars(given, self.case_sensitive, self.env_ignore_empty, None)


class EnvSection(BaseSettings):
    """One part of the settings, read from one environment mapping.

    ``SectionClass()`` gives the defaults; ``SectionClass.from_env(env, **given)`` reads the
    variables, with ``given`` (what the program decides, such as ``--demo``) taking precedence.
    """

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", env_ignore_empty=True, validate_by_name=True
    )
    init_only: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str], **given: Any) -> Any:
        try:
            values = _MappingSource(cls, env)()
            return cls(**{**values, **given})
        except ValidationError as exc:
            raise SettingsError(_explain(cls, exc)) from None
        except ValueError as exc:  # pydantic-settings' own parse errors
            raise SettingsError(str(exc)) from None

    @classmethod
    def variable(cls, field_name: str) -> str:
        """The environment variable a field is read from."""
        alias = cls.model_fields[field_name].validation_alias
        if isinstance(alias, str):
            return alias
        if isinstance(alias, AliasChoices):
            return str(alias.choices[-1])
        return (str(cls.model_config.get("env_prefix", "")) + field_name).upper()


def _explain(section: type[EnvSection], exc: ValidationError) -> str:
    """The first problem, named by its environment variable."""
    error = exc.errors(include_url=False)[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message
    head = str(error["loc"][0])
    name = head if head not in section.model_fields else section.variable(head)
    if error["type"] == "missing":
        hint = section.model_fields[head].description if head in section.model_fields else None
        return f"{name} is required" + (f" ({hint})" if hint else "")
    shown = error.get("input")
    if isinstance(shown, str) and any(w in name for w in ("KEY", "TOKEN", "CREDENTIALS")):
        shown = "…"  # a secret is named, never printed
    return f"{name} has an impossible value {shown!r}: {message}"


class AppointmentRules(EnvSection):
    """The appointment rules marked * in DESIGN.md (APPOINTMENT_<FIELD>); times are
    Asia/Shanghai wall-clock."""

    model_config = SettingsConfigDict(env_prefix="APPOINTMENT_")

    release_time: ClockTime = "07:00"
    horizon_days: PositiveInt = 7
    cutoff_time: ClockTime = "15:00"
    cancel_time: ClockTime = "14:00"
    per_department_session: PositiveInt = 1
    per_week: PositiveInt = 8
    per_month: PositiveInt = 12
    no_show_limit: PositiveInt = 3
    no_show_window_days: PositiveInt = 90
    ban_days: NonNegativeInt = 90
    offer_minutes: PositiveInt = 30
    payment_hold_minutes: PositiveInt = 15
    reminder_time: ClockTime = "09:00"
    reminder_template: str = "APPT_REMINDER"
    offer_template: str = "APPT_WAITLIST_OFFER"
    # HMAC-SHA256 key for check-in QR codes (32 bytes base64). Without it the key is derived
    # from PII_HASH_KEY, so the demo and tests need no extra secret.
    checkin_key: DerivableKey = b""
    # After a server process dies, a gate seat PostgreSQL disagrees with is repaired when two
    # looks this many seconds apart both find it (app/appointments/gate_heal.py).
    gate_heal_after_seconds: PositiveFloat = 10.0
    # Anti-automation: during the first ``release_minute_seconds`` after a release (or a
    # lottery's entry opening), a session younger than ``fresh_session_seconds`` may not
    # book or enter (scripts sign in fresh accounts at the release second). 0 turns it off.
    fresh_session_seconds: NonNegativeInt = 10
    release_minute_seconds: NonNegativeInt = 60
    # Fair re-release: a seat given back with nobody waiting returns to general booking at a
    # moment drawn uniformly (OS CSPRNG) between these many seconds after it was freed, not
    # at the second it was freed. A maximum of 0 returns it at once.
    rerelease_min_seconds: NonNegativeInt = 60
    rerelease_max_seconds: NonNegativeInt = 900
    # Kept seats (for staff booking at the hall or by phone): this share of each new slot's
    # places, unless the schedule sets its own, is held back from public booking until
    # ``kept_open_time`` the day before the slot, when what is left opens to everyone.
    kept_percent: Annotated[int, Field(ge=0, le=100)] = 0
    kept_open_time: ClockTime = "12:00"

    @model_validator(mode="after")
    def _rerelease_window(self) -> AppointmentRules:
        if self.rerelease_max_seconds and self.rerelease_min_seconds > self.rerelease_max_seconds:
            raise ValueError("APPOINTMENT_RERELEASE_MIN_SECONDS exceeds the maximum")
        return self


class ServiceRules(EnvSection):
    """Cases, ratings, 12345 tickets and the electronic supervisor (docs/cases.md).

    SERVICE_<FIELD> overrides a default: SERVICE_WEEKEND_DAYS=5,6 (0 = Monday),
    SERVICE_UPLOAD_MAX_BYTES=5242880, SERVICE_DIGEST_TIME=08:30, … Deadlines count working
    days: Monday to Friday unless ``weekend_days`` says otherwise, with holidays and make-up
    working days held as data (supervision_holiday).
    """

    model_config = SettingsConfigDict(env_prefix="SERVICE_")

    upload_max_bytes: PositiveInt = 5 * 1024 * 1024
    materials_per_case: PositiveInt = 10
    photos_per_ticket: NonNegativeInt = 6
    accept_working_days: NonNegativeInt = 1
    deliver_working_days: NonNegativeInt = 2
    rating_invite_after_days: NonNegativeInt = 3
    rectify_reply_working_days: NonNegativeInt = 1
    rectify_fix_working_days: NonNegativeInt = 15
    ticket_reply_working_days: NonNegativeInt = 5
    ticket_reopen_days: NonNegativeInt = 10
    weekend_days: Annotated[
        tuple[Weekday, ...], NoDecode, BeforeValidator(_comma_separated_days), Field(max_length=6)
    ] = (5, 6)
    # A warning this many working days before the due day; a red card this many after it.
    warn_working_days: NonNegativeInt = 1
    red_after_working_days: NonNegativeInt = 3
    digest_time: ClockTime = "08:30"


class AbuseLimits(EnvSection):
    """Limits against walking codes, flooding and password guessing (docs/hostile-input.md).

    ABUSE_<FIELD> overrides a default: ABUSE_NOTICE_LOOKUPS_PER_MINUTE_CITIZEN=30.
    """

    model_config = SettingsConfigDict(env_prefix="ABUSE_")

    notice_lookups_per_minute_citizen: PositiveInt = 30
    notice_lookups_per_minute_client: PositiveInt = 300
    open311_posts_per_minute_key: PositiveInt = 30
    # Slot listings and lottery pages, per client address: scripts poll them for freed seats.
    slot_polls_per_minute_client: PositiveInt = 300
    # The same pages and my bookings, per signed-in citizen (however many addresses they
    # use), and booking attempts per citizen: 429 POLLING_THROTTLED with Retry-After.
    slot_polls_per_minute_citizen: PositiveInt = 60
    booking_attempts_per_minute_citizen: PositiveInt = 20
    open311_posts_per_minute_client: PositiveInt = 20
    # Operator sign-in: free tries, then a delay doubling per failure up to the ceiling.
    signin_free_failures: PositiveInt = 3
    signin_max_delay_seconds: PositiveInt = 300
    # Failures per account within the hour that raise an alert (log line and counter).
    signin_alert_failures: PositiveInt = 10


class ReceiptKeys(BaseModel):
    """The Ed25519 key that signs receipt QR codes now, and the public keys of retired ones.

    RECEIPT_SIGNING_KEY is ``<key_id>:<base64 32-byte private seed>``. Rotating means a new
    key id and seed there, and the old key's public half moving to RECEIPT_RETIRED_PUBLIC_KEYS
    (``<key_id>:<base64 32-byte public key>,…``) so receipts it signed keep verifying.
    """

    model_config = ConfigDict(frozen=True)

    signing_kid: str = ""
    signing_seed: bytes = b""
    retired: Mapping[str, bytes] = Field(default_factory=dict)

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
        return cls(signing_kid=data["key_id"], signing_seed=base64.b64decode(data["seed"]))


_KEY_ID = re.compile(r"[a-z0-9]{1,16}")
RETIRED_ENTRIES = "entries are <key_id>:<base64 32-byte Ed25519 key or 65-byte SM2 point>"


class ReceiptKeyVariables(EnvSection):
    """RECEIPT_SIGNING_KEY and RECEIPT_RETIRED_PUBLIC_KEYS, parsed into :class:`ReceiptKeys`."""

    model_config = SettingsConfigDict(env_prefix="RECEIPT_")

    # Required by the international suite; under the national one (RECEIPT_SM2_KEY signs)
    # a key left here is published as retired, so its YWR1 receipts keep verifying.
    signing_key: str = Field("", description="<key_id>:<base64 32-byte Ed25519 seed>")
    retired_public_keys: str = ""

    @field_validator("signing_key")
    @classmethod
    def _signing(cls, value: str) -> str:
        if not value.strip():
            return ""
        kid, _, seed = value.strip().partition(":")
        if not _KEY_ID.fullmatch(kid):
            raise ValueError("the key id must be 1-16 of a-z, 0-9")
        _random_key(seed)
        return value.strip()

    @field_validator("retired_public_keys")
    @classmethod
    def _retired(cls, value: str) -> str:
        for item in filter(None, value.split(",")):
            kid, _, public_b64 = item.strip().partition(":")
            try:
                public = base64.b64decode(public_b64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(RETIRED_ENTRIES) from exc
            # 32 bytes: a raw Ed25519 key; 65 bytes: an uncompressed SM2 point.
            if not _KEY_ID.fullmatch(kid) or len(public) not in (32, 65):
                raise ValueError(RETIRED_ENTRIES)
        return value

    @model_validator(mode="after")
    def _distinct(self) -> ReceiptKeyVariables:
        if self.signing_kid in self.retired:
            raise ValueError(
                "RECEIPT_RETIRED_PUBLIC_KEYS may not retire the signing key id"
            )
        return self

    @property
    def signing_kid(self) -> str:
        return self.signing_key.partition(":")[0]

    @property
    def retired(self) -> dict[str, bytes]:
        pairs = (item.strip().partition(":") for item in self.retired_public_keys.split(","))
        return {kid: base64.b64decode(public) for kid, _, public in pairs if kid}

    def keys(self) -> ReceiptKeys:
        if not self.signing_key:
            return ReceiptKeys(retired=self.retired)
        seed = base64.b64decode(self.signing_key.partition(":")[2])
        return ReceiptKeys(signing_kid=self.signing_kid, signing_seed=seed, retired=self.retired)


class ChannelModes(EnvSection):
    """Which WeChat Pay API and which Alipay signing mode the merchant runs (issue 16).

    The v3 keys and the Alipay certificates are files read by app/wechat_v3_settings.py and
    app/alipay_cert_settings.py, which name the variable when one is missing or malformed.
    """

    wechat_pay_api: Literal["v3", "v2"] = Field("v3", validation_alias="WECHAT_PAY_API")
    alipay_sign_mode: Literal["key", "cert"] = Field("key", validation_alias="ALIPAY_SIGN_MODE")


class ChannelSettings(ChannelModes):
    """Merchant credentials and base URLs for the three channels (sandbox or real)."""

    init_only: ClassVar[tuple[str, ...]] = ("wechat_v3", "alipay_certificates")

    wechat_appid: str = Field(min_length=1)
    wechat_secret: str = Field(min_length=1)
    wechat_mch_id: str = Field(min_length=1)
    # API v2's key: required under v2; under v3 kept during a switch, so v2 notifications
    # still in flight verify (docs/channels/wechat.md).
    wechat_api_key: str = ""
    wechat_api_base_url: str = "https://api.weixin.qq.com/"
    alipay_app_id: str = Field(min_length=1)
    alipay_seller_id: str = Field(min_length=1)
    alipay_app_private_key: PemFile = Field(validation_alias="ALIPAY_APP_PRIVATE_KEY_FILE")
    # Public-key mode only; certificate mode takes Alipay's key from its certificate.
    alipay_public_key: OptionalPemFile = Field("", validation_alias="ALIPAY_PUBLIC_KEY_FILE")
    alipay_gateway_url: str = "https://openapi.alipay.com/gateway.do"
    app_client_id: str = Field(min_length=1)
    app_client_secret: str = Field(min_length=1)
    app_base_url: str = Field(min_length=1)
    timeout_seconds: PositiveFloat = Field(5.0, validation_alias="CHANNEL_TIMEOUT_SECONDS")
    # Set from the key and certificate files when the mode needs them.
    wechat_v3: WeChatPayV3Credentials | None = None
    alipay_certificates: AlipayCertificates | None = None

    @model_validator(mode="after")
    def _modes_have_their_keys(self) -> ChannelSettings:
        if self.wechat_pay_api == "v2" and not self.wechat_api_key:
            raise ValueError("WECHAT_API_KEY is required with WECHAT_PAY_API=v2")
        if self.alipay_sign_mode == "key" and not self.alipay_public_key:
            raise ValueError("ALIPAY_PUBLIC_KEY_FILE is required with ALIPAY_SIGN_MODE=key")
        return self

    @classmethod
    def from_sandbox(cls, creds: Any, sandbox_url: str, modes: ChannelModes) -> ChannelSettings:
        """The sandbox's own credentials (``channels.sandbox.credentials``), which it made:
        every mode's keys and certificates, so either mode runs against it."""
        base = sandbox_url.rstrip("/")
        return cls.model_construct(
            wechat_pay_api=modes.wechat_pay_api,
            alipay_sign_mode=modes.alipay_sign_mode,
            wechat_v3=WeChatPayV3Credentials(
                private_key=creds.wechat_merchant_private_key,
                cert_serial=creds.wechat_merchant_serial,
                apiv3_key=creds.wechat_apiv3_key,
                public_keys={creds.wechat_pay_public_key_id: creds.wechat_pay_public_key},
                base_url=base,
            ),
            alipay_certificates=AlipayCertificates(
                app_public_cert=creds.alipay_app_public_cert,
                alipay_public_cert=creds.alipay_public_cert,
                alipay_root_cert=creds.alipay_root_cert,
            ),
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
            timeout_seconds=5.0,
        )


class Launch(EnvSection):
    """Where this process keeps its files and what it starts beside itself (tests, demo)."""

    var_dir: Path = Field(Path("var"), validation_alias="YIWANG_VAR_DIR")
    # Point the channels at the local sandbox and run it beside the server.
    sandbox: bool = Field(False, validation_alias="YIWANG_SANDBOX")
    sandbox_port: Port = Field(8001, validation_alias="YIWANG_SANDBOX_PORT")
    sandbox_time_scale: PositiveFloat = Field(1.0, validation_alias="YIWANG_SANDBOX_TIME_SCALE")
    # Every this-many-th v3 payment notification the sandbox sends is preceded by a
    # signature probe (WECHATPAY/SIGNTEST/…); 0 sends none unless asked.
    sandbox_probe_every: NonNegativeInt = Field(10, validation_alias="YIWANG_SANDBOX_PROBE_EVERY")
    # Run the background worker as a process managed by the server.
    embedded_worker: bool = Field(False, validation_alias="YIWANG_EMBEDDED_WORKER")


class Operations(EnvSection):
    """How an instance runs beside others (docs/operations.md), from YIWANG_<FIELD>.

    ``sandbox_url`` points every channel at a sandbox that runs on its own (``yiwang
    sandbox``); the instance then starts none. ``sandbox_credentials`` is the line ``yiwang
    secrets generate --sandbox`` printed, shared by that sandbox and every instance.
    ``metrics_token`` lets a scraper that is not on this machine read ``/metrics``. On
    SIGTERM the instance fails readiness for ``drain_seconds`` while it still serves, so the
    balancer moves away first; then it stops accepting and gives requests in flight
    ``grace_seconds`` to finish. ``proxies_count`` is how many proxies of ours stand in
    front (1 behind one nginx): the client's address is then read from X-Forwarded-For, so
    rate limits count residents, not the proxy. ``outbox_lease_seconds`` is how long an
    event a worker took stays its own: after a worker dies mid-delivery another delivers
    the event once it has passed.
    """

    model_config = SettingsConfigDict(env_prefix="YIWANG_")

    sandbox_url: str = ""
    sandbox_credentials: str = ""
    metrics_token: str = ""
    # Set by the composition root (one directory per instance), never read by name.
    metrics_dir: Path | None = None
    drain_seconds: float = Field(0.0, ge=0, le=600)
    grace_seconds: float = Field(15.0, ge=0, le=600)
    proxies_count: int = Field(0, ge=0, le=5)
    outbox_lease_seconds: float = Field(60.0, gt=0, le=3600)
    # YIWANG_REQUEST_METRICS=false stops observing each request (bench/ measures the cost).
    request_metrics: bool = True
    # How long a new HTTP worker process may take to come up before Sanic's manager gives up
    # on the whole server (Sanic's own default is 30 s). A start is ~3 s of CPU (imports,
    # pools); on a host busy with other work it took over 90 s.
    worker_start_seconds: float = Field(30.0, ge=5, le=3600)
    init_only: ClassVar[tuple[str, ...]] = ("metrics_dir",)

    @field_validator("sandbox_url")
    @classmethod
    def _bare_url(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @field_validator("metrics_token")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value.strip() and len(value.strip()) < 16:
            raise ValueError("must be at least 16 characters")
        return value.strip()


class Settings(EnvSection):
    """Everything a process needs, built once by :func:`load_settings` and passed down."""

    # Set by the program (command-line flags, the sections above), never read by name.
    init_only: ClassVar[tuple[str, ...]] = (
        "channels", "demo", "host", "port", "sandbox_port", "workers", "run_sandbox",
        "sandbox_time_scale", "sandbox_credentials_path", "embedded_worker", "embedded_redis",
        "sandbox_probe_every",
        "appointments", "receipt_keys", "service_rules", "var_dir", "abuse", "ops", "crypto",
    )  # fmt: skip

    database_url: str = Field(description="postgres://…, or run with --demo")
    redis_url: str = ""
    # 32-byte keys: AES-256-GCM for personal data at rest, HMAC-SHA256 for lookups.
    pii_key: Key = Field(description="32 random bytes, base64")
    pii_hash_key: Key = Field(description="32 random bytes, base64")
    channels: ChannelSettings
    # Where channels reach our notify URLs and residents reach the public pages
    # (default: http://<host>:<port>).
    public_base_url: str = ""
    demo: bool = False
    host: str = "127.0.0.1"
    port: Port = 8000
    sandbox_port: Port
    workers: PositiveInt = 1
    run_sandbox: bool = False
    sandbox_time_scale: PositiveFloat
    sandbox_probe_every: NonNegativeInt = 10
    sandbox_credentials_path: Path
    embedded_worker: bool = False
    # Start an embedded Redis (fakeredis over TCP) shared by every worker process.
    embedded_redis: bool = False
    session_ttl_seconds: PositiveInt = 7 * 24 * 3600
    # Unpaid orders expire (and are closed at the channel) after this many minutes.
    order_ttl_minutes: PositiveInt = 30
    # Orders still PAYING this long after the payment started are queried at the channel.
    paying_query_after_minutes: PositiveInt = 5
    login_rate_per_minute: PositiveInt = 30
    catalog_cache_seconds: NonNegativeInt = 600
    operator_session_ttl_seconds: PositiveInt = 8 * 3600
    appointments: AppointmentRules = Field(default_factory=AppointmentRules)
    # Violation lookups per minute (anti-enumeration) and the lookup cache's lifetime.
    violation_lookups_per_minute_citizen: PositiveInt = 30
    violation_lookups_per_minute_client: PositiveInt = 300
    violation_cache_seconds: NonNegativeInt = 300
    receipt_keys: ReceiptKeys = Field(default_factory=ReceiptKeys)
    receipt_verifications_per_minute: PositiveInt = 60
    service_rules: ServiceRules = Field(default_factory=ServiceRules)
    abuse: AbuseLimits = Field(default_factory=AbuseLimits)
    # YIWANG_LOG_FORMAT: json or text; unset, the demo writes text to a terminal and JSON
    # lines anywhere else (a file, a pipe, a log collector), and everything else JSON.
    log_format: Literal["json", "text", "auto"] = Field(
        "auto", validation_alias="YIWANG_LOG_FORMAT"
    )
    var_dir: Path
    ops: Operations = Field(default_factory=Operations)
    # --- tests only: business time starts at ``clock_start`` (YIWANG_CLOCK_START, an ISO
    # instant with its offset), the instant it was at real time ``clock_real``
    # (YIWANG_CLOCK_REAL; default: when the settings were read), so every process of a server
    # runs at the same set hour.
    clock_start: AwareDatetime | None = Field(None, validation_alias="YIWANG_CLOCK_START")
    clock_real: AwareDatetime = Field(
        default_factory=lambda: datetime.now(UTC), validation_alias="YIWANG_CLOCK_REAL"
    )
    # --- national cryptography: the suite and its keys (app/crypto_config.py).
    crypto: CryptoSettings | None = None

    @property
    def crypto_suite(self) -> CryptoSettings:
        """The configured suite; settings built without one read only the old keys."""
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
    def clock_offset(self) -> timedelta:
        """Business time minus real time (zero unless a start was set)."""
        if self.clock_start is None:
            return timedelta(0)
        return self.clock_start - self.clock_real

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if not self.redis_url and not self.demo:
            raise ValueError("REDIS_URL is required (redis://…), or run with --demo")
        if self.pii_key == self.pii_hash_key:
            raise ValueError("PII_KEY and PII_HASH_KEY must differ")
        return self

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def log_json(self) -> bool:
        if self.log_format == "auto":
            return not (self.demo and sys.stderr.isatty())
        return self.log_format == "json"

    @property
    def sandbox_url(self) -> str:
        return self.ops.sandbox_url or f"http://{self.host}:{self.sandbox_port}"


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


def sandbox_credentials(ops: Operations, path: Path) -> Any:
    """The channel credentials the sandbox knows: from YIWANG_SANDBOX_CREDENTIALS when set
    (every process of a stack reads the same line), else the file, made on first use."""
    # Imported here, not at the top: only a process that runs against a sandbox needs its
    # credentials, and the settings model itself knows nothing of channels.
    from channels.sandbox.credentials import decode, load_or_create

    if ops.sandbox_credentials:
        try:
            return decode(ops.sandbox_credentials)
        except ValueError as exc:
            raise SettingsError(f"YIWANG_SANDBOX_CREDENTIALS: {exc}") from exc
    return load_or_create(path)


def _sandbox_channels(
    ops: Operations, credentials_path: Path, sandbox_url: str, env: Mapping[str, str]
) -> ChannelSettings:
    return ChannelSettings.from_sandbox(
        sandbox_credentials(ops, credentials_path), sandbox_url, ChannelModes.from_env(env)
    )


def _production_channels(env: Mapping[str, str]) -> ChannelSettings:
    """The merchant's credentials, with the key and certificate files its modes need."""
    channels: ChannelSettings = ChannelSettings.from_env(env)
    try:
        v3 = wechat_v3_from_env(env) if channels.wechat_pay_api == "v3" else None
        certificates = (
            alipay_certificates_from_env(env) if channels.alipay_sign_mode == "cert" else None
        )
    except (WeChatV3SettingsError, AlipayCertSettingsError) as exc:
        raise SettingsError(str(exc)) from None
    return channels.model_copy(update={"wechat_v3": v3, "alipay_certificates": certificates})


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
    launch: Launch = Launch.from_env(env)
    ops: Operations = Operations.from_env(env)
    var_dir = launch.var_dir
    sandbox_port = launch.sandbox_port if sandbox_port is None else sandbox_port
    # A sandbox of the stack's own (YIWANG_SANDBOX_URL) replaces the one run beside us.
    run_sandbox = not ops.sandbox_url and (demo or launch.sandbox)
    sandbox_url = ops.sandbox_url or f"http://{host}:{sandbox_port}"
    given: dict[str, Any] = {}
    if demo:
        given["pii_key"], given["pii_hash_key"] = _demo_secrets(var_dir)
        if not env.get("DATABASE_URL"):
            given["database_url"] = f"sqlite://{var_dir}/yiwang.sqlite3"
    credentials_path = var_dir / "sandbox-credentials.json"
    settings: Settings = Settings.from_env(
        env,
        **given,
        channels=(
            _sandbox_channels(ops, credentials_path, sandbox_url, env)
            if run_sandbox or ops.sandbox_url
            else _production_channels(env)
        ),
        ops=ops,
        demo=demo,
        host=host,
        port=port,
        sandbox_port=sandbox_port,
        workers=workers,
        run_sandbox=run_sandbox,
        sandbox_time_scale=launch.sandbox_time_scale,
        sandbox_probe_every=launch.sandbox_probe_every,
        sandbox_credentials_path=credentials_path,
        embedded_worker=demo or launch.embedded_worker,
        embedded_redis=demo and not env.get("REDIS_URL"),
        var_dir=var_dir,
        service_rules=ServiceRules.from_env(env),
        abuse=AbuseLimits.from_env(env),
        receipt_keys=(
            ReceiptKeys.demo(var_dir) if demo else ReceiptKeyVariables.from_env(env).keys()
        ),
    )
    rules: AppointmentRules = AppointmentRules.from_env(env)
    if not rules.checkin_key:
        derived = hmac.new(settings.pii_hash_key, b"yiwang/appointments/check-in", hashlib.sha256)
        rules = rules.model_copy(update={"checkin_key": derived.digest()})
    if not settings.public_base_url:
        settings = settings.model_copy(update={"public_base_url": f"http://{host}:{port}"})
    crypto = _crypto_from_env(env, demo, var_dir, settings.pii_key, settings.pii_hash_key)
    if crypto.suite == "international" and not settings.receipt_keys.signing_kid:
        raise SettingsError("RECEIPT_SIGNING_KEY is required (<key_id>:<base64 32-byte Ed25519 "
                            "seed>) by CRYPTO_SUITE=international")
    return settings.model_copy(update={"appointments": rules, "crypto": crypto})


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
    return settings.model_copy(update={"redis_url": redis_url})
