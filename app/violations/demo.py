"""Demo vehicles and violations (README.md, "Traffic violations in the demo").

Loaded through the same upsert the traffic police use, with dates relative to today, so
the overdue fine is always overdue and the fresh one always inside its 15 free days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.agency.models import Agency
from app.violations.upsert import ViolationImport
from infra import clock
from infra.pii import PiiVault

TRAFFIC_AGENCY = "杭州市公安局交通警察支队"
ZHANGSAN_CAR = {"plate_type": "02", "plate_no": "浙A12345", "vin": "LSVAU2A37N2123456"}
ZHANGSAN_EV = {"plate_type": "52", "plate_no": "浙AD54321", "vin": "LFV2A21K5R3654321"}
ZHANGSAN_LICENCE = {"licence_no": "330106199003071236", "file_no": "330100000001"}


def _at(days_ago: int, hour: int) -> str:
    day = clock.shanghai_date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.SHANGHAI).isoformat()


def demo_records() -> list[dict[str, Any]]:
    road = "杭州市西湖区文三路与学院路口"
    return [
        {  # decided 20 days ago: overdue, 5 days of late fee (15 %)
            **ZHANGSAN_CAR,
            "violation_id": "DEMO-OVERDUE",
            "occurred_at": _at(25, 8),
            "place": road,
            "behavior": "机动车违反禁令标志指示",
            "points": 3,
            "fine_fen": 20_000,
            "decision_no": "330100DEMO0001",
            "decided_at": _at(20, 10),
            "driver": ZHANGSAN_LICENCE,
        },
        {  # not decided yet: must be handled before it can be paid
            **ZHANGSAN_CAR,
            "violation_id": "DEMO-UNDECIDED",
            "occurred_at": _at(4, 18),
            "place": "杭州市上城区解放路",
            "behavior": "机动车违反规定停放",
            "points": 0,
            "fine_fen": 15_000,
        },
        {  # decided and paid at a bank
            **ZHANGSAN_CAR,
            "violation_id": "DEMO-PAID",
            "occurred_at": _at(60, 9),
            "place": "G60沪昆高速杭州段",
            "behavior": "超过规定时速10%以上未达20%",
            "points": 1,
            "fine_fen": 5_000,
            "decision_no": "330100DEMO0002",
            "decided_at": _at(50, 10),
            "paid_at": _at(45, 11),
        },
        {  # decided two days ago: payable, no late fee yet
            **ZHANGSAN_EV,
            "violation_id": "DEMO-DECIDED",
            "occurred_at": _at(6, 7),
            "place": "杭州市滨江区江南大道",
            "behavior": "不按导向车道行驶",
            "points": 2,
            "fine_fen": 10_000,
            "decision_no": "330100DEMO0003",
            "decided_at": _at(2, 15),
        },
    ]


async def seed(vault: PiiVault) -> None:
    agency = await Agency.filter(name=TRAFFIC_AGENCY, kind="traffic").order_by("id").first()
    if agency is None:
        return
    outcome = await ViolationImport(None, vault).upsert(agency, demo_records())
    if outcome.rejected:
        raise RuntimeError(f"demo violations refused: {outcome.as_dict()['errors']}")
