"""The PostgreSQL pool releases connections without asyncpg's reset round trip.

That is safe only while no code leaves session state on a connection; the last test keeps
it that way.
"""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg

from infra.db import keep_session, tortoise_config

ROOT = Path(__file__).resolve().parents[2]
# infra/db.py states the rule in prose, so it is the one file not scanned.
SOURCES = [
    p
    for d in ("app", "infra", "payments", "channels")
    for p in (ROOT / d).rglob("*.py")
    if p != ROOT / "infra" / "db.py"
]
SESSION_STATE = re.compile(
    # A string that opens with the statement; not a docstring's prose ("""Set the gauges…).
    r"""(?<!["']["'])["']\s*(SET\s+(?!LOCAL\b)|RESET\b|LISTEN\b|DECLARE\b)"""
    r"""|pg_(try_)?advisory_lock(_shared)?\s*\("""
    r"""|WITH\s+HOLD|\.add_listener\(""",
    re.IGNORECASE,
)


def test_postgres_connections_use_the_cheap_release_and_other_urls_are_untouched() -> None:
    apps = {"x": {"models": "m", "migrations": "m.migrations"}}
    pg = tortoise_config("postgres://u@127.0.0.1:5432/db", apps)["connections"]["default"]
    assert pg["engine"] == "infra.cancel_safe.asyncpg_client"
    assert pg["credentials"]["reset"] is keep_session
    assert pg["credentials"]["database"] == "db" and pg["credentials"]["maxsize"] == "10"
    sized = tortoise_config("postgres://u@h/db?minsize=2&maxsize=4", apps)["connections"]
    assert sized["default"]["credentials"]["maxsize"] == "4"
    lite = tortoise_config("sqlite://:memory:", apps)["connections"]["default"]
    assert lite["engine"] == "infra.cancel_safe.sqlite_client"
    assert lite["credentials"]["file_path"] == ":memory:"


async def test_a_transaction_left_open_is_still_rolled_back_on_release(
    database_url: str,
) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1, reset=keep_session)
    try:
        async with pool.acquire() as first:
            await first.execute("CREATE TABLE IF NOT EXISTS pool_probe (n int)")
        async with pool.acquire() as leaky:
            await leaky.execute("BEGIN")
            await leaky.execute("INSERT INTO pool_probe VALUES (1)")
        async with pool.acquire() as next_borrower:
            assert not next_borrower.is_in_transaction()
            assert await next_borrower.fetchval("SELECT count(*) FROM pool_probe") == 0
            await next_borrower.execute("DROP TABLE pool_probe")
    finally:
        await pool.close()


def test_no_code_leaves_session_state_on_a_pooled_connection() -> None:
    """Session-level SET, LISTEN, cursors WITH HOLD or advisory locks would leak to the next
    borrower now that release skips RESET ALL; use SET LOCAL / pg_advisory_xact_lock."""
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in SOURCES
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SESSION_STATE.search(line) and "migrations" not in path.parts
    ]
    assert found == []
