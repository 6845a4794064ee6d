"""Migrations run forward on an existing database with data in it.

An install that stopped one migration short (here: before the payment notice lines got
their unique (notice, position) key) has notices and lines; migrating to the latest keeps
every row as it was and adds the key. Real PostgreSQL, a database of its own.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate

from app.agency.signing import create_agency
from app.fees.fee_items import FeeItemInput, register_fee_item
from app.fees.models import NoticeLine
from app.fees.notices import NoticeInput, NoticeLineInput, Notices
from app.runtime import schema
from infra import db
from infra.pii import PiiVault
from tests.conftest import PG_ADMIN

BEFORE = "fees.0003_random_payment_code_serials"


@pytest.fixture
async def existing_install(database_url: str) -> AsyncIterator[str]:
    """A database of its own. The ORM is process-wide: the session's database, open before
    this test took the ORM over, is opened again after it for the tests that follow."""
    session_was_open = Tortoise._inited
    name = f"yiwang_forward_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()
    if session_was_open:
        await db.open_database(schema.config(database_url))


async def test_migrating_forward_keeps_the_data_and_adds_the_key(existing_install: str) -> None:
    config = schema.config(existing_install)
    await db.migrate(config)
    await migrate(config=config, target=BEFORE)
    await db.close_database()

    vault = PiiVault.international(secrets.token_bytes(32), secrets.token_bytes(32))
    await db.open_database(config)
    try:
        agency, _ = await create_agency(vault, name="考试院", kind="fees", region_code="330000")
        for code, name in (("103001", "报名费"), ("103002", "考试费")):
            await register_fee_item(agency, FeeItemInput(code, name, "103", standard_fen=3000))
        lines = (
            NoticeLineInput("103001", "报名费", 1, 3000, 3000),
            NoticeLineInput("103002", "考试费", 2, 3000, 6000),
        )
        notice = await Notices(vault).issue(
            agency, NoticeInput("张三", "11010519491231002X", lines, date(2030, 1, 1))
        )
        before = await NoticeLine.filter(notice_id=notice.id).order_by("position").values()
        # The old schema let a second line take a position already taken.
        assert await _duplicate_is_refused(notice.id) is False
    finally:
        await db.close_database()

    await db.migrate(config)

    await db.open_database(config)
    try:
        after = await NoticeLine.filter(notice_id=notice.id).order_by("position").values()
        assert after == before and [r["position"] for r in after] == [1, 2]
        assert await _duplicate_is_refused(notice.id) is True
    finally:
        await db.close_database()


async def _duplicate_is_refused(notice_id: int) -> bool:
    """Try a second line at position 2; one that got in is taken out again."""
    try:
        duplicate = await NoticeLine.create(
            notice_id=notice_id, position=2, item_code="103002", name="考试费",
            quantity=1, standard_fen=3000, amount_fen=3000,
        )  # fmt: skip
    except IntegrityError:
        return True
    await duplicate.delete()
    return False
