"""Paying a traffic fine end to end: traffic police → resident → Alipay → PAID → traffic
police, against the live server with the sandbox and the real SDKs."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from urllib.parse import urlsplit

import httpx
import pytest

from app.identity.id_numbers import with_check_digit
from app.violations.models import Violation
from infra.outbox.models import OutboxEvent
from tests.journeys import bearer, eventually, verified_resident
from tests.receivers import Receiver, receiver
from tests.violations.helpers import OTHER_VIN, push, record, traffic_agency

pytestmark = pytest.mark.usefixtures("clean")

PLATE = {"plate_type": "02", "plate_no": "浙A12345"}


async def order(api: httpx.AsyncClient, token: str, ref: str) -> httpx.Response:
    return await api.post(
        "/api/v1/orders",
        json={"payable": {"type": "violation", "decision_no": ref}},
        headers=bearer(token),
    )


def verify(hooks: Receiver, secret: str) -> dict:
    """Check the webhook's signature the way the traffic police would."""
    hook = hooks.received[0]
    path = urlsplit(hooks.url).path
    message = "\n".join(
        ["POST", path, hook.headers["x-timestamp"], hashlib.sha256(hook.body).hexdigest()]
    )
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, hook.headers["x-signature"])
    return json.loads(hook.body)


async def test_an_overdue_fine_is_paid_on_alipay_and_the_traffic_police_are_told_once(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        creds = traffic_agency(env, webhook_url=hooks.url)
        r = await push(api, creds, [record("V-OVERDUE", decided_days_ago=20)])
        assert r.json()["created"] == 1
        _, token = await verified_resident(api, sandbox, "alipay")
        bound = await api.post(
            "/api/v1/me/vehicles", json={**PLATE, "vin_tail": "123456"}, headers=bearer(token)
        )
        assert bound.status_code == 201
        shown = (await api.get("/api/v1/violations", params=PLATE, headers=bearer(token))).json()
        assert shown["violations"][0]["late_fee_fen"] == 3_000

        created = await order(api, token, "DV-OVERDUE")
        assert created.status_code == 201, created.text
        opened = created.json()
        assert opened["amount_fen"] == 23_000
        assert [(i["name"], i["amount_fen"]) for i in opened["items"]] == [
            ("交通违法罚款", 20_000),
            ("加处罚款（滞纳金）", 3_000),
        ]
        r = await api.post(
            f"/api/v1/orders/{opened['id']}/payments",
            json={"channel": "alipay"},
            headers=bearer(token),
        )
        assert r.status_code == 200, r.text
        trade_no = r.json()["channel_params"]["trade_no"]
        paid = await sandbox.post("/sandbox/alipay/payments", json={"trade_no": trade_no})
        assert paid.status_code in (200, 201), paid.text

        async def marked_paid() -> bool:
            return (await Violation.get(violation_id="V-OVERDUE")).payment_status == "paid"

        await eventually(marked_paid)
        r = await api.get("/api/v1/violations", params=PLATE, headers=bearer(token))
        now_paid = r.json()["violations"][0]
        assert now_paid["payment_status"] == "paid" and now_paid["paid_via"] == "online"
        assert now_paid["payable"] is False and now_paid["total_fen"] == 0
        await eventually(lambda: _received(hooks, 1))
        await asyncio.sleep(1.0)
        assert len(hooks.received) == 1
        event = verify(hooks, creds["secret"])
        assert event["event"] == "violation.paid"
        assert event["data"]["violation_id"] == "V-OVERDUE"
        assert event["data"]["amount_fen"] == 23_000 and event["data"]["late_fee_fen"] == 3_000
        assert hooks.received[0].headers["x-agency-key"] == creds["key"]

        again = await order(api, token, "DV-OVERDUE")
        assert again.status_code == 409 and again.json()["code"] == "ALREADY_PAID"
        assert await OutboxEvent.filter(dedupe_key__startswith="vio-paid:").count() == 1


async def test_bank_payments_undecided_and_someone_elses_fines_refuse_an_order(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = traffic_agency(env)
    r = await push(
        api,
        creds,
        [
            record("V-BANK", decided_days_ago=5),
            record("V-UNDECIDED"),
            record("V-OTHER", plate_no="浙B99999", vin=OTHER_VIN, decided_days_ago=1),
        ],
    )
    assert r.json()["created"] == 3
    _, token = await verified_resident(api, sandbox, "alipay")
    r = await api.get(
        "/api/v1/violations", params={**PLATE, "vin_tail": "123456"}, headers=bearer(token)
    )
    assert r.status_code == 200

    await asyncio.sleep(1.1)
    r = await push(api, creds, [record("V-BANK", decided_days_ago=5, paid_days_ago=0)])
    assert r.json()["updated"] == 1
    bank = await order(api, token, "DV-BANK")
    assert bank.status_code == 409 and bank.json()["code"] == "ALREADY_PAID"

    undecided = await order(api, token, "V-UNDECIDED")
    assert undecided.status_code == 409 and undecided.json()["code"] == "VIOLATION_NOT_DECIDED"

    for ref in ("DV-OTHER", "D-NO-SUCH"):
        r = await order(api, token, ref)
        assert r.status_code == 404 and r.json()["code"] == "VIOLATION_NOT_FOUND", r.text

    stranger = await verified_resident(
        api, sandbox, "alipay", id_number=with_check_digit("33010219851122456"), name="李四"
    )
    r = await order(api, stranger[1], "DV-BANK")
    assert r.status_code == 404 and r.json()["code"] == "VIOLATION_NOT_FOUND"
    assert await Violation.filter(payment_status="paid").count() == 1


async def _received(hooks: Receiver, n: int) -> bool:
    return len(hooks.received) >= n
