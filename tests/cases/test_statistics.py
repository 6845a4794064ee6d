"""Rating statistics aggregated in SQL over the stored Shanghai day and month: equal to a hand
computation across a Shanghai midnight and a month end, equal to the former in-Python
algorithm on random data, the same over HTTP, and the backfill of older rows on PostgreSQL
and SQLite."""

from __future__ import annotations

import json
import os
import random
import secrets
import subprocess
import sys
import textwrap
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from app.evaluations.models import INDICATORS, Evaluation
from app.evaluations.service import statistics
from app.operators.auth import create_operator
from infra import clock
from tests.cases.fixtures import ITEM_CODE
from tests.conftest import PG_ADMIN
from tests.journeys import bearer

SCORE_NAMES = ("overall", "efficiency", "guide_accuracy", "convenience", "ease_of_use")


async def _rate(ref: str, at: datetime, dept: str, channel: str, item: str | None, *scores: int):
    return await Evaluation.create(
        citizen_id=uuid.uuid4(),
        subject_type="case",
        subject_ref=ref,
        department_code=dept,
        item_code=item,
        channel=channel,
        created_at=at,
        **dict(zip(SCORE_NAMES, scores, strict=True)),
    )


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def _boundary_set() -> None:
    """Shanghai is UTC+8: 16:00Z is the next Shanghai day, and 2025-01-31T16:00Z is February."""
    await _rate("e1", _utc(2025, 1, 30, 15, 59, 59), "hz-mzj", "wechat", ITEM_CODE, 1, 1, 1, 1, 1)
    await _rate("e2", _utc(2025, 1, 30, 16), "hz-mzj", "wechat", ITEM_CODE, 5, 4, 4, 5, 5)
    at = _utc(2025, 1, 31, 15, 59, 59, 999999)
    await _rate("e3", at, "hz-mzj", "alipay", ITEM_CODE, 2, 3, 2, 3, 3)
    await _rate("e4", _utc(2025, 1, 31, 16), "hz-mzj", "wechat", ITEM_CODE, 4, 4, 5, 4, 4)
    await _rate("e5", _utc(2025, 2, 1, 9, 30), "hz-jj", "app", None, 1, 1, 1, 1, 1)
    await _rate("e6", _utc(2025, 2, 1, 16), "hz-mzj", "wechat", ITEM_CODE, 3, 3, 3, 3, 3)


def _row(by: str, group: str, period: str, count: int, bad: int, *avgs: float) -> dict:
    return {
        by: group,
        "period": period,
        "count": count,
        "bad": bad,
        **{f"avg_{k}": a for k, a in zip(SCORE_NAMES, avgs, strict=True)},
    }


JAN31, FEB1 = date(2025, 1, 31), date(2025, 2, 1)


