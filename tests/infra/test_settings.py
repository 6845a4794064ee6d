"""Settings are read once and fail fast, naming the variable that is missing or impossible."""

from __future__ import annotations

import base64
import secrets

import pytest

from app.config import AppointmentRules, ServiceRules, SettingsError, load_settings
from app.crypto_config import national_secrets


def _env(**extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": "postgres://127.0.0.1/x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "PII_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PII_HASH_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "RECEIPT_SIGNING_KEY": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "YIWANG_SANDBOX": "1",
        **national_secrets(),
        **extra,
    }


def test_the_work_calendar_and_limits_come_from_the_environment(tmp_path) -> None:
    rules = load_settings(
        _env(
            YIWANG_VAR_DIR=str(tmp_path),
            SERVICE_WEEKEND_DAYS="6",
            SERVICE_UPLOAD_MAX_BYTES="1048576",
            SERVICE_DIGEST_TIME="07:45",
        )
    ).service_rules
    assert rules.weekend_days == (6,)
    assert rules.upload_max_bytes == 1024 * 1024
    assert rules.digest_time == "07:45"
    assert rules.rectify_fix_working_days == ServiceRules().rectify_fix_working_days


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SERVICE_WEEKEND_DAYS", "5,7"),
        ("SERVICE_WEEKEND_DAYS", "sat"),
        ("SERVICE_DIGEST_TIME", "25:00"),
        ("SERVICE_UPLOAD_MAX_BYTES", "0"),
        ("SERVICE_ACCEPT_WORKING_DAYS", "-1"),
    ],
)
def test_an_impossible_service_rule_stops_startup_naming_it(tmp_path, name, value) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(_env(YIWANG_VAR_DIR=str(tmp_path), **{name: value}))


def test_a_missing_secret_is_named(tmp_path) -> None:
    env = _env(YIWANG_VAR_DIR=str(tmp_path))
    del env["PII_HASH_KEY"]
    with pytest.raises(SettingsError, match="PII_HASH_KEY"):
        load_settings(env)


@pytest.mark.parametrize("missing", ["PII_SM4_KEYS", "PII_SM3_HASH_KEYS", "RECEIPT_SM2_KEY"])
def test_the_national_suite_refuses_to_start_without_its_keys(tmp_path, missing: str) -> None:
    env = _env(YIWANG_VAR_DIR=str(tmp_path))
    del env[missing]
    with pytest.raises(SettingsError, match=missing):
        load_settings(env)
    # The international suite runs on the keys it always had.
    assert load_settings({**env, "CRYPTO_SUITE": "international"}).vault().current.key_id == "v1"


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("PII_SM4_KEYS", "sm1:" + base64.b64encode(secrets.token_bytes(32)).decode(), "16 bytes"),
        ("PII_SM4_KEYS", "SM1:" + base64.b64encode(secrets.token_bytes(16)).decode(), "key id"),
        ("PII_SM4_KEYS", "v1:" + base64.b64encode(secrets.token_bytes(16)).decode(), "v1"),
        ("PII_SM3_HASH_KEYS", "hm1:***", "base64"),
        ("RECEIPT_SM2_KEY", "r1:" + base64.b64encode(b"\x07" * 32).decode(), "constant"),
        ("CRYPTO_SUITE", "aes", "national or international"),
    ],
)
def test_a_malformed_crypto_setting_is_named(tmp_path, name, value, complaint) -> None:
    with pytest.raises(SettingsError, match=name if name != "CRYPTO_SUITE" else complaint) as e:
        load_settings(_env(YIWANG_VAR_DIR=str(tmp_path), **{name: value}))
    assert complaint in str(e.value)


