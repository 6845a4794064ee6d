"""Item codes (validated, unique, never reused), the catalog's CHECK constraints, and
operator accounts: argon2id, lockout, sessions kept apart from residents'."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from tortoise import connections

from app.catalog import audit
from app.catalog.codes import parse_code
from app.catalog.items import create_item, retire_item
from app.catalog.models import AuditEntry, ServiceItem
from app.errors import (
    InvalidItemCode,
    ItemCodeTaken,
    OperatorLocked,
    OperatorLoginFailed,
    TokenInvalid,
)
from app.identity.operator_models import Operator
from app.identity.operators import OperatorAuth
from app.identity.sessions import SessionStore
from infra import clock
from tests.catalog.conftest import PASSWORD, make_operator

pytestmark = pytest.mark.usefixtures("clean")


@pytest.mark.parametrize(
    "raw",
    [
        "CF-330100-00012",
        "XX-330100-00012-001",
        "CF-110100-00012-001",
        "CF-330100-00000-001",
        "CF-33010-00012-001",
        "CF33010000012001",
        "",
    ],
)
def test_malformed_codes_are_refused(raw: str) -> None:
    with pytest.raises(InvalidItemCode):
        parse_code(raw)


def test_a_code_names_its_basic_code_and_region() -> None:
    code = parse_code("cf-330100-00012-001")
    assert (str(code), code.basic, code.region) == ("CF-330100-00012-001", "CF-00012-001", "330100")


async def _new(code: str, **extra: object) -> ServiceItem:
    fields = dict(
        code=code,
        name="测试事项",
        audience="personal",
        theme="jiaotong",
        department="hz-jj",
        online_level=3,
        guide={"materials": ["身份证"]},
    )
    fields.update(extra)
    return await create_item(None, **fields)  # type: ignore[arg-type]


async def test_codes_are_unique_and_a_retired_code_is_never_reused(
    seeded: int, people: dict
) -> None:
    with pytest.raises(ItemCodeTaken):
        await _new("CF-330100-00012-001")
    item = await _new("CF-330100-00014-001")
    await retire_item(people["traffic"], item.code, "merged into 00012")
    with pytest.raises(ItemCodeTaken):
        await _new("CF-330100-00014-001")
    assert await ServiceItem.filter(code="CF-330100-00014-001").count() == 1
    # The same basic code in another region is a different implementation, and allowed.
    other = await _new("CF-330200-00014-001", department="nb-jj")
    assert other.basic_code == item.basic_code


async def test_online_level_and_status_are_checked_by_the_database_too(seeded: int) -> None:
    rows = await connections.get("default").execute_query_dict(
        "SELECT conname FROM pg_constraint WHERE conname LIKE 'catalog_%' "
        "OR conname = 'operator_role_known'"
    )
    names = {r["conname"] for r in rows}
    assert {
        "catalog_item_online_level_1_5",
        "catalog_item_status_known",
        "catalog_miniapp_release_known",
        "operator_role_known",
    } <= names
    with pytest.raises(Exception, match="online_level"):
        await ServiceItem.filter(code="CF-330100-00012-001").update(online_level=6)


async def test_retired_items_leave_the_channel_catalog(seeded: int, people: dict, catalog) -> None:  # type: ignore[no-untyped-def]
    before = (await catalog.view("app", "330106")).body.decode()
    assert "CF-330100-00012-002" in before
    await retire_item(people["traffic"], "CF-330100-00012-002", "replaced")
    await catalog.bump()
    assert "CF-330100-00012-002" not in (await catalog.view("app", "330106")).body.decode()


def _auth(redis: aioredis.Redis) -> OperatorAuth:
    return OperatorAuth(redis, timedelta(hours=8), 5, timedelta(minutes=15))


async def test_passwords_are_argon2id_and_five_failures_lock_the_account(
    seeded: int, redis: aioredis.Redis
) -> None:
    await make_operator("hz-traffic", "department_operator", ["hz-jj"])
    stored = await Operator.get(username="hz-traffic")
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    auth = replace(_auth(redis), on_lockout=audit.lockout)
    for _ in range(5):
        with pytest.raises(OperatorLoginFailed):
            await auth.sign_in("hz-traffic", "wrong password!")
    with pytest.raises(OperatorLocked):  # even the right password, while locked
        await auth.sign_in("hz-traffic", PASSWORD)
    # The lockout is on the audit chain, once.
    locked = await AuditEntry.filter(action="operator.lockout", subject_id=str(stored.id))
    assert len(locked) == 1 and locked[0].mac and locked[0].after["username"] == "hz-traffic"
    assert (await audit.verify_chain())["intact"] is True
    with pytest.raises(OperatorLoginFailed):  # unknown users look like wrong passwords
        await auth.sign_in("nobody", PASSWORD)
    clock.travel(timedelta(minutes=16))
    token, principal = await auth.sign_in("hz-traffic", PASSWORD)
    assert principal.username == "hz-traffic"
    assert (await Operator.get(username="hz-traffic")).failed_logins == 0
    assert (await auth.resolve(token)).departments == ("hz-jj",)


async def test_operator_and_resident_sessions_are_separate_and_sign_out_is_immediate(
    seeded: int, redis: aioredis.Redis
) -> None:
    await make_operator("hz-traffic", "department_operator", ["hz-jj"])
    auth = _auth(redis)
    token, principal = await auth.sign_in("hz-traffic", PASSWORD)
    residents = SessionStore(redis, timedelta(days=1))
    with pytest.raises(TokenInvalid):
        await residents.resolve(token)
    assert await redis.get(f"opsess:{principal.token_hash}") is None  # filled on first use
    await auth.resolve(token)
    assert await redis.get(f"opsess:{principal.token_hash}") is not None
    assert await redis.get(f"sess:{principal.token_hash}") is None
    await auth.revoke(principal)
    with pytest.raises(TokenInvalid):
        await auth.resolve(token)
    clock.travel(timedelta(hours=9))
    token2, _ = await auth.sign_in("hz-traffic", PASSWORD)
    clock.travel(timedelta(hours=9))
    with pytest.raises(TokenInvalid):  # expired
        await auth.resolve(token2)