async def test_statistics_equal_a_hand_computation_across_midnight_and_month_end(
    clean: None,
) -> None:
    await _boundary_set()
    e3 = await Evaluation.get(subject_ref="e3")
    assert (e3.local_date, e3.local_month) == (JAN31, "2025-01")
    e4 = await Evaluation.get(subject_ref="e4")
    assert (e4.local_date, e4.local_month) == (FEB1, "2025-02")

    assert await statistics("department", "day", JAN31, FEB1, None) == [
        _row("department", "hz-jj", "2025-02-01", 1, 1, 1.0, 1.0, 1.0, 1.0, 1.0),
        _row("department", "hz-mzj", "2025-01-31", 2, 1, 3.5, 3.5, 3.0, 4.0, 4.0),
        _row("department", "hz-mzj", "2025-02-01", 1, 0, 4.0, 4.0, 5.0, 4.0, 4.0),
    ]
    # Months hold only the days inside the range: e1 (30 Jan) and e6 (2 Feb) stay out.
    assert await statistics("department", "month", JAN31, FEB1, None) == [
        _row("department", "hz-jj", "2025-02", 1, 1, 1.0, 1.0, 1.0, 1.0, 1.0),
        _row("department", "hz-mzj", "2025-01", 2, 1, 3.5, 3.5, 3.0, 4.0, 4.0),
        _row("department", "hz-mzj", "2025-02", 1, 0, 4.0, 4.0, 5.0, 4.0, 4.0),
    ]
    whole = await statistics("department", "month", date(2025, 1, 1), date(2025, 2, 28), None)
    assert whole == [
        _row("department", "hz-jj", "2025-02", 1, 1, 1.0, 1.0, 1.0, 1.0, 1.0),
        _row("department", "hz-mzj", "2025-01", 3, 2, 2.67, 2.67, 2.33, 3.0, 3.0),
        _row("department", "hz-mzj", "2025-02", 2, 0, 3.5, 3.5, 4.0, 3.5, 3.5),
    ]
    assert await statistics("channel", "month", JAN31, FEB1, None) == [
        _row("channel", "alipay", "2025-01", 1, 1, 2.0, 3.0, 2.0, 3.0, 3.0),
        _row("channel", "app", "2025-02", 1, 1, 1.0, 1.0, 1.0, 1.0, 1.0),
        _row("channel", "wechat", "2025-01", 1, 0, 5.0, 4.0, 4.0, 5.0, 5.0),
        _row("channel", "wechat", "2025-02", 1, 0, 4.0, 4.0, 5.0, 4.0, 4.0),
    ]
    by_item = await statistics("item", "day", JAN31, FEB1, None)
    assert [(r["item"], r["period"], r["count"]) for r in by_item] == [
        (ITEM_CODE, "2025-01-31", 2),
        (ITEM_CODE, "2025-02-01", 1),
        ("None", "2025-02-01", 1),  # ratings of no item, as the former code showed them
    ]
    scoped = await statistics("department", "day", JAN31, FEB1, ("hz-jj",))
    assert [r["department"] for r in scoped] == ["hz-jj"]
    assert await statistics("department", "day", date(2025, 2, 3), date(2025, 3, 1), None) == []


def _reference(
    rows: list[Evaluation], by: str, period: str, start: date, end: date, scope: Any
) -> list[dict]:
    """The former in-Python statistics, kept here as the oracle."""
    column = {"department": "department_code", "item": "item_code", "channel": "channel"}[by]
    groups: dict[tuple[str, str], list[Evaluation]] = defaultdict(list)
    for e in rows:
        if scope is not None and e.department_code not in scope:
            continue
        day = clock.shanghai_date(e.created_at)
        if start <= day <= end:
            key = day.isoformat() if period == "day" else day.strftime("%Y-%m")
            groups[(str(getattr(e, column)), key)].append(e)
    return [
        {
            by: group,
            "period": key,
            "count": len(items),
            "bad": sum(1 for e in items if e.overall <= 2),
            **{
                f"avg_{k}": round(sum(getattr(e, k) for e in items) / len(items), 2)
                for k in INDICATORS
            },
        }
        for (group, key), items in sorted(groups.items())
    ]


async def test_statistics_equal_the_former_python_algorithm_on_random_ratings(
    clean: None,
) -> None:
    rng = random.Random(20250131)
    base = _utc(2024, 12, 20)
    for i in range(240):
        # Half the ratings within a minute of a Shanghai midnight (16:00Z).
        day = base + timedelta(days=rng.randrange(75))
        if i % 2:
            at = day.replace(hour=16) + timedelta(seconds=rng.randint(-60, 60))
        else:
            at = day + timedelta(seconds=rng.randrange(86400), microseconds=rng.randrange(10**6))
        await _rate(
            f"r{i}",
            at,
            rng.choice(["hz-mzj", "hz-jj", "zj-jyt"]),
            rng.choice(["wechat", "alipay", "app"]),
            rng.choice([ITEM_CODE, "JF-330100-00222-001", None]),
            *(rng.randint(1, 5) for _ in SCORE_NAMES),
        )
    rows = await Evaluation.all()
    ranges = [
        (date(2024, 12, 1), date(2025, 3, 31)),
        (date(2025, 1, 31), date(2025, 2, 1)),
        (date(2025, 1, 15), date(2025, 1, 15)),
    ]
    for by in ("department", "item", "channel"):
        for period in ("day", "month"):
            for start, end in ranges:
                for scope in (None, ("hz-mzj", "zj-jyt")):
                    expected = _reference(rows, by, period, start, end, scope)
                    assert await statistics(by, period, start, end, scope) == expected
    assert sum(r["count"] for r in _reference(rows, "channel", "day", *ranges[0], None)) == 240


