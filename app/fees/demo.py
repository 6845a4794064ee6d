"""Demo fee items and payment notices (see README, "Paying a notice in the demo")."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from app.agency.models import Agency
from app.fees.fee_items import FeeItemInput, register_fee_item
from app.fees.notices import NoticeInput, NoticeLineInput, Notices
from infra import clock
from infra.pii import PiiVault

EXAM_AGENCY = "浙江省教育考试院"

FEE_ITEMS = (
    FeeItemInput("103001", "普通高考报名考试费", "103", standard_fen=12000),
    FeeItemInput("103002", "全国大学英语四六级考试费", "103", standard_fen=3000),
    FeeItemInput("201001", "学费", "201", min_fen=100000, max_fen=800000),
)


async def seed(vault: PiiVault, var_dir: Path, people: list[tuple[str, str]]) -> None:
    """``people`` are the demo residents' (name, ID number), first two get a notice each."""
    agency = await Agency.get_or_none(name=EXAM_AGENCY)
    if agency is None:
        return
    for item in FEE_ITEMS:
        await register_fee_item(agency, item)
    notices = Notices(vault)
    due = clock.shanghai_date() + timedelta(days=30)
    issued = {}
    for (name, id_number), notice_no, lines in (
        (
            people[0],
            "DEMO-EXAM-0001",
            (NoticeLineInput("103001", "普通高考报名考试费", 1, 12000, 12000),),
        ),
        (
            people[1],
            "DEMO-CET-0001",
            (NoticeLineInput("103002", "全国大学英语四六级考试费", 2, 3000, 6000),),
        ),
    ):
        notice = await notices.issue(agency, NoticeInput(name, id_number, lines, due, notice_no))
        issued[name] = {"payment_code": notice.payment_code, "total_fen": notice.total_fen}
    (var_dir / "demo-notices.json").write_text(json.dumps(issued, ensure_ascii=False, indent=2))
