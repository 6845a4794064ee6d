"""Shared set-up of the cases tests: the demo item, form, desk agency and categories."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from app.cases.demo import ITEM_CODE
from app.cases.demo import seed as seed_cases
from app.catalog.demo import seed_reference
from app.identity.models import ChannelAccount, Citizen
from app.identity.sessions import Principal
from app.interactions.demo import seed_categories
from infra import clock

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


async def seed(settings, tmp_path: Path) -> dict:
    """Catalog reference rows and the cases demo; answers the case agency's credentials."""
    await seed_reference()
    await seed_cases(settings.vault(), tmp_path)
    await seed_categories()
    return json.loads((tmp_path / "demo-case-agency.json").read_text())


async def person(channel: str = "wechat", *, verified: bool = True) -> Principal:
    citizen = await Citizen.create(id=uuid.uuid4(), verified=verified, created_at=clock.now())
    account = await ChannelAccount.create(
        channel=channel,
        subject=f"s-{uuid.uuid4().hex[:12]}",
        citizen_id=citizen.id,
        created_at=clock.now(),
        last_login_at=clock.now(),
    )
    return Principal(citizen.id, account.id, channel, "t", clock.now())


GOOD_FORM = {
    "applicant_phone": "13800138000",
    "birth_date": "1940-05-01",
    "bank": "杭州银行",
    "address": "杭州市上城区解放路 1 号",
}
__all__ = ["GOOD_FORM", "ITEM_CODE", "PDF", "PNG", "person", "seed"]
