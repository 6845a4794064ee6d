"""Traffic-police records and steps shared by the violations tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from infra import clock
from tests.journeys import agency_post, create_agency_via_cli

PATH = "/api/v1/agency/violations"
VIN = "LSVAU2A37N2123456"
OTHER_VIN = "LFV2A21K5R3654321"


def traffic_agency(env: dict[str, str], webhook_url: str | None = None) -> dict[str, str]:
    return create_agency_via_cli(
        env,
        kind="traffic",
        name="杭州市公安局交通警察支队",
        webhook_url=webhook_url,
        region="330100",
    )


def shanghai(days_ago: int, hour: int = 10) -> datetime:
    """A Shanghai wall-clock time ``days_ago`` Shanghai days before today."""
    day = clock.shanghai_date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.SHANGHAI)


def record(
    violation_id: str,
    *,
    plate_no: str = "浙A12345",
    plate_type: str = "02",
    vin: str = VIN,
    fine_fen: int = 20_000,
    points: int = 3,
    decided_days_ago: int | None = None,
    paid_days_ago: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    occurred = shanghai((decided_days_ago or 0) + 3, hour=8)
    body: dict[str, Any] = {
        "violation_id": violation_id,
        "plate_type": plate_type,
        "plate_no": plate_no,
        "vin": vin,
        "occurred_at": occurred.isoformat(),
        "place": "杭州市西湖区文三路与学院路口",
        "behavior": "机动车违反禁令标志指示",
        "points": points,
        "fine_fen": fine_fen,
    }
    if decided_days_ago is not None:
        body["decision_no"] = f"D{violation_id}"
        body["decided_at"] = shanghai(decided_days_ago).isoformat()
    if paid_days_ago is not None:
        body["paid_at"] = shanghai(paid_days_ago, hour=11).isoformat()
    body.update(extra)
    return body


async def push(api: httpx.AsyncClient, creds: dict[str, str], records: list) -> httpx.Response:
    return await agency_post(api, creds, PATH, {"records": records})
