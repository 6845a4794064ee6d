"""Operator refunds are idempotent: a retried request (same Idempotency-Key) answers the
refund it made, and the channel refunds once, however the retries arrive."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from channels.base import BillLine
from infra import clock
from payments.models import Order, Refund
from tests.journeys import bearer
from tests.payments.test_faults import paying_order, run_cli
from tests.payments.test_journey import wait_paid
from tests.payments.test_operator_endpoints import operator_token
from tests.receivers import receiver

pytestmark = pytest.mark.usefixtures("clean")


async def channel_refunds(services: Any, channel: str, order_no: str) -> list[BillLine]:
    """The channel's own word: refund lines for this order in today's bill."""
    lines = await services.channels.pay[channel].download_bill(clock.shanghai_date())
    return [line for line in lines if line.kind == "refund" and line.out_trade_no == order_no]


async def paid_app_order(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], hooks_url: str
) -> dict:
    token, order, _ = await paying_order(api, sandbox, env, "app", hooks_url)
    r = await sandbox.post("/sandbox/app/payments", json={"out_trade_no": order["id"]})
    assert r.status_code == 201, r.text
    await wait_paid(api, token, order["id"])
    return order


def keyed(token: str, key: str | None) -> dict[str, str]:
    headers = bearer(token)
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def test_a_retry_with_the_same_key_answers_the_same_refund_and_refunds_once(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        order = await paid_app_order(api, sandbox, env, hooks.url)
        admin = await operator_token(api, "finance", "platform_admin")
        url = f"/api/v1/operator/orders/{order['id']}/refunds"
        body = {"amount_fen": 2000, "reason": "重复缴费退还"}

        first = await api.post(url, json=body, headers=keyed(admin, "timeout-retry-1"))
        assert first.status_code == 201, first.text
        assert first.headers["Idempotent-Replayed"] == "false"
        assert first.json()["status"] == "SUCCESS"
        again = await api.post(url, json=body, headers=keyed(admin, "timeout-retry-1"))
        assert again.status_code == 200, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["refund_no"] == first.json()["refund_no"]
        assert again.json()["idempotency_key"] == "timeout-retry-1"

        db_order = await Order.get(order_no=order["id"])
        assert db_order.refunded_fen == 2000 and db_order.status == "PARTIALLY_REFUNDED"
        assert await Refund.filter(order_id=db_order.id).count() == 1
        at_channel = await channel_refunds(services, "app", order["id"])
        assert [(r.out_refund_no, r.amount_fen) for r in at_channel] == [
            (first.json()["refund_no"], 2000)
        ]

        # The same key for another refund is refused, and changes nothing.
        for other in ({"amount_fen": 3000, "reason": body["reason"]}, {**body, "reason": "别的"}):
            r = await api.post(url, json=other, headers=keyed(admin, "timeout-retry-1"))
            assert r.status_code == 409 and r.json()["code"] == "IDEMPOTENCY_KEY_REUSED", r.text
            assert r.json()["details"]["refund_no"] == first.json()["refund_no"]

        # No key, or a malformed one: 422 with a stable code, nothing changes.
        r = await api.post(url, json=body, headers=keyed(admin, None))
        assert r.status_code == 422 and r.json()["code"] == "IDEMPOTENCY_KEY_REQUIRED"
        for bad in ("short", "has space in it", "x" * 65, "semi;colon-key"):
            r = await api.post(url, json=body, headers=keyed(admin, bad))
            assert r.status_code == 422 and r.json()["code"] == "IDEMPOTENCY_KEY_INVALID", bad

        db_order = await Order.get(order_no=order["id"])
        assert db_order.refunded_fen == 2000
        assert await Refund.filter(order_id=db_order.id).count() == 1
        assert len(await channel_refunds(services, "app", order["id"])) == 1

        # Two genuine, identical refunds are two keys.
        second = await api.post(url, json=body, headers=keyed(admin, "second-same-refund"))
        assert second.status_code == 201, second.text
        assert second.json()["refund_no"] != first.json()["refund_no"]
        assert (await Order.get(order_no=order["id"])).refunded_fen == 4000
        assert len(await channel_refunds(services, "app", order["id"])) == 2


async def test_concurrent_requests_with_one_key_make_one_refund(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        order = await paid_app_order(api, sandbox, env, hooks.url)
        admin = await operator_token(api, "finance", "platform_admin")
        url = f"/api/v1/operator/orders/{order['id']}/refunds"
        body = {"amount_fen": 5000, "reason": "考生放弃报名"}
        answers = await asyncio.gather(
            *[api.post(url, json=body, headers=keyed(admin, "double-click-42")) for _ in range(6)]
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 200, 200, 200, 200, 201], [a.text for a in answers]
        assert len({a.json()["refund_no"] for a in answers}) == 1
        db_order = await Order.get(order_no=order["id"])
        assert db_order.refunded_fen == 5000
        assert await Refund.filter(order_id=db_order.id).count() == 1
        assert len(await channel_refunds(services, "app", order["id"])) == 1


async def test_a_retry_while_the_refund_is_pending_answers_it_as_is(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], services: Any
) -> None:
    """The first request reserved the balance and the process died before the channel call:
    the retry answers that PENDING refund without a channel call, and the poll sends it."""
    with receiver() as hooks:
        order = await paid_app_order(api, sandbox, env, hooks.url)
        admin = await operator_token(api, "finance", "platform_admin")
        crashed = await services.refunds._reserve(
            order["id"], 3000, "窗口退费", "finance", "crashed-before-send"
        )
        assert crashed.refund.status == "PENDING" and not crashed.replayed

        r = await api.post(
            f"/api/v1/operator/orders/{order['id']}/refunds",
            json={"amount_fen": 3000, "reason": "窗口退费"},
            headers=keyed(admin, "crashed-before-send"),
        )
        assert r.status_code == 200, r.text
        assert r.json()["refund_no"] == crashed.refund.refund_no
        assert r.json()["status"] == "PENDING"
        assert await channel_refunds(services, "app", order["id"]) == []
        assert (await Order.get(order_no=order["id"])).refunded_fen == 3000  # still reserved

        # The channel never heard of it: the poll sends it under the same refund number.
        assert await services.refunds.poll_pending(older_than=timedelta(0)) == 1
        refund = await Refund.get(id=crashed.refund.id)
        assert refund.status == "SUCCESS"
        at_channel = await channel_refunds(services, "app", order["id"])
        assert [(r.out_refund_no, r.amount_fen) for r in at_channel] == [(refund.refund_no, 3000)]
        assert (await Order.get(order_no=order["id"])).status == "PARTIALLY_REFUNDED"


async def test_the_cli_needs_a_key_and_a_rerun_refunds_once(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        order = await paid_app_order(api, sandbox, env, hooks.url)
        command = ["refund", "--order", order["id"], "--amount-fen", "1500"]
        command += ["--reason", "多缴退还", "--operator", "op-finance"]

        keyless = run_cli(env, *command)
        assert keyless.returncode == 2 and "--idempotency-key" in keyless.stderr
        bad = run_cli(env, *command, "--idempotency-key", "bad key")
        assert bad.returncode == 1 and "IDEMPOTENCY_KEY_INVALID" in bad.stderr
        assert await Refund.all().count() == 0

        first = run_cli(env, *command, "--idempotency-key", "ticket-2041")
        assert first.returncode == 0, first.stderr
        rerun = run_cli(env, *command, "--idempotency-key", "ticket-2041")
        assert rerun.returncode == 0, rerun.stderr
        made, replayed = json.loads(first.stdout), json.loads(rerun.stdout)
        assert made["replayed"] is False and replayed["replayed"] is True
        assert made["refund_no"] == replayed["refund_no"]
        assert (await Order.get(order_no=order["id"])).refunded_fen == 1500
        assert len(await channel_refunds(services, "app", order["id"])) == 1

        changed = [*command[:4], "1600", *command[5:]]
        reused = run_cli(env, *changed, "--idempotency-key", "ticket-2041")
        assert reused.returncode == 1 and "IDEMPOTENCY_KEY_REUSED" in reused.stderr
        assert (await Order.get(order_no=order["id"])).refunded_fen == 1500
