"""WeChat money paths that must hold on API v3 and v2 alike: a payment whose notification
never came is settled by polling; two refunds racing never exceed the payment and a
repeated refund is the same refund; reconciliation reports its four kinds."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

import httpx

from infra import clock
from payments.errors import RefundExceedsBalance
from payments.models import Order, RefundReview
from payments.refunds import Requested
from tests.journeys import ID_NUMBER, agency_post, bearer, verified_resident
from tests.payments.conftest import on_both_wechat_apis
from tests.payments.test_journey import fees_agency, order_for, wait_paid
from tests.receivers import Receiver, receiver


async def paying_orders(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], hooks: str, n: int
) -> tuple[str, list[tuple[dict, dict]]]:
    """One resident, ``n`` notices, each order's WeChat payment started: (order, params)."""
    creds = await fees_agency(api, env, Receiver(hooks))
    _, token = await verified_resident(api, sandbox, "wechat")
    started = []
    for _ in range(n):
        order = await order_for(api, token, await distinct_notice(api, creds))
        r = await api.post(
            f"/api/v1/orders/{order['id']}/payments",
            json={"channel": "wechat"},
            headers=bearer(token),
        )
        assert r.status_code == 200, r.text
        started.append((order, r.json()["channel_params"]))
    return token, started


async def distinct_notice(api: httpx.AsyncClient, creds: dict) -> str:
    """A notice of its own number: the same body twice would be an agency replay."""
    r = await agency_post(
        api,
        creds,
        "/api/v1/agency/notices",
        {
            "payer": {"name": "张三", "id_number": ID_NUMBER},
            "notice_no": f"WX-PATHS-{secrets.token_hex(6)}",
            "items": [
                {
                    "item_code": "103001",
                    "name": "普通高考报名考试费",
                    "quantity": 1,
                    "standard_fen": 12000,
                    "amount_fen": 12000,
                }
            ],
            "due_date": (clock.shanghai_date() + timedelta(days=7)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["payment_code"])


async def pays(sandbox: httpx.AsyncClient, params: dict, *, notify: bool = True) -> None:
    body = {"prepay_id": params["package"].removeprefix("prepay_id="), "notify": notify}
    assert (await sandbox.post("/sandbox/wechat/payments", json=body)).status_code == 201


@on_both_wechat_apis
async def test_polling_settles_a_silent_payment_and_racing_refunds_never_exceed_it(
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    stack_env: dict[str, str],
    services: Any,
    clean: None,
) -> None:
    with receiver() as hooks:
        token, [(order, params)] = await paying_orders(api, sandbox, stack_env, hooks.url, 1)
        await pays(sandbox, params, notify=False)
        assert await services.settlement.poll_paying(older_than=timedelta(minutes=5)) == 0
        assert await services.settlement.poll_paying(older_than=timedelta(0)) == 1
        paid = await wait_paid(api, token, order["id"])
        assert paid["channel"] == "wechat"

        racing = await asyncio.gather(
            *[
                services.refunds.request(order["id"], 7000, reason="重复申请", requested_by="op")
                for _ in range(2)
            ],
            return_exceptions=True,
        )
        assert sorted(type(r).__name__ for r in racing) == ["RefundExceedsBalance", "Requested"]
        [first] = [r for r in racing if isinstance(r, Requested)]
        # An operator's retried request (same key) is the same refund, refunded once.
        again = [
            await services.refunds.request(
                order["id"], 5000, reason="余款", requested_by="op", request_key="rest-0001"
            )
            for _ in range(2)
        ]
        assert [a.replayed for a in again] == [False, True]
        assert again[0].refund.refund_no == again[1].refund.refund_no != first.refund.refund_no
        try:
            await services.refunds.request(order["id"], 1, reason="再退", requested_by="op")
        except RefundExceedsBalance:
            pass
        else:
            raise AssertionError("a refund beyond the payment was accepted")
        channel_refunds = [
            await services.channels.pay["wechat"].query_refund(order["id"], r.refund.refund_no)
            for r in (first, again[0])
        ]
        assert [r.refund_fen for r in channel_refunds] == [7000, 5000]


@on_both_wechat_apis
async def test_reconciliation_reports_its_four_kinds(
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    stack_env: dict[str, str],
    services: Any,
    clean: None,
) -> None:
    with receiver() as hooks:
        token, started = await paying_orders(api, sandbox, stack_env, hooks.url, 4)
        (matched, p1), (silent, p2), (altered, p3), (closed, p4) = started
        await pays(sandbox, p1)
        await pays(sandbox, p3)
        await wait_paid(api, token, matched["id"])
        await wait_paid(api, token, altered["id"])
        await pays(sandbox, p2, notify=False)
        await pays(sandbox, p4, notify=False)
        # Ours disagrees with the bill: an amount changed here, an order closed here.
        await Order.filter(order_no=altered["id"]).update(amount_fen=11000)
        await Order.filter(order_no=closed["id"]).update(
            status="CLOSED", open_key=None, closed_at=clock.now()
        )
        # And a payment we show that the channel never took.
        phantom = await Order.get(order_no=matched["id"])
        ghost = f"YWG{secrets.token_hex(8)}"
        await Order.create(
            **{
                k: getattr(phantom, k)
                for k in (
                    "citizen_id",
                    "payable_type",
                    "description",
                    "agency_name",
                    "payer_name_enc",
                    "region_code",
                    "channel",
                    "amount_fen",
                    "expires_at",
                )
            },
            order_no=ghost,
            payable_ref=f"ghost-{ghost}",
            status="PAID",
            channel_trade_no="4200" + secrets.token_hex(10),
            created_at=clock.now(),
            updated_at=clock.now(),
            paid_at=clock.now(),
        )

        report = await services.reconciler.run("wechat", clock.shanghai_date())
        ours = {matched["id"], silent["id"], altered["id"], closed["id"], ghost}
        found = sorted((f.kind, f.order_no, f.fixed) for f in report.findings if f.order_no in ours)
        assert found == sorted(
            [
                ("missing_on_our_side", silent["id"], True),
                ("amount_mismatch", altered["id"], False),
                ("status_mismatch", closed["id"], True),
                ("missing_at_channel", ghost, False),
            ]
        )
        assert (await Order.get(order_no=silent["id"])).status == "PAID"
        review = await RefundReview.get(order__order_no=closed["id"])
        assert review.amount_fen == 12000