def test_national_settings_seal_with_sm4_and_keep_the_old_keys_readable(tmp_path) -> None:
    env = _env(YIWANG_VAR_DIR=str(tmp_path))
    before = load_settings({**env, "CRYPTO_SUITE": "international"}).vault()
    old = before.encrypt("id_number", "330106199003071236")
    vault = load_settings(env).vault()
    assert vault.current.algorithm == "SM4-GCM" and vault.lookup_keys[0].algorithm == "HMAC-SM3"
    assert vault.decrypt("id_number", old) == "330106199003071236"
    assert before.lookup_hash("id_number", "x") in vault.lookup_hashes("id_number", "x")
    # Secrets never show in a settings dump (logs, tracebacks).
    settings = load_settings(env)
    assert settings.crypto is not None
    assert base64.b64decode(env["AUDIT_MAC_KEY"]).hex() not in repr(settings).encode().hex()
    assert "audit_mac_key=" not in repr(settings)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APPOINTMENT_RELEASE_TIME", "7:61"),
        ("APPOINTMENT_PER_WEEK", "0"),
        ("APPOINTMENT_CHECKIN_KEY", "not-base64"),
        ("YIWANG_SANDBOX_PORT", "70000"),
        ("YIWANG_LOG_FORMAT", "xml"),
        ("LOGIN_RATE_PER_MINUTE", "many"),
        ("RECEIPT_SIGNING_KEY", "UPPER:abc"),
    ],
)
def test_every_section_names_the_variable_it_refuses(tmp_path, name, value) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(_env(YIWANG_VAR_DIR=str(tmp_path), **{name: value}))


def test_a_refused_secret_is_named_but_never_printed(tmp_path) -> None:
    leaked = "c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0"
    with pytest.raises(SettingsError, match="PII_KEY") as refused:
        load_settings(_env(YIWANG_VAR_DIR=str(tmp_path), PII_KEY=leaked))
    assert leaked not in str(refused.value)


def test_appointment_rules_and_the_check_in_key_come_from_the_environment(tmp_path) -> None:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    rules = load_settings(
        _env(
            YIWANG_VAR_DIR=str(tmp_path),
            APPOINTMENT_RELEASE_TIME="07:30",
            APPOINTMENT_PER_MONTH="20",
            APPOINTMENT_CHECKIN_KEY=key,
        )
    ).appointments
    assert (rules.release_time, rules.per_month) == ("07:30", 20)
    assert rules.checkin_key == base64.b64decode(key)
    assert rules.per_week == AppointmentRules().per_week


def test_without_a_check_in_key_one_is_derived_and_stable(tmp_path) -> None:
    env = _env(YIWANG_VAR_DIR=str(tmp_path))
    first, again = load_settings(env).appointments, load_settings(env).appointments
    assert len(first.checkin_key) == 32
    assert first.checkin_key == again.checkin_key


def test_program_decided_fields_are_not_taken_from_the_environment(tmp_path) -> None:
    settings = load_settings(
        _env(YIWANG_VAR_DIR=str(tmp_path), PORT="1", DEMO="1", WORKERS="9"), port=8123
    )
    assert (settings.port, settings.demo, settings.workers) == (8123, False, 1)


def test_a_server_started_at_a_set_hour_runs_from_it_in_every_process(tmp_path) -> None:
    from datetime import UTC, datetime, timedelta

    from infra import clock

    env = _env(
        YIWANG_VAR_DIR=str(tmp_path),
        YIWANG_CLOCK_START="2026-12-01T23:30:00+08:00",
        YIWANG_CLOCK_REAL="2026-06-01T04:00:00+00:00",
    )
    settings = load_settings(env)
    start = settings.clock_start
    assert start is not None
    assert settings.clock_offset == datetime(2026, 12, 1, 15, 30, tzinfo=UTC) - datetime(
        2026, 6, 1, 4, tzinfo=UTC
    )
    saved = clock.offset()
    try:
        # Two processes given the same pair read the same business time, whenever they start.
        clock.start_at(start, real=settings.clock_real)
        elapsed = datetime.now(UTC) - settings.clock_real
        assert abs(clock.now() - (start + elapsed)) < timedelta(seconds=1)
        clock.travel(timedelta(hours=1))
        clock.start_at(start, real=settings.clock_real)
        assert clock.offset() == settings.clock_offset + timedelta(hours=1)  # travel kept
        clock.reset()
        assert clock.offset() == settings.clock_offset  # back to the start, not real time
    finally:
        real = datetime.now(UTC)
        clock.start_at(real + saved, real=real)
        clock.reset()
    with pytest.raises(SettingsError, match="YIWANG_CLOCK_START"):
        load_settings({**env, "YIWANG_CLOCK_START": "2026-12-01T23:30:00"})
    with pytest.raises(SettingsError, match="YIWANG_CLOCK_START"):
        load_settings({**env, "YIWANG_CLOCK_START": "half past eleven"})
