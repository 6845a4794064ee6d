"""WeChat Pay v3 notifications at the live server: forged, re-signed by a stranger, stale,
replayed, probing, undecryptable, wrong-amount and unknown-order notifications are refused
with non-2xx, change nothing, and are logged raw (body and headers) with their reason; the
genuine one answers 204 with no body and settles exactly once."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import httpx
import pytest

from app.config import Settings
from channels.sandbox.credentials import SandboxCredentials, load_or_create, rsa_pair
from channels.sandbox.wechat.v3_signing import encrypt_resource, signed_headers
from infra import clock
from infra.outbox.models import OutboxEvent
from payments.models import Notification, NotificationOutcome, Order
from tests.payments.test_faults import paying_order
from tests.payments.test_journey import wait_paid
from tests.receivers import receiver

pytestmark = pytest.mark.usefixtures("clean")
URL = "/notify/wechat/v3/pay"


def creds(settings: Settings) -> SandboxCredentials:
    return load_or_create(settings.sandbox_credentials_path)


def body_for(c: SandboxCredentials, order_no: str, total: int, *, apiv3_key: str = "") -> str:
    facts = {
        "appid": c.wechat_appid,
        "mchid": c.wechat_mch_id,
        "out_trade_no": order_no,
        "transaction_id": "4200" + secrets.token_hex(12),
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": clock.shanghai_now().replace(microsecond=0).isoformat(),
        "payer": {"openid": "o-test"},
        "amount": {"total": total, "payer_total": total, "currency": "CNY"},
    }
    resource = encrypt_resource(json.dumps(facts), apiv3_key or c.wechat_apiv3_key, "transaction")
    return json.dumps(
        {
            "id": secrets.token_hex(8),
            "create_time": clock.shanghai_now().replace(microsecond=0).isoformat(),
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {"original_type": "transaction", **resource},
        }
    )


def signed(c: SandboxCredentials, body: str, **changes: str) -> dict[str, str]:
    headers = signed_headers(
        body, private_key=c.wechat_pay_private_key, key_id=c.wechat_pay_public_key_id
    )
    return {**headers, **changes, "Content-Type": "application/json"}


async def post(api: httpx.AsyncClient, body: str, headers: dict[str, str]) -> httpx.Response:
    return await api.post(URL, content=body.encode(), headers=headers)


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["X-Error-Code"] == code
    assert r.json() == {"code": "FAIL", "message": code}


async def test_bad_v3_notifications_change_nothing_and_the_genuine_one_settles_once(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str], settings: Settings
) -> None:
    c = creds(settings)
    with receiver() as hooks:
        token, order, _ = await paying_order(api, sandbox, env, "wechat", hooks.url)
        genuine = body_for(c, order["id"], 12000)

        tampered = genuine.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" ', 1)
        assert tampered != genuine
        refused(await post(api, tampered, signed(c, genuine)), 400, "NOTIFY_SIGNATURE_INVALID")
        stranger_pem, _ = rsa_pair(pkcs8=True)
        resigned = signed_headers(
            genuine, private_key=stranger_pem, key_id=c.wechat_pay_public_key_id
        )
        refused(await post(api, genuine, resigned), 400, "NOTIFY_SIGNATURE_INVALID")
        stale = signed(c, genuine, **{"Wechatpay-Timestamp": str(int(time.time()) - 600)})
        refused(await post(api, genuine, stale), 400, "NOTIFY_SIGNATURE_INVALID")
        probe = signed(c, genuine, **{"Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + "Q" * 40})
        refused(await post(api, genuine, probe), 400, "NOTIFY_SIGNATURE_INVALID")
        sealed_wrong = body_for(c, order["id"], 12000, apiv3_key=secrets.token_hex(16))
        refused(
            await post(api, sealed_wrong, signed(c, sealed_wrong)), 400, "NOTIFY_SIGNATURE_INVALID"
        )
        refused(await post(api, "not json", signed(c, "not json")), 400, "NOTIFY_SIGNATURE_INVALID")
        wrong_amount = body_for(c, order["id"], 11999)
        refused(
            await post(api, wrong_amount, signed(c, wrong_amount)), 400, "NOTIFY_AMOUNT_MISMATCH"
        )
        unknown = body_for(c, "YW00000000000000000000", 12000)
        refused(await post(api, unknown, signed(c, unknown)), 404, "NOTIFY_UNKNOWN_ORDER")

        assert (await Order.get(order_no=order["id"])).status == "PAYING"
        assert await OutboxEvent.filter(kind="order.paid").count() == 0

        first = signed(c, genuine)
        ok = await post(api, genuine, first)
        assert ok.status_code == 204 and ok.content == b""
        replay = await post(api, genuine, first)
        refused(replay, 400, "NOTIFY_REPLAYED")
        # WeChat's own retry is signed afresh: acknowledged as a duplicate.
        retries = await asyncio.gather(*[post(api, genuine, signed(c, genuine)) for _ in range(3)])
        assert [r.status_code for r in retries] == [204, 204, 204]
        await wait_paid(api, token, order["id"])
        assert await OutboxEvent.filter(kind="order.paid").count() == 1

    outcomes = {
        o.notification_id: (o.outcome, o.detail)  # type: ignore[attr-defined]
        for o in await NotificationOutcome.all()
    }
    logged = await Notification.all().order_by("id")
    assert len(logged) == len(outcomes) == 13
    reasons = [outcomes[n.id] for n in logged]
    assert "does not verify" in reasons[0][1] and "does not verify" in reasons[1][1]
    assert "5 minutes" in reasons[2][1] and "probe" in reasons[3][1]
    assert "does not decrypt" in reasons[4][1] and "not JSON" in reasons[5][1]
    assert reasons[6][0] == "amount_mismatch" and reasons[7][0] == "unknown_order"
    assert reasons[8][0] == "paid" and "replayed" in reasons[9][1]
    assert sorted(r[0] for r in reasons[10:]) == ["duplicate"] * 3
    headers = json.loads(logged[3].headers)
    assert headers["wechatpay-signature"].startswith("WECHATPAY/SIGNTEST/")
    assert headers["wechatpay-serial"] == c.wechat_pay_public_key_id
    assert logged[0].body == tampered


async def test_the_sandbox_probe_is_refused_by_our_server(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        token, order, params = await paying_order(api, sandbox, env, "wechat", hooks.url)
        assert (await sandbox.post("/sandbox/wechat/payments", json=params)).status_code == 201
        await wait_paid(api, token, order["id"])
        r = await sandbox.post("/sandbox/wechat/probes", json={"out_trade_no": order["id"]})
        assert r.status_code == 201 and r.json()["refused"] is True
        assert r.json()["status"] == 400
    assert (await Order.get(order_no=order["id"])).status == "PAID"
    assert await OutboxEvent.filter(kind="order.paid").count() == 1


def refund_body(c: SandboxCredentials, facts: dict[str, object]) -> str:
    return json.dumps(
        {
            "id": secrets.token_hex(8),
            "resource_type": "encrypt-resource",
            "event_type": "REFUND.SUCCESS",
            "resource": encrypt_resource(json.dumps(facts), c.wechat_apiv3_key, "refund"),
        }
    )


async def test_a_v3_refund_notification_for_no_refund_of_ours_is_refused(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    c = creds(settings)
    facts = {
        "mchid": c.wechat_mch_id,
        "out_trade_no": "YW00000000000000000001",
        "transaction_id": "4200" + secrets.token_hex(12),
        "out_refund_no": "RF-not-ours",
        "refund_id": "50" + secrets.token_hex(10),
        "refund_status": "SUCCESS",
        "amount": {"total": 100, "refund": 100, "payer_total": 100, "payer_refund": 100},
    }
    body = refund_body(c, facts)
    r = await api.post("/notify/wechat/v3/refund", content=body, headers=signed(c, body))
    refused(r, 404, "NOTIFY_UNKNOWN_ORDER")
    body = refund_body(c, {**facts, "amount": {"total": 100, "refund": 101}})
    r = await api.post("/notify/wechat/v3/refund", content=body, headers=signed(c, body))
    refused(r, 400, "NOTIFY_SIGNATURE_INVALID")
    [detail] = await NotificationOutcome.filter(outcome="rejected").values_list("detail", flat=True)
    assert "exceeds" in detail
