"""Money paths under faults: forged and replayed notifications, refunds, reconciliation,
late payments, lost notifications, a Redis flush mid-flow, expiry and channel switches."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from app.config import Settings
from infra import clock
from infra.outbox.models import OutboxEvent
from payments.errors import RefundExceedsBalance
from payments.models import (
    ChannelTrade,
    Notification,
    NotificationOutcome,
    Order,
    Refund,
    RefundReview,
)
from payments.refunds import Requested
from tests.journeys import bearer, eventually, sign_in, verified_resident
from tests.payments.conftest import on_both_wechat_apis
from tests.payments.test_journey import fees_agency, issue_notice, order_for, wait_paid
from tests.receivers import Receiver, receiver

pytestmark = pytest.mark.usefixtures("clean")


def wechat_sign(fields: dict[str, str], api_key: str) -> str:
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if fields[k] and k != "sign")
    return hashlib.md5(f"{text}&key={api_key}".encode()).hexdigest().upper()


def wechat_xml(fields: dict[str, str]) -> bytes:
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>".encode()


def wechat_notification(
    settings: Settings, order_no: str, total_fee: int, *, sign: bool = True
) -> dict[str, str]:
    c = settings.channels
    fields = {
        "appid": c.wechat_appid,
        "mch_id": c.wechat_mch_id,
        "nonce_str": secrets.token_hex(8),
        "result_code": "SUCCESS",
        "return_code": "SUCCESS",
        "openid": "o-test",
        "trade_type": "JSAPI",
        "bank_type": "CMB_DEBIT",
        "total_fee": str(total_fee),
        "cash_fee": str(total_fee),
        "fee_type": "CNY",
        "transaction_id": "4200" + secrets.token_hex(12)[:24],
        "out_trade_no": order_no,
        "time_end": clock.shanghai_now().strftime("%Y%m%d%H%M%S"),
    }
    if sign:
        fields["sign"] = wechat_sign(fields, c.wechat_api_key)
    return fields


async def paying_order(
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    env: dict[str, str],
    channel: str,
    hooks_url: str,
) -> tuple[str, dict, dict]:
    """A verified resident with a notice order whose payment has started on ``channel``."""
    creds = await fees_agency(api, env, Receiver(hooks_url))
    code = await issue_notice(api, creds)
    _, token = await verified_resident(api, sandbox, channel)
    order = await order_for(api, token, code)
    r = await api.post(
        f"/api/v1/orders/{order['id']}/payments", json={"channel": channel}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    return token, order, r.json()["channel_params"]


@on_both_wechat_apis
async def test_forged_mismatched_unknown_and_replayed_notifications(
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    stack_env: dict[str, str],
    settings: Settings,
) -> None:
    with receiver() as hooks:
        token, order, _ = await paying_order(api, sandbox, stack_env, "wechat", hooks.url)
        url = "/notify/wechat/pay"

        tampered = wechat_notification(settings, order["id"], 12000)
        tampered["total_fee"] = "1"
        r = await api.post(url, content=wechat_xml(tampered))
        assert r.status_code == 400 and r.headers["X-Error-Code"] == "NOTIFY_SIGNATURE_INVALID"
        assert "<return_code><![CDATA[FAIL]]></return_code>" in r.text

        unsigned = wechat_notification(settings, order["id"], 12000, sign=False)
        r = await api.post(url, content=wechat_xml(unsigned))
        assert r.status_code == 400

        r = await api.post(url, content=b"not xml at all")
        assert r.status_code == 400 and r.headers["X-Error-Code"] == "NOTIFY_SIGNATURE_INVALID"

        wrong_amount = wechat_notification(settings, order["id"], 11999)
        r = await api.post(url, content=wechat_xml(wrong_amount))
        assert r.status_code == 400 and r.headers["X-Error-Code"] == "NOTIFY_AMOUNT_MISMATCH"

        unknown = wechat_notification(settings, "YW00000000000000000000", 12000)
        r = await api.post(url, content=wechat_xml(unknown))
        assert r.status_code == 404 and r.headers["X-Error-Code"] == "NOTIFY_UNKNOWN_ORDER"

        db_order = await Order.get(order_no=order["id"])
        assert db_order.status == "PAYING"
        assert await OutboxEvent.filter(kind="order.paid").count() == 0

        genuine = wechat_xml(wechat_notification(settings, order["id"], 12000))
        answers = await asyncio.gather(*[api.post(url, content=genuine) for _ in range(4)])
        for answer in answers:  # the first settles, the replays are acknowledged as duplicates
            assert answer.status_code == 200
            assert "<return_code><![CDATA[SUCCESS]]></return_code>" in answer.text
        await wait_paid(api, token, order["id"])
        assert await OutboxEvent.filter(kind="order.paid").count() == 1
        # Every notification was logged raw before it was acted on, with its outcome.
        assert await Notification.all().count() == 9
        outcomes = await NotificationOutcome.all().values_list("outcome", flat=True)
        assert sorted(outcomes).count("paid") == 1 and outcomes.count("duplicate") == 3
        assert outcomes.count("rejected") == 3


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )


@on_both_wechat_apis
async def test_partial_then_full_refund_and_never_beyond_the_balance(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack_env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        token, order, params = await paying_order(api, sandbox, stack_env, "wechat", hooks.url)
        prepay = params["package"].removeprefix("prepay_id=")
        await sandbox.post("/sandbox/wechat/payments", json={"prepay_id": prepay})
        await wait_paid(api, token, order["id"])

        first = run_cli(
            stack_env,
            "refund",
            "--order",
            order["id"],
            "--amount-fen",
            "5000",
            "--reason",
            "考生放弃报名，退一部分",
            "--operator",
            "op-finance",
            "--idempotency-key",
            "part-refund-1",
        )
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["amount_fen"] == 5000

        async def status_is(want: str) -> bool:
            return (await Order.get(order_no=order["id"])).status == want

        await eventually(lambda: status_is("PARTIALLY_REFUNDED"))
        too_much = run_cli(
            stack_env,
            "refund",
            "--order",
            order["id"],
            "--amount-fen",
            "7001",
            "--reason",
            "多退",
            "--operator",
            "op-finance",
            "--idempotency-key",
            "too-much-1",
        )
        assert too_much.returncode != 0 and "REFUND_EXCEEDS_BALANCE" in too_much.stderr
        rest = run_cli(
            stack_env,
            "refund",
            "--order",
            order["id"],
            "--amount-fen",
            "7000",
            "--reason",
            "全部退还",
            "--operator",
            "op-finance",
            "--idempotency-key",
            "the-rest-1",
        )
        assert rest.returncode == 0, rest.stderr
        await eventually(lambda: status_is("REFUNDED"))
        db_order = await Order.get(order_no=order["id"])
        assert db_order.refunded_fen == 12000
        assert await Refund.filter(status="SUCCESS").count() == 2
        assert await OutboxEvent.filter(kind="receipt.red_letter").count() == 2
        with pytest.raises(Exception) as late:
            await services.refunds.request(order["id"], 1, reason="再退", requested_by="op")
        assert getattr(late.value, "code", "") in ("ORDER_NOT_REFUNDABLE", "REFUND_EXCEEDS_BALANCE")


async def test_two_refunds_racing_cannot_exceed_the_amount(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack_env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        token, order, params = await paying_order(api, sandbox, stack_env, "alipay", hooks.url)
        await sandbox.post("/sandbox/alipay/payments", json={"trade_no": params["trade_no"]})
        await wait_paid(api, token, order["id"])
        results = await asyncio.gather(
            *[
                services.refunds.request(order["id"], 7000, reason="重复申请", requested_by="op")
                for _ in range(2)
            ],
            return_exceptions=True,
        )
        refused = [r for r in results if isinstance(r, RefundExceedsBalance)]
        done = [r for r in results if isinstance(r, Requested)]
        assert len(refused) == 1 and len(done) == 1
        db_order = await Order.get(order_no=order["id"])
        assert db_order.refunded_fen == 7000 and db_order.status == "PARTIALLY_REFUNDED"


@on_both_wechat_apis
async def test_reconciliation_finds_and_settles_a_payment_whose_notification_was_lost(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack_env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        token, normal, params = await paying_order(api, sandbox, stack_env, "wechat", hooks.url)
        await sandbox.post(
            "/sandbox/wechat/payments",
            json={"prepay_id": params["package"].removeprefix("prepay_id=")},
        )
        await wait_paid(api, token, normal["id"])

        _, silent, params2 = await paying_order(api, sandbox, stack_env, "wechat", hooks.url)
        r = await sandbox.post(
            "/sandbox/wechat/payments",
            json={"prepay_id": params2["package"].removeprefix("prepay_id="), "notify": False},
        )
        assert r.status_code == 201
        await asyncio.sleep(0.3)
        assert (await Order.get(order_no=silent["id"])).status == "PAYING"

        today = clock.shanghai_date()
        ours = {normal["id"], silent["id"]}
        # The sandbox's bill also holds earlier tests' trades, whose orders were truncated
        # here; only this test's two orders are judged.
        report = await services.reconciler.run("wechat", today)
        kinds = [(f.kind, f.order_no, f.fixed) for f in report.findings if f.order_no in ours]
        assert kinds == [("missing_on_our_side", silent["id"], True)]
        assert (await Order.get(order_no=silent["id"])).status == "PAID"

        again = run_cli(stack_env, "reconcile", "--channel", "wechat", "--date", today.isoformat())
        body = json.loads(again.stdout)
        assert [d for d in body["discrepancies"] if d["order_no"] in ours] == []
        leftovers = [d for d in body["discrepancies"] if d["order_no"] not in ours]
        for d in leftovers:  # earlier tests' trades and refunds, unknown to the truncated DB
            assert await Order.get_or_none(order_no=d["order_no"]) is None, d
        assert again.returncode == (1 if leftovers else 0)
        assert body["matched"] == 2
        await eventually(lambda: _hooks_at_least(hooks, 2))


async def test_reconciliation_reports_what_the_wechat_bill_disagrees_on(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], services: Any
) -> None:
    async def paid_order() -> tuple[dict, str]:
        token, order, params = await paying_order(api, sandbox, env, "wechat", hooks.url)
        prepay = params["package"].removeprefix("prepay_id=")
        await sandbox.post("/sandbox/wechat/payments", json={"prepay_id": prepay})
        await wait_paid(api, token, order["id"])
        return order, prepay

    async def bill_fault(order_no: str, **fault: object) -> None:
        body = {"out_trade_no": order_no, **fault}
        r = await sandbox.post("/sandbox/wechat/bill-faults", json=body)
        assert r.status_code == 200, r.text

    with receiver() as hooks:
        matched, _ = await paid_order()
        omitted, _ = await paid_order()
        await bill_fault(omitted["id"], omit=True)  # paid at WeChat, left out of its bill
        short, _ = await paid_order()
        await bill_fault(short["id"], total_fee=11_999)  # billed one fen short
        # Closed here, but paid at WeChat in a race with the close; its notification lost.
        _, closed, params = await paying_order(api, sandbox, env, "wechat", hooks.url)
        closed_order = await Order.get(order_no=closed["id"])
        assert await services.settlement.close(closed_order, reason="abandoned")
        r = await sandbox.post(
            "/sandbox/wechat/payments",
            json={
                "prepay_id": params["package"].removeprefix("prepay_id="),
                "force": True,
                "notify": False,
            },
        )
        assert r.status_code == 201, r.text

        ours = {matched["id"], omitted["id"], short["id"], closed["id"]}
        report = await services.reconciler.run("wechat", clock.shanghai_date())
        found = {(f.order_no, f.kind, f.fixed) for f in report.findings if f.order_no in ours}
        assert found == {
            (omitted["id"], "missing_at_channel", False),
            (short["id"], "amount_mismatch", False),
            (closed["id"], "status_mismatch", True),  # its money queued for refund review
        }
        assert report.matched == 1
        [review] = await RefundReview.filter(order_id=closed_order.id)
        assert review.reason == "PAID_AFTER_CLOSE" and review.amount_fen == 12000
        assert (await Order.get(id=closed_order.id)).status == "CLOSED"
        assert (await Order.get(order_no=short["id"])).status == "PAID"  # reported, not changed


async def _hooks_at_least(hooks: Any, n: int) -> bool:
    return len(hooks.received) >= n


async def test_a_payment_arriving_for_a_closed_order_is_kept_for_refund_review(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack_env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        _, order, params = await paying_order(api, sandbox, stack_env, "app", hooks.url)
        assert params["cashier_url"].startswith("http")
        db_order = await Order.get(order_no=order["id"])
        assert await services.settlement.close(db_order, reason="abandoned")
        assert (await Order.get(order_no=order["id"])).status == "CLOSED"
        r = await sandbox.post(
            "/sandbox/app/payments", json={"out_trade_no": order["id"], "force": True}
        )
        assert r.status_code == 201, r.text
        review = await eventually(lambda: RefundReview.filter(order_id=db_order.id).first())
        assert review.reason == "PAID_AFTER_CLOSE" and review.amount_fen == 12000
        assert (await Order.get(order_no=order["id"])).status == "CLOSED"
        assert await OutboxEvent.filter(kind="order.paid").count() == 0


async def test_a_payment_for_a_payable_another_order_paid_closes_this_order_for_review(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack_env: dict[str, str], services: Any
) -> None:
    from payments.settle import Outcome, PaidEvidence

    with receiver() as hooks:
        _, order, _ = await paying_order(api, sandbox, stack_env, "wechat", hooks.url)
    mine = await Order.get(order_no=order["id"])
    key = f"{mine.payable_type}:{mine.payable_ref}"
    # Another order of the same payable was paid first.
    await Order.create(
        order_no=f"YWX{secrets.token_hex(6)}",
        citizen_id=mine.citizen_id,  # type: ignore[attr-defined]
        payable_type=mine.payable_type,
        payable_ref=mine.payable_ref,
        paid_key=key,
        status="PAID",
        amount_fen=mine.amount_fen,
        description=mine.description,
        agency_name=mine.agency_name,
        payer_name_enc=mine.payer_name_enc,
        region_code=mine.region_code,
        channel="alipay",
        channel_trade_no=f"2088{secrets.token_hex(8)}",
        created_at=clock.now(),
        updated_at=clock.now(),
        expires_at=mine.expires_at,
        paid_at=clock.now(),
    )
    evidence = PaidEvidence(
        "wechat", "4200" + secrets.token_hex(10), mine.amount_fen, clock.now(), "query"
    )
    assert await services.settlement.paid(mine, evidence) == Outcome.REVIEW
    closed = await Order.get(id=mine.id)
    assert closed.status == "CLOSED" and closed.open_key is None and closed.closed_at
    # The channel query or a notification repeats it: still one review, nothing paid.
    assert await services.settlement.paid(closed, evidence) == Outcome.REVIEW
    [review] = await RefundReview.filter(order_id=mine.id)
    assert review.reason == "PAYABLE_ALREADY_PAID" and review.amount_fen == mine.amount_fen
    assert await OutboxEvent.filter(kind="order.paid").count() == 0


async def test_orders_still_paying_are_settled_by_querying_the_channel(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack_env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        token, order, params = await paying_order(api, sandbox, stack_env, "alipay", hooks.url)
        await sandbox.post(
            "/sandbox/alipay/payments", json={"trade_no": params["trade_no"], "notify": False}
        )
        assert await services.settlement.poll_paying(older_than=timedelta(minutes=5)) == 0
        assert await services.settlement.poll_paying(older_than=timedelta(0)) == 1
        paid = await wait_paid(api, token, order["id"])
        assert paid["channel"] == "alipay"


@on_both_wechat_apis
async def test_a_redis_flush_mid_payment_loses_nothing(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack_env: dict[str, str], redis_url: str
) -> None:
    with receiver() as hooks:
        token, order, params = await paying_order(api, sandbox, stack_env, "wechat", hooks.url)
        flusher = aioredis.from_url(redis_url)
        await flusher.flushdb()
        await flusher.aclose()
        # Sessions come back from PostgreSQL; queued jobs come back from the outbox sweep.
        assert (await api.get("/api/v1/me", headers=bearer(token))).status_code == 200
        await sandbox.post(
            "/sandbox/wechat/payments",
            json={"prepay_id": params["package"].removeprefix("prepay_id=")},
        )
        await wait_paid(api, token, order["id"])
        await eventually(lambda: _hooks_at_least(hooks, 1), timeout=30)
        await asyncio.sleep(1)
        assert len(hooks.received) == 1


@on_both_wechat_apis
async def test_expired_orders_are_closed_here_and_at_the_channel(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack_env: dict[str, str], services: Any
) -> None:
    with receiver() as hooks:
        token, order, params = await paying_order(api, sandbox, stack_env, "wechat", hooks.url)
        await Order.filter(order_no=order["id"]).update(
            expires_at=clock.now() - timedelta(seconds=1)
        )
        assert await services.settlement.expire_due() == 1
        assert (await Order.get(order_no=order["id"])).status == "CLOSED"
        late = await sandbox.post(
            "/sandbox/wechat/payments",
            json={"prepay_id": params["package"].removeprefix("prepay_id=")},
        )
        assert late.status_code == 409
        r = await api.post(
            f"/api/v1/orders/{order['id']}/payments",
            json={"channel": "wechat"},
            headers=bearer(token),
        )
        assert r.status_code == 409 and r.json()["code"] == "ORDER_CLOSED"
        payable = (await Order.get(order_no=order["id"])).payable_ref
        fresh = await order_for(api, token, payable)
        assert fresh["id"] != order["id"] and fresh["status"] == "CREATED"


async def paying_on_wechat_with_alipay_at_hand(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], hooks: Receiver
) -> tuple[str, dict, str, str]:
    """One person signed in on WeChat (face-verified) and on Alipay, one citizen with two
    channel accounts, whose notice order started paying on WeChat.
    Answers (token, order, its payments URL, the WeChat prepay_id)."""
    creds = await fees_agency(api, env, hooks)
    who, token = await verified_resident(api, sandbox, "wechat")
    alipay = await sign_in(api, sandbox, "alipay", who["alipay"]["user_id"])
    me = (await api.get("/api/v1/me", headers=bearer(token))).json()
    assert alipay["citizen"]["id"] == me["id"]
    order = await order_for(api, token, await issue_notice(api, creds))
    pay = f"/api/v1/orders/{order['id']}/payments"
    r = await api.post(pay, json={"channel": "wechat"}, headers=bearer(token))
    assert r.status_code == 200, r.text
    return token, order, pay, r.json()["channel_params"]["package"].removeprefix("prepay_id=")


async def open_trades(order_no: str) -> dict[str, ChannelTrade]:
    order = await Order.get(order_no=order_no)
    return {t.channel: t for t in await ChannelTrade.filter(order_id=order.id)}


@on_both_wechat_apis
async def test_switching_channel_closes_the_first_trade_before_the_second_exists(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack_env: dict[str, str]
) -> None:
    with receiver() as hooks:
        token, order, pay, prepay = await paying_on_wechat_with_alipay_at_hand(
            api, sandbox, stack_env, hooks
        )
        r = await api.post(pay, json={"channel": "alipay"}, headers=bearer(token))
        assert r.status_code == 200, r.text
        trade_no = r.json()["channel_params"]["trade_no"]
        trades = await open_trades(order["id"])
        # The WeChat trade was closed (here and at WeChat) before the Alipay one was opened.
        assert trades["wechat"].closed_at is not None and trades["alipay"].closed_at is None
        assert trades["wechat"].closed_at <= trades["alipay"].started_at
        refused = await sandbox.post("/sandbox/wechat/payments", json={"prepay_id": prepay})
        assert refused.status_code == 409 and "CLOSED" in refused.json()["message"]

        await sandbox.post("/sandbox/alipay/payments", json={"trade_no": trade_no})
        paid = await wait_paid(api, token, order["id"])
        assert paid["channel"] == "alipay"
        # A payment that raced WeChat's close arrives late: kept for refund review, never
        # a second settlement of the order.
        late = await sandbox.post(
            "/sandbox/wechat/payments", json={"prepay_id": prepay, "force": True}
        )
        assert late.status_code == 201, late.text
        db_order = await Order.get(order_no=order["id"])
        review = await eventually(lambda: RefundReview.filter(order_id=db_order.id).first())
        assert review.channel == "wechat" and review.reason == "SECOND_PAYMENT"
        assert review.channel_trade_no == late.json()["transaction_id"]
        assert review.amount_fen == db_order.amount_fen == 12000
        db_order = await Order.get(id=db_order.id)
        assert db_order.status == "PAID" and db_order.channel == "alipay"
        assert await OutboxEvent.filter(kind="order.paid").count() == 1


async def test_a_first_trade_paid_during_the_switch_settles_the_order_and_opens_no_second(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        token, order, pay, prepay = await paying_on_wechat_with_alipay_at_hand(
            api, sandbox, env, hooks
        )
        # Paid at WeChat, its notification not yet here, while the resident switches.
        r = await sandbox.post(
            "/sandbox/wechat/payments", json={"prepay_id": prepay, "notify": False}
        )
        assert r.status_code == 201, r.text
        r = await api.post(pay, json={"channel": "alipay"}, headers=bearer(token))
        assert r.status_code == 409 and r.json()["code"] == "ALREADY_PAID"
        assert set(await open_trades(order["id"])) == {"wechat"}  # no Alipay trade exists
        paid = await wait_paid(api, token, order["id"])
        assert paid["channel"] == "wechat"
        assert await OutboxEvent.filter(kind="order.paid").count() == 1


async def test_another_residents_order_looks_like_no_order_and_unlinked_channels_are_refused(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        token, order, wechat_params = await paying_order(api, sandbox, env, "wechat", hooks.url)
        assert wechat_params["package"].startswith("prepay_id=")
        for channel in ("alipay", "app"):  # this resident never signed in there
            r = await api.post(
                f"/api/v1/orders/{order['id']}/payments",
                json={"channel": channel},
                headers=bearer(token),
            )
            assert r.status_code == 422 and r.json()["code"] == "CHANNEL_ACCOUNT_MISSING"
        _, other = await verified_resident(
            api, sandbox, "app", id_number="330102198511224569", name="李四"
        )
        r = await api.get(f"/api/v1/orders/{order['id']}", headers=bearer(other))
        assert r.status_code == 404 and r.json()["code"] == "ORDER_NOT_FOUND"
        assert set(await open_trades(order["id"])) == {"wechat"}


async def test_an_agency_answering_500_twice_then_200_gets_the_payment_once_under_one_delivery_id(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        hooks.statuses = [500, 500, 200]
        token, order, params = await paying_order(api, sandbox, env, "wechat", hooks.url)
        prepay = params["package"].removeprefix("prepay_id=")
        await sandbox.post("/sandbox/wechat/payments", json={"prepay_id": prepay})
        await wait_paid(api, token, order["id"])
        for failures in (1, 2):
            await eventually(lambda n=failures: _hooks_at_least(hooks, n))
            event = await eventually(
                lambda n=failures: OutboxEvent.filter(kind="agency.webhook", attempts=n).first()
            )
            assert event.status == "pending" and "500" in (event.last_error or ""), event
            # The backoff has passed: the worker's sweep retries it.
            await OutboxEvent.filter(id=event.id).update(next_attempt_at=clock.now())
        await eventually(lambda: _hooks_at_least(hooks, 3))
        delivered = await eventually(
            lambda: OutboxEvent.filter(kind="agency.webhook", status="delivered").first()
        )
        assert delivered.attempts == 3
        await asyncio.sleep(1.5)  # two more sweeps: nothing is sent after the 200
        assert len(hooks.received) == 3
        assert {r.headers["x-yiwang-delivery"] for r in hooks.received} == {
            f"yw-evt-{delivered.id}"
        }
        assert len({r.body for r in hooks.received}) == 1
        assert json.loads(hooks.received[0].body)["data"]["order_no"] == order["id"]
        assert await OutboxEvent.filter(kind="agency.webhook").count() == 1
