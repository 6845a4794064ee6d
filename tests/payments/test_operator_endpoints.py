"""Operators refund with a reason and read the refund-review queue and reconciliation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.operators.auth import create_operator
from infra import clock
from payments.models import Order
from tests.journeys import bearer, eventually
from tests.payments.test_faults import paying_order
from tests.payments.test_journey import wait_paid
from tests.receivers import receiver

pytestmark = pytest.mark.usefixtures("clean")


async def operator_token(api: httpx.AsyncClient, username: str, role: str) -> str:
    password = f"{username}-correct-horse-battery"
    await create_operator(
        username=username,
        password=password,
        role=role,
        departments=["330000-jyt"],
        regions=["330000"],
    )
    r = await api.post(
        "/api/v1/operator/sessions", json={"username": username, "password": password}
    )
    assert r.status_code == 201, r.text
    return r.json()["token"]


async def test_an_admin_refunds_with_a_reason_and_others_cannot(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        token, order, params = await paying_order(api, sandbox, env, "alipay", hooks.url)
        await sandbox.post("/sandbox/alipay/payments", json={"trade_no": params["trade_no"]})
        await wait_paid(api, token, order["id"])
        admin = await operator_token(api, "finance", "platform_admin")
        clerk = await operator_token(api, "clerk", "department_operator")
        url = f"/api/v1/operator/orders/{order['id']}/refunds"

        def keyed(who: str, key: str) -> dict[str, str]:
            return {**bearer(who), "Idempotency-Key": key}

        r = await api.post(
            url,
            json={"amount_fen": 2000, "reason": "重复缴费退还"},
            headers=keyed(clerk, "clerk-try-1"),
        )
        assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
        r = await api.post(
            url,
            json={"amount_fen": 2000, "reason": "重复缴费退还"},
            headers=keyed(token, "resident-1"),
        )
        assert r.status_code == 401
        r = await api.post(url, json={"amount_fen": 2000}, headers=keyed(admin, "no-reason-1"))
        assert r.status_code == 422 and "reason" in r.json()["details"]["fields"]
        assert (await Order.get(order_no=order["id"])).refunded_fen == 0

        r = await api.post(
            url,
            json={"amount_fen": 2000, "reason": "重复缴费退还"},
            headers=keyed(admin, "first-refund"),
        )
        assert r.status_code == 201, r.text
        assert r.json()["requested_by"] == "finance" and r.json()["status"] == "SUCCESS"
        r = await api.post(
            url, json={"amount_fen": 10001, "reason": "多退"}, headers=keyed(admin, "too-much-1")
        )
        assert r.status_code == 409 and r.json()["code"] == "REFUND_EXCEEDS_BALANCE"
        db_order = await Order.get(order_no=order["id"])
        assert db_order.status == "PARTIALLY_REFUNDED" and db_order.refunded_fen == 2000


async def test_operators_read_the_review_queue_and_reconciliation(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        _, order, _ = await paying_order(api, sandbox, env, "app", hooks.url)
        db_order = await Order.get(order_no=order["id"])
        await services.settlement.close(db_order, reason="abandoned")
        await sandbox.post(
            "/sandbox/app/payments", json={"out_trade_no": order["id"], "force": True}
        )
        admin = await operator_token(api, "finance", "platform_admin")

        async def reviews() -> list:
            body = (await api.get("/api/v1/operator/refund-reviews", headers=bearer(admin))).json()
            return body["reviews"]

        listed = await eventually(reviews)
        assert listed[0]["order_no"] == order["id"] and listed[0]["reason"] == "PAID_AFTER_CLOSE"

        today = clock.shanghai_date().isoformat()
        await services.reconciler.run("app", clock.shanghai_date())
        r = await api.get(
            "/api/v1/operator/reconciliation",
            params={"channel": "app", "date": today},
            headers=bearer(admin),
        )
        assert r.status_code == 200 and r.json()["runs"][0]["bill_lines"] >= 1
        bad = await api.get(
            "/api/v1/operator/reconciliation",
            params={"channel": "qq", "date": today},
            headers=bearer(admin),
        )
        assert bad.status_code == 422
