"""Paying a non-tax notice end to end: agency → resident → channel → notification → agency.

Against the live ``yiwang serve --workers 2`` with the sandbox and the real SDKs.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest

from app.fees.models import PaymentNotice
from app.identity.id_numbers import with_check_digit
from infra import clock
from infra.outbox.models import OutboxEvent
from payments.models import Notification, Order, RefundReview
from tests.journeys import (
    ID_NUMBER,
    agency_post,
    bearer,
    create_agency_via_cli,
    eventually,
    verified_resident,
)
from tests.receivers import Receiver, receiver

pytestmark = pytest.mark.usefixtures("clean")

EXAM_FEE = {
    "item_code": "103001",
    "name": "普通高考报名考试费",
    "kind_code": "103",
    "standard_fen": 12000,
}


async def fees_agency(api: httpx.AsyncClient, env: dict[str, str], hooks: Receiver) -> dict:
    creds = create_agency_via_cli(env, webhook_url=hooks.url)
    r = await agency_post(api, creds, "/api/v1/agency/fee-items", EXAM_FEE)
    assert r.status_code == 201, r.text
    return creds


async def issue_notice(
    api: httpx.AsyncClient, creds: dict, id_number: str = ID_NUMBER, quantity: int = 1
) -> str:
    r = await agency_post(
        api,
        creds,
        "/api/v1/agency/notices",
        {
            "payer": {"name": "张三", "id_number": id_number},
            "items": [
                {
                    "item_code": "103001",
                    "name": "普通高考报名考试费",
                    "quantity": quantity,
                    "standard_fen": 12000,
                    "amount_fen": 12000 * quantity,
                }
            ],
            "due_date": (clock.shanghai_date() + timedelta(days=7)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["payment_code"]


async def order_for(api: httpx.AsyncClient, token: str, code: str) -> dict:
    r = await api.post(
        "/api/v1/orders",
        json={"payable": {"type": "notice", "payment_code": code}},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def wait_paid(api: httpx.AsyncClient, token: str, order_id: str) -> dict:
    async def paid() -> dict | None:
        body = (await api.get(f"/api/v1/orders/{order_id}", headers=bearer(token))).json()
        return body if body["status"] == "PAID" else None

    return await eventually(paid)


@pytest.mark.parametrize(
    ("channel", "wechat_api"),
    [
        pytest.param("wechat", "v3", id="wechat-v3"),
        pytest.param("wechat", "v2", id="wechat-v2"),
        pytest.param("alipay", "v3", id="alipay-key"),
        # The second instance runs Alipay in certificate mode.
        pytest.param("alipay", "v2", id="alipay-cert"),
    ],
    indirect=["wechat_api"],
)
async def test_a_notice_is_paid_once_and_the_agency_is_told_once(
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    env: dict[str, str],
    channel: str,
    wechat_api: str,
) -> None:
    with receiver() as hooks:
        creds = await fees_agency(api, env, hooks)
        code = await issue_notice(api, creds, quantity=2)
        _, token = await verified_resident(api, sandbox, channel)

        notice = (await api.get(f"/api/v1/notices/{code}", headers=bearer(token))).json()
        assert notice["total_fen"] == 24000 and notice["status"] == "UNPAID"
        assert notice["payer"]["id_number_masked"] == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]

        order = await order_for(api, token, code)
        assert order["status"] == "CREATED" and order["amount_fen"] == 24000
        assert order["items"] == [
            {
                "item_code": "103001",
                "name": "普通高考报名考试费",
                "quantity": 2,
                "standard_fen": 12000,
                "amount_fen": 24000,
            }
        ]
        again = await order_for(api, token, code)
        assert again["id"] == order["id"]

        cert_mode = channel == "alipay" and wechat_api == "v2"
        if cert_mode:
            # Mid-flow, Alipay reissues its certificate: the server's first answer under it
            # names a serial it does not hold, fetches that certificate and goes on.
            rotated = await sandbox.post("/sandbox/alipay/certificates/rotate", json={})
            assert rotated.status_code == 201, rotated.text
            new_sn = rotated.json()["alipay_cert_sn"]

        r = await api.post(
            f"/api/v1/orders/{order['id']}/payments",
            json={"channel": channel},
            headers=bearer(token),
        )
        assert r.status_code == 200, r.text
        params = r.json()["channel_params"]
        if cert_mode:
            fetched = (await sandbox.get("/sandbox/alipay/certificates")).json()["downloads"]
            assert new_sn in fetched
        if channel == "wechat":
            assert params["package"].startswith("prepay_id=")
            assert params["signType"] == {"v3": "RSA", "v2": "MD5"}[wechat_api]
            # The whole wx.requestPayment object: the sandbox checks paySign as WeChat would.
            paying = dict(params)
        else:
            paying = {"trade_no": params["trade_no"]}
        assert (await sandbox.post(f"/sandbox/{channel}/payments", json=paying)).status_code in (
            200,
            201,
        )

        paid = await wait_paid(api, token, order["id"])
        assert paid["paid_at"] and paid["channel"] == channel
        await eventually(lambda: _notice_status(code, "PAID"))
        await eventually(lambda: _count(hooks, 1))
        await asyncio.sleep(0.5)
        assert len(hooks.received) == 1
        hook = hooks.received[0]
        assert hook.headers["x-agency-key"] == creds["key"] and hook.headers["x-signature"]
        event = json.loads(hook.body)
        assert event["event"] == "notice.paid"
        assert event["data"]["payment_code"] == code and event["data"]["amount_fen"] == 24000

        after = await api.post(
            "/api/v1/orders",
            json={"payable": {"type": "notice", "payment_code": code}},
            headers=bearer(token),
        )
        assert after.status_code == 409 and after.json()["code"] == "ALREADY_PAID"


async def _notice_status(code: str, status: str) -> bool:
    return (await PaymentNotice.get(payment_code=code)).status == status


async def _count(hooks: Receiver, n: int) -> bool:
    return len(hooks.received) >= n


async def test_triplicate_parallel_notifications_settle_once(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        creds = await fees_agency(api, env, hooks)
        code = await issue_notice(api, creds)
        _, token = await verified_resident(api, sandbox, "wechat")
        order = await order_for(api, token, code)
        params = (
            await api.post(
                f"/api/v1/orders/{order['id']}/payments",
                json={"channel": "wechat"},
                headers=bearer(token),
            )
        ).json()["channel_params"]
        prepay_id = params["package"].removeprefix("prepay_id=")
        r = await sandbox.post(
            "/sandbox/wechat/payments", json={"prepay_id": prepay_id, "copies": 3}
        )
        assert r.status_code in (200, 201), r.text
        await wait_paid(api, token, order["id"])

        async def all_acked() -> bool:
            deliveries = (
                await sandbox.get(
                    "/sandbox/wechat/notifications", params={"out_trade_no": order["id"]}
                )
            ).json()
            items = (
                deliveries.get("deliveries", deliveries)
                if isinstance(deliveries, dict)
                else deliveries
            )
            return len(items) == 3 and all(d["acknowledged"] for d in items)

        await eventually(all_acked)
        await eventually(lambda: _count(hooks, 1))
        await asyncio.sleep(0.5)
        db_order = await Order.get(order_no=order["id"])
        assert await Notification.filter(kind="payment").count() == 3
        assert (
            await OutboxEvent.filter(
                kind="order.paid", payload__contains={"order_id": db_order.id}
            ).count()
            == 1
        )
        assert await OutboxEvent.filter(kind="agency.webhook").count() == 1
        assert len(hooks.received) == 1
        assert await RefundReview.all().count() == 0


async def test_bad_codes_and_someone_elses_notice_change_nothing(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        creds = await fees_agency(api, env, hooks)
        code = await issue_notice(api, creds)
        _, stranger = await verified_resident(
            api, sandbox, "alipay", id_number=with_check_digit("33010219851122456"), name="李四"
        )
        typo = code[:-2] + str((int(code[-2]) + 1) % 10) + code[-1]
        for bad in (typo, "123", "abcdefghijklmnopqrst"):
            r = await api.get(f"/api/v1/notices/{bad}", headers=bearer(stranger))
            assert r.status_code == 422 and r.json()["code"] == "PAYMENT_CODE_INVALID"
            r = await api.post(
                "/api/v1/orders",
                json={"payable": {"type": "notice", "payment_code": bad}},
                headers=bearer(stranger),
            )
            assert r.status_code == 422 and r.json()["code"] == "PAYMENT_CODE_INVALID"
        r = await api.post(
            "/api/v1/orders",
            json={"payable": {"type": "notice", "payment_code": code}},
            headers=bearer(stranger),
        )
        assert r.status_code == 403 and r.json()["code"] == "NOTICE_NOT_YOURS"
        assert await Order.all().count() == 0

        _, owner = await verified_resident(api, sandbox, "app")
        await PaymentNotice.filter(payment_code=code).update(
            due_date=clock.shanghai_date() - timedelta(days=1)
        )
        r = await api.post(
            "/api/v1/orders",
            json={"payable": {"type": "notice", "payment_code": code}},
            headers=bearer(owner),
        )
        assert r.status_code == 409 and r.json()["code"] == "NOTICE_OVERDUE"
        assert await Order.all().count() == 0


async def test_agency_notice_input_is_checked_against_the_fee_catalog(
    api: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        creds = await fees_agency(api, env, hooks)
        base = {
            "payer": {"name": "张三", "id_number": ID_NUMBER},
            "due_date": (clock.shanghai_date() + timedelta(days=3)).isoformat(),
        }
        line = {
            "item_code": "103001",
            "name": "x",
            "quantity": 1,
            "standard_fen": 12000,
            "amount_fen": 12000,
        }
        cases = {
            "FEE_ITEM_UNKNOWN": {**base, "items": [{**line, "item_code": "999999"}]},
            "FEE_AMOUNT_INVALID": {**base, "items": [{**line, "amount_fen": 11000}]},
            "INVALID_ID_NUMBER": {
                **base,
                "payer": {"name": "张三", "id_number": ID_NUMBER[:-1] + "0"},
                "items": [line],
            },
            "INVALID_INPUT": {**base, "items": []},
        }
        for expected, payload in cases.items():
            r = await agency_post(api, creds, "/api/v1/agency/notices", payload)
            assert r.status_code == 422, (expected, r.text)
            assert r.json()["code"] == expected
        assert await PaymentNotice.all().count() == 0

        retry = {**base, "items": [line], "notice_no": "EXAM-2026-0001"}
        now = int(clock.now().timestamp())
        first = await agency_post(api, creds, "/api/v1/agency/notices", retry, ts=now)
        replayed = await agency_post(api, creds, "/api/v1/agency/notices", retry, ts=now)
        assert replayed.status_code == 409 and replayed.json()["code"] == "AGENCY_REQUEST_REPLAYED"
        second = await agency_post(api, creds, "/api/v1/agency/notices", retry, ts=now + 1)
        assert second.status_code == 201
        assert first.json()["payment_code"] == second.json()["payment_code"]
        assert await PaymentNotice.all().count() == 1

        traffic = create_agency_via_cli(env, kind="traffic", name="交警支队")
        r = await agency_post(api, traffic, "/api/v1/agency/notices", retry)
        assert r.status_code == 403 and r.json()["code"] == "AGENCY_KIND_FORBIDDEN"
