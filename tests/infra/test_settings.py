"""Settings are read once and fail fast, naming the variable that is missing or impossible."""

from __future__ import annotations

import base64
import secrets

import pytest

from app.config import ServiceRules, SettingsError, load_settings


def _env(**extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": "postgres://127.0.0.1/x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "PII_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PII_HASH_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "RECEIPT_SIGNING_KEY": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "YIWANG_SANDBOX": "1",
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