async def test_statistics_over_http_keep_their_format(clean: None, api: httpx.AsyncClient) -> None:
    await _boundary_set()
    await create_operator(
        username="stats-admin", password="a-long-password-1", role="platform_admin"
    )
    signed = await api.post(
        "/api/v1/operator/sessions",
        json={"username": "stats-admin", "password": "a-long-password-1"},
    )
    r = await api.get(
        "/api/v1/operator/evaluations/stats",
        params={"by": "department", "period": "day", "from": "2025-01-31", "to": "2025-02-01"},
        headers=bearer(signed.json()["token"]),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "from": "2025-01-31",
        "to": "2025-02-01",
        "rows": await statistics("department", "day", JAN31, FEB1, None),
    }
    assert len(r.json()["rows"]) == 3
    wrong = await api.get(
        "/api/v1/operator/evaluations/stats",
        params={"by": "planet"},
        headers=bearer(signed.json()["token"]),
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "INVALID_INPUT"


# Runs in a subprocess: migrating another database re-initialises Tortoise's global state.
UPGRADE = textwrap.dedent(
    """
    import asyncio, json, sys
    from datetime import datetime
    from tortoise import Tortoise, connections
    from tortoise.migrations.api.migrate import migrate
    from app.runtime import schema

    STORED = ["2025-01-31 15:59:59.999999+00:00", "2025-01-31 16:00:00+00:00",
              "2025-06-30 16:30:00+00:00"]

    async def main(url):
        config = schema.config(url)
        await migrate(config=config, app_labels=["evaluations"],
                      target="evaluations.0001_initial")
        conn = connections.get("default")
        postgres = conn.capabilities.dialect == "postgres"
        marks = ", ".join(f"${n}" if postgres else "?" for n in range(1, 14))
        for i, at in enumerate(STORED):
            await conn.execute_query(
                "INSERT INTO evaluation (citizen_id, subject_type, subject_ref,"
                " department_code, item_code, channel, overall, efficiency, guide_accuracy,"
                f" convenience, ease_of_use, comment, created_at) VALUES ({marks})",
                ["6f1c1f5e-8d0c-4c55-9d53-0d7f3b0a0c0%d" % i, "case", f"old{i}", "hz-mzj",
                 None, "wechat", 3, 3, 3, 3, 3, None,
                 datetime.fromisoformat(at) if postgres else at],
            )
        await Tortoise.close_connections()
        await migrate(config=config)
        conn = connections.get("default")
        rows = await conn.execute_query_dict(
            "SELECT subject_ref, local_date, local_month FROM evaluation ORDER BY subject_ref"
        )
        await Tortoise.close_connections()
        print(json.dumps([[r["subject_ref"], str(r["local_date"]), r["local_month"]]
                          for r in rows]))

    asyncio.run(main(sys.argv[1]))
    """
)
UPGRADED = [
    ["old0", "2025-01-31", "2025-01"],
    ["old1", "2025-02-01", "2025-02"],
    ["old2", "2025-07-01", "2025-07"],
]


def _upgrade(url: str) -> list:
    done = subprocess.run(
        [sys.executable, "-c", UPGRADE, url],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


async def test_older_ratings_get_their_shanghai_day_on_postgresql() -> None:
    name = f"yiwang_upgrade_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        assert _upgrade(f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}") == UPGRADED
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.timeout(120)
def test_older_ratings_get_their_shanghai_day_on_sqlite(tmp_path: Path) -> None:
    assert _upgrade(f"sqlite://{tmp_path / 'demo.sqlite3'}") == UPGRADED
