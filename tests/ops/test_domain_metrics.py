"""Domain counters on the live server: what a journey does is what /metrics says it did."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.journeys import bearer, eventually, verified_resident
from tests.ops.scrape import sample, scrape
from tests.payments.test_journey import fees_agency, issue_notice, order_for, wait_paid
from tests.receivers import receiver

pytestmark = pytest.mark.usefixtures("clean")


async def test_a_paid_notice_moves_the_order_notification_and_receipt_counters(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    before = await scrape(api)
    with receiver() as hooks:
        creds = await fees_agency(api, env, hooks)
        code = await issue_notice(api, creds)
        _, token = await verified_resident(api, sandbox, "alipay")
        order = await order_for(api, token, code)
        started = await api.post(
            f"/api/v1/orders/{order['id']}/payments",
            json={"channel": "alipay"},
            headers=bearer(token),
        )
        trade_no = started.json()["channel_params"]["trade_no"]
        paid = await sandbox.post("/sandbox/alipay/payments", json={"trade_no": trade_no})
        assert paid.is_success, paid.text
        await wait_paid(api, token, order["id"])

    def moved(text: str, name: str, **labels: str) -> float:
        return sample(text, name, **labels) - sample(before, name, **labels)

    async def receipt_counted() -> str | None:
        text = await scrape(api)
        return text if moved(text, "yiwang_receipts_issued_total", kind="receipt") else None

    after = await eventually(receipt_counted)
    assert moved(after, "yiwang_orders_total", event="created", channel="none") == 1
    assert moved(after, "yiwang_orders_total", event="paid", channel="alipay") == 1
    assert moved(after, "yiwang_orders_total", event="paid", channel="wechat") == 0
    notified = {"channel": "alipay", "kind": "payment"}
    assert moved(after, "yiwang_payment_notifications_total", **notified, outcome="paid") == 1
    assert moved(after, "yiwang_receipts_issued_total", kind="receipt") == 1


async def test_booking_refusals_are_counted_by_code_and_rate_limits_by_route(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    before = await scrape(api)
    _, token = await verified_resident(api, sandbox, "app")
    missing = await api.post(
        "/api/v1/appointments", json={"slot_id": 987654321}, headers=bearer(token)
    )
    assert missing.status_code == 404 and missing.json()["code"] == "SLOT_NOT_FOUND"
    # A client address of this test's own (the live server trusts one proxy), so the
    # budget it spends is nobody else's.
    client = {"X-Forwarded-For": f"198.51.100.{secrets.randbelow(250) + 1}"}
    statuses = [
        (
            await api.post(
                "/api/v1/receipts/verify",
                json={"receipt_no": "3301000000000001", "check_code": "ABC123"},
                headers=client,
            )
        ).status_code
        for _ in range(62)
    ]
    assert statuses.count(429) >= 1
    after = await scrape(api)
    assert sample(after, "yiwang_bookings_total", outcome="SLOT_NOT_FOUND") - sample(
        before, "yiwang_bookings_total", outcome="SLOT_NOT_FOUND"
    ) == 1
    route = "/api/v1/receipts/verify"
    assert sample(after, "yiwang_rate_limit_hits_total", route=route) - sample(
        before, "yiwang_rate_limit_hits_total", route=route
    ) == statuses.count(429)
