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
    OperatorLoginFailed,
    SignInThrottled,
    TokenInvalid,
)
from app.identity.sessions import SessionStore
from app.identity.signin_throttle import SignInThrottle
from app.operators.auth import OperatorAuth
from app.operators.models import Operator
from infra import clock, metrics
from tests.catalog.conftest import PASSWORD, guide, make_operator

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
        guide=guide(),
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
    return OperatorAuth(redis, timedelta(hours=8), SignInThrottle(redis, 3, 300, 10))


async def test_passwords_are_argon2id_and_failures_slow_the_next_try_without_a_lock(
    seeded: int, redis: aioredis.Redis
) -> None:
    await make_operator("hz-traffic", "department_operator", ["hz-jj"])
    stored = await Operator.get(username="hz-traffic")
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    auth = _auth(redis)
    for _ in range(3):  # the free tries
        with pytest.raises(OperatorLoginFailed):
            await auth.sign_in("hz-traffic", "wrong password!", "203.0.113.7")
    clock.travel(timedelta(seconds=1))
    with pytest.raises(OperatorLoginFailed):
        await auth.sign_in("hz-traffic", "wrong password!", "203.0.113.7")
    # Now the account waits 2 s, from any address, even with the right password...
    with pytest.raises(SignInThrottled) as throttled:
        await auth.sign_in("hz-traffic", PASSWORD, "198.51.100.1")
    assert throttled.value.details["retry_after"] == 2
    with pytest.raises(OperatorLoginFailed):  # unknown users look like wrong passwords
        await auth.sign_in("nobody", PASSWORD, "198.51.100.2")
    # ...and only that long: the owner is never locked out.
    clock.travel(timedelta(seconds=2))
    token, principal = await auth.sign_in("hz-traffic", PASSWORD, "198.51.100.1")
    assert principal.username == "hz-traffic"
    assert (await auth.resolve(token)).departments == ("hz-jj",)
    # Success forgets the failures: a wrong password is a free try again.
    with pytest.raises(OperatorLoginFailed):
        await auth.sign_in("hz-traffic", "wrong password!", "198.51.100.1")


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


async def test_repeated_failures_on_one_account_raise_an_alert(
    seeded: int, redis: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    await make_operator("hz-traffic", "department_operator", ["hz-jj"])
    auth = replace(
        _auth(redis), throttle=replace(_auth(redis).throttle, on_alert=audit.signin_alert)
    )
    before = metrics.SIGNIN_ALERTS._value.get()
    for n in range(10):
        clock.travel(timedelta(seconds=300))  # past any backoff: only the count matters
        with pytest.raises(OperatorLoginFailed):
            await auth.sign_in("hz-traffic", "wrong password!", f"203.0.113.{n}")
        assert metrics.SIGNIN_ALERTS._value.get() - before == (0 if n < 9 else 1)
    assert any("10 failed tries" in r.getMessage() for r in caplog.records)
    # The alert is on the audit chain, once, and the chain holds.
    alerts = await AuditEntry.filter(action="operator.signin_alert", subject_id="hz-traffic")
    assert len(alerts) == 1 and alerts[0].mac and alerts[0].after["last_client"] == "203.0.113.9"
    assert (await audit.verify_chain())["intact"] is True
