"""Structured log lines: the access line's cheap path writes what JsonFormatter writes."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from infra import logs

ID_NUMBER = "330106199003071234"
PHONE = "13800138000"


@pytest.fixture
def stderr(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """configure() writing to a captured stderr; the previous logging set-up is restored."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    sink = io.StringIO()
    monkeypatch.setattr(sys, "stderr", sink)
    logs.configure(json_lines=True)
    sink.handler = root.handlers[0]  # type: ignore[attr-defined]
    yield sink
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    monkeypatch.setattr(logs, "_json_handler", None)


@contextmanager
def only_configured(sink: io.StringIO) -> Iterator[None]:
    """pytest adds its capture handlers to the root for the test body; set them aside."""
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = [sink.handler]  # type: ignore[attr-defined]
    try:
        yield
    finally:
        root.handlers[:] = saved


def _lines(sink: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in sink.getvalue().splitlines()]


def test_the_access_line_is_the_json_formatters_line(stderr: io.StringIO) -> None:
    token = logs.request_id_var.set("trace-1")
    try:
        with only_configured(stderr):
            logging.getLogger(logs.ACCESS_LOGGER).info("%s", "GET /api/v1/me 200 1.5ms")
            logs.access("GET", "/api/v1/me", 200, 1.5, "trace-1")
    finally:
        logs.request_id_var.reset(token)
    through_logging, fast = _lines(stderr)
    assert list(fast) == ["ts", "level", "logger", "msg", "request_id"]
    assert fast == through_logging
    assert fast["msg"] == "GET /api/v1/me 200 1.5ms" and fast["logger"] == "yiwang.access"


def test_personal_data_in_the_path_or_the_request_id_is_masked(stderr: io.StringIO) -> None:
    with only_configured(stderr):
        logs.access("GET", f"/api/v1/x/{ID_NUMBER}/{PHONE}", 404, 0.25, f"r-{PHONE}")
    (line,) = _lines(stderr)
    raw = stderr.getvalue()
    assert ID_NUMBER not in raw and PHONE not in raw
    assert line["msg"] == "GET /api/v1/x/330106********1234/138****8000 404 0.2ms"
    assert line["request_id"] == "r-138****8000"


def test_without_a_request_id_the_key_is_left_out(stderr: io.StringIO) -> None:
    with only_configured(stderr):
        logs.access("POST", "/api/v1/sessions", 201, 3.0, None)
    (line,) = _lines(stderr)
    assert "request_id" not in line and line["level"] == "INFO"


def test_another_handler_or_a_raised_level_goes_through_logging(
    stderr: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO), only_configured(stderr):
        logging.getLogger().addHandler(caplog.handler)
        logs.access("GET", f"/p/{PHONE}", 200, 1.0, "r1")
    assert [r.getMessage() for r in caplog.records] == [f"GET /p/{PHONE} 200 1.0ms"]
    (line,) = _lines(stderr)
    assert PHONE not in stderr.getvalue() and line["msg"] == "GET /p/138****8000 200 1.0ms"
    parent_sink = io.StringIO()
    parent = logging.getLogger("yiwang")
    parent.addHandler(logging.StreamHandler(parent_sink))
    try:
        with only_configured(stderr):
            logs.access("GET", "/seen/by/the/parent", 200, 1.0, "r3")
    finally:
        parent.handlers.clear()
    assert parent_sink.getvalue() == "GET /seen/by/the/parent 200 1.0ms\n"
    assert len(_lines(stderr)) == 2
    access = logging.getLogger(logs.ACCESS_LOGGER)
    access.setLevel(logging.WARNING)
    try:
        with only_configured(stderr):
            logs.access("GET", "/quiet", 200, 1.0, "r2")
    finally:
        access.setLevel(logging.NOTSET)
    assert len(_lines(stderr)) == 2


def test_only_a_request_id_the_client_chose_is_redacted(stderr: io.StringIO) -> None:
    # Ours is random hex and skips the masks; a client's id of the same shape does not.
    phone_shaped = f"{PHONE}abcde"
    with only_configured(stderr):
        logs.access("GET", "/api/v1/me", 200, 1.0, phone_shaped, request_id_ours=True)
        logs.access("GET", "/api/v1/me", 200, 1.0, phone_shaped)
    ours, theirs = _lines(stderr)
    assert ours["request_id"] == phone_shaped
    assert theirs["request_id"] == "138****8000abcde"


async def test_lines_of_one_loop_turn_go_out_together_at_its_end(stderr: io.StringIO) -> None:
    with only_configured(stderr):
        logs.access("GET", "/a", 200, 1.0, "r1")
        logs.access("GET", "/b", 200, 1.0, "r2")
        assert stderr.getvalue() == ""  # still this turn of the loop
        await asyncio.sleep(0)
        assert [line["msg"] for line in _lines(stderr)] == ["GET /a 200 1.0ms", "GET /b 200 1.0ms"]
        logs.access("GET", "/c", 200, 1.0, "r3")
        await asyncio.sleep(0)
    assert [line["request_id"] for line in _lines(stderr)] == ["r1", "r2", "r3"]
