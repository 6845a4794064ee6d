"""The refund-review queue has a way out: an admin refunds the trade at its channel or
records that it was settled offline. The order's own refunds, status and receipts never
move, and resolving twice never refunds twice."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.receipts.models import Receipt
from infra import clock
from infra.outbox.models import OutboxEvent
from payments.models import NotificationOutcome, Order, Refund, RefundReview
from tests.journeys import bearer, eventually, sign_in, verified_resident
from tests.payments.conftest import on_both_wechat_apis
from tests.payments.test_faults import paying_order, wechat_notification, wechat_xml
from tests.payments.test_journey import fees_agency, issue_notice, order_for, wait_paid
from tests.payments.test_operator_endpoints import operator_token
from tests.payments.test_refund_keys import channel_refunds
from tests.receivers import Receiver, receiver

pytestmark = pytest.mark.usefixtures("clean")

REVIEWS = "/api/v1/operator/refund-reviews"


async def review_of(order_no: str) -> RefundReview:
    return await eventually(lambda: RefundReview.filter(order__order_no=order_no).first())


async def late_app_payment(
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    env: dict[str, str],
    services: Any,
    hooks_url: str,
) -> tuple[dict, RefundReview]:
    """An order closed here, then paid at the provincial app's cashier anyway."""
    _, order, _ = await paying_order(api, sandbox, env, "app", hooks_url)
    assert await services.settlement.close(await Order.get(order_no=order["id"]), reason="test")
    r = await sandbox.post(
        "/sandbox/app/payments", json={"out_trade_no": order["id"], "force": True}
    )
    assert r.status_code == 201, r.text
    review = await review_of(order["id"])
    assert review.reason == "PAID_AFTER_CLOSE" and review.status == "OPEN"
    return order, review


async def no_order_refund_consequences(order_no: str) -> None:
    """What an order refund does (refunded_fen, status, domain event, red letter) did not happen."""
    order = await Order.get(order_no=order_no)
    assert order.refunded_fen == 0
    assert await OutboxEvent.filter(kind="order.refunded").count() == 0
    assert await OutboxEvent.filter(kind="receipt.red_letter").count() == 0
    assert await Receipt.filter(order_id=order.id, kind="red_letter").count() == 0


async def listed(api: httpx.AsyncClient, token: str, status: str | None = None) -> list[dict]:
    params = {"status": status} if status else None
    r = await api.get(REVIEWS, params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()["reviews"]


def refund_body(note: str = "订单已关闭后到账，原路退回") -> dict[str, str]:
    return {"action": "refund", "note": note}


async def test_a_late_payment_is_refunded_at_its_channel_and_the_order_is_untouched(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        order, review = await late_app_payment(api, sandbox, env, services, hooks.url)
        admin = await operator_token(api, "finance", "platform_admin")
        clerk = await operator_token(api, "clerk", "department_operator")
        resolve = f"{REVIEWS}/{review.id}/resolve"

        assert (await api.get(REVIEWS, headers=bearer(clerk))).status_code == 403
        r = await api.post(resolve, json=refund_body(), headers=bearer(clerk))
        assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
        r = await api.post(f"{REVIEWS}/999999/resolve", json=refund_body(), headers=bearer(admin))
        assert r.status_code == 404 and r.json()["code"] == "REFUND_REVIEW_NOT_FOUND"
        r = await api.post(resolve, json={"action": "burn", "note": "?"}, headers=bearer(admin))
        assert r.status_code == 422 and "action" in r.json()["details"]["fields"]
        assert (await RefundReview.get(id=review.id)).status == "OPEN"
        assert await Refund.all().count() == 0

        # Three admins (or one impatient one) press the button at once: one refund.
        answers = await asyncio.gather(
            *[api.post(resolve, json=refund_body(), headers=bearer(admin)) for _ in range(3)]
        )
        assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
        refund_nos = {a.json()["refund"]["refund_no"] for a in answers}
        assert len(refund_nos) == 1
        refund = await Refund.get(review_id=review.id)
        assert refund.refund_no in refund_nos and refund.amount_fen == 12000
        assert refund.status == "SUCCESS" and refund.requested_by == "finance"

        at_channel = await channel_refunds(services, "app", order["id"])
        assert [(r.out_refund_no, r.amount_fen) for r in at_channel] == [(refund.refund_no, 12000)]
        assert (await Order.get(order_no=order["id"])).status == "CLOSED"
        await no_order_refund_consequences(order["id"])

        assert await listed(api, admin) == []
        [shown] = await listed(api, admin, "resolved")
        assert shown["id"] == review.id and shown["status"] == "REFUNDED"
        assert shown["resolution"]["action"] == "refund" and shown["resolution"]["by"] == "finance"
        assert shown["resolution"]["note"] == refund_body()["note"]
        assert shown["resolution"]["resolved_at"] is not None
        assert shown["refund"]["refund_no"] == refund.refund_no

        # Resolving again answers the resolution; another action is refused.
        again = await api.post(resolve, json=refund_body("再点一次"), headers=bearer(admin))
        assert again.status_code == 200 and again.json()["refund"]["refund_no"] == refund.refund_no
        other = await api.post(
            resolve, json={"action": "settled_offline", "note": "银行转账"}, headers=bearer(admin)
        )
        assert other.status_code == 409 and other.json()["code"] == "REFUND_REVIEW_RESOLVED"
        assert await Refund.filter(review_id=review.id).count() == 1
        assert len(await channel_refunds(services, "app", order["id"])) == 1
        bad = await api.get(REVIEWS, params={"status": "all"}, headers=bearer(admin))
        assert bad.status_code == 422


async def test_a_second_payment_of_a_paid_order_is_refunded_without_touching_its_payment(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        creds = await fees_agency(api, env, Receiver(hooks.url))
        code = await issue_notice(api, creds)
        who, token = await verified_resident(api, sandbox, "app")
        order = await order_for(api, token, code)
        pay_url = f"/api/v1/orders/{order['id']}/payments"
        r = await api.post(pay_url, json={"channel": "app"}, headers=bearer(token))
        assert r.status_code == 200, r.text
        on_alipay = await sign_in(api, sandbox, "alipay", who["alipay"]["user_id"])
        r = await api.post(pay_url, json={"channel": "alipay"}, headers=bearer(on_alipay["token"]))
        assert r.status_code == 200, r.text
        trade_no = r.json()["channel_params"]["trade_no"]
        await sandbox.post("/sandbox/alipay/payments", json={"trade_no": trade_no})
        await wait_paid(api, token, order["id"])
        db_order = await Order.get(order_no=order["id"])
        blue = await eventually(lambda: Receipt.filter(order_id=db_order.id).first())
        # The app cashier takes the money too (the trade closed there, the person paid anyway).
        r = await sandbox.post(
            "/sandbox/app/payments", json={"out_trade_no": order["id"], "force": True}
        )
        assert r.status_code == 201, r.text
        review = await review_of(order["id"])
        assert review.reason == "SECOND_PAYMENT" and review.channel == "app"

        admin = await operator_token(api, "finance", "platform_admin")
        resolve = f"{REVIEWS}/{review.id}/resolve"
        r = await api.post(resolve, json=refund_body("重复支付退回"), headers=bearer(admin))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "REFUNDED" and r.json()["refund"]["status"] == "SUCCESS"
        assert len(await channel_refunds(services, "app", order["id"])) == 1
        assert await channel_refunds(services, "alipay", order["id"]) == []
        db_order = await Order.get(order_no=order["id"])
        assert db_order.status == "PAID" and db_order.channel == "alipay"
        await no_order_refund_consequences(order["id"])
        assert (await Receipt.get(id=blue.id)).status == "ISSUED"

        # The order's own refund still counts only its own refunds: 2000 of 12000 is partial.
        r = await api.post(
            f"/api/v1/operator/orders/{order['id']}/refunds",
            json={"amount_fen": 2000, "reason": "多缴部分退还"},
            headers={**bearer(admin), "Idempotency-Key": "after-review-1"},
        )
        assert r.status_code == 201 and r.json()["status"] == "SUCCESS", r.text
        db_order = await Order.get(order_no=order["id"])
        assert db_order.status == "PARTIALLY_REFUNDED" and db_order.refunded_fen == 2000
        assert len(await channel_refunds(services, "alipay", order["id"])) == 1


@on_both_wechat_apis
async def test_a_wechat_review_refund_completes_by_the_channels_refund_notification(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack_env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        _, order, params = await paying_order(api, sandbox, stack_env, "wechat", hooks.url)
        # Our side closed the order; the channel's close never happened (a lost race).
        await Order.filter(order_no=order["id"]).update(
            status="CLOSED", open_key=None, closed_at=clock.now()
        )
        prepay = params["package"].removeprefix("prepay_id=")
        r = await sandbox.post("/sandbox/wechat/payments", json={"prepay_id": prepay})
        assert r.status_code == 201, r.text
        review = await review_of(order["id"])
        assert review.channel_trade_no == r.json()["transaction_id"]

        admin = await operator_token(api, "finance", "platform_admin")
        r = await api.post(
            f"{REVIEWS}/{review.id}/resolve", json=refund_body(), headers=bearer(admin)
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] in ("REFUNDING", "REFUNDED")
        refund_no = r.json()["refund"]["refund_no"]

        async def refunded() -> bool:
            return (await RefundReview.get(id=review.id)).status == "REFUNDED"

        await eventually(refunded)
        refund = await Refund.get(refund_no=refund_no)
        assert refund.status == "SUCCESS" and refund.channel_refund_no
        assert await NotificationOutcome.filter(outcome="refund_success").count() == 1
        state = await services.channels.pay["wechat"].query_refund(order["id"], refund_no)
        assert state.status == "SUCCESS" and state.refund_fen == 12000
        assert (await Order.get(order_no=order["id"])).status == "CLOSED"
        await no_order_refund_consequences(order["id"])


async def test_a_refund_the_channel_refuses_reopens_the_review(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        order, review = await late_app_payment(api, sandbox, env, services, hooks.url)
        admin = await operator_token(api, "finance", "platform_admin")
        resolve = f"{REVIEWS}/{review.id}/resolve"
        # A review amount the channel disagrees with makes the cashier refuse the refund.
        await RefundReview.filter(id=review.id).update(amount_fen=12001)
        r = await api.post(resolve, json=refund_body(), headers=bearer(admin))
        assert r.status_code == 502 and r.json()["code"] == "PAYMENT_CHANNEL_FAILED", r.text
        reopened = await RefundReview.get(id=review.id)
        assert reopened.status == "OPEN" and reopened.action is None and reopened.failure
        failed = await Refund.get(review_id=review.id)
        assert failed.status == "FAILED"
        await no_order_refund_consequences(order["id"])
        [shown] = await listed(api, admin)
        assert shown["status"] == "OPEN" and shown["refund"]["status"] == "FAILED"

        await RefundReview.filter(id=review.id).update(amount_fen=12000)
        r = await api.post(resolve, json=refund_body(), headers=bearer(admin))
        assert r.status_code == 200 and r.json()["status"] == "REFUNDED", r.text
        assert r.json()["refund"]["refund_no"] != failed.refund_no
        statuses = (
            await Refund.filter(review_id=review.id).order_by("id").values_list("status", flat=True)
        )
        assert statuses == ["FAILED", "SUCCESS"]
        assert len(await channel_refunds(services, "app", order["id"])) == 1


async def test_a_trade_the_channel_does_not_confirm_is_settled_offline(
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    env: dict[str, str],
    services: Any,
    settings: Settings,
) -> None:
    with receiver() as hooks:
        _, order, _ = await paying_order(api, sandbox, env, "wechat", hooks.url)
        assert await services.settlement.close(await Order.get(order_no=order["id"]), reason="t")
        # A genuinely signed notification for a transaction the channel's order query
        # does not show: we keep the money on the list but refuse to refund it blindly.
        notice = wechat_xml(wechat_notification(settings, order["id"], 12000))
        assert (await api.post("/notify/wechat/pay", content=notice)).status_code == 200
        review = await review_of(order["id"])
        admin = await operator_token(api, "finance", "platform_admin")
        resolve = f"{REVIEWS}/{review.id}/resolve"

        r = await api.post(resolve, json=refund_body(), headers=bearer(admin))
        assert r.status_code == 409 and r.json()["code"] == "REFUND_REVIEW_TRADE_MISMATCH"
        assert (await RefundReview.get(id=review.id)).status == "OPEN"
        assert await Refund.all().count() == 0

        offline = {"action": "settled_offline", "note": "已通过银行转账退回，凭证 BT-0042"}
        r = await api.post(resolve, json=offline, headers=bearer(admin))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "SETTLED_OFFLINE" and body["refund"] is None
        assert body["resolution"]["note"] == offline["note"]
        assert body["resolution"]["by"] == "finance" and body["resolution"]["resolved_at"]

        assert await listed(api, admin) == []
        [shown] = await listed(api, admin, "resolved")
        assert shown["id"] == review.id and shown["resolution"]["action"] == "settled_offline"
        r = await api.post(resolve, json=offline, headers=bearer(admin))
        assert (
            r.status_code == 200
            and r.json()["resolution"]["decided_at"] == (body["resolution"]["decided_at"])
        )
        r = await api.post(resolve, json=refund_body(), headers=bearer(admin))
        assert r.status_code == 409 and r.json()["code"] == "REFUND_REVIEW_RESOLVED"
        assert await Refund.all().count() == 0
        await no_order_refund_consequences(order["id"])
