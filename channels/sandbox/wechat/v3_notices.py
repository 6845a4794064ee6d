"""WeChat Pay API v3 notifications: JSON envelopes whose ``resource`` is AEAD_AES_256_GCM
under the merchant's APIv3 key, signed afresh on every attempt (a retry an hour later
carries a current timestamp and a new nonce), retried on WeChat's schedule until the
merchant answers 200 or 204.

Now and then WeChat sends a signature probe (``WECHATPAY/SIGNTEST/…``) to see whether the
merchant verifies at all; the sandbox does too, and records whether it was refused.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from sanic import Sanic

from channels.sandbox import clock
from channels.sandbox.notifier import WECHAT_RETRY_SECONDS
from channels.sandbox.wechat.state import Refund, Trade
from channels.sandbox.wechat.v3_signing import encrypt_resource, signed_headers

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROBE_TIMEOUT_SECONDS = 5.0


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def is_v3_ack(status: int, body: str) -> bool:
    """v3 stops retrying on 200 or 204; anything else (and any 4xx/5xx) is retried."""
    return status in (200, 204)


def transaction_resource(app: Sanic, trade: Trade) -> dict[str, object]:
    creds = app.ctx.config.credentials
    assert trade.paid_at is not None and trade.transaction_id is not None
    return {
        "appid": creds.wechat_appid,
        "mchid": creds.wechat_mch_id,
        "out_trade_no": trade.out_trade_no,
        "transaction_id": trade.transaction_id,
        "trade_type": trade.trade_type,
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": rfc3339(trade.paid_at),
        "payer": {"openid": trade.openid},
        "amount": {
            "total": trade.total_fee,
            "payer_total": trade.total_fee,
            "currency": "CNY",
            "payer_currency": "CNY",
        },
    }


def refund_resource(app: Sanic, trade: Trade, refund: Refund) -> dict[str, object]:
    creds = app.ctx.config.credentials
    return {
        "mchid": creds.wechat_mch_id,
        "out_trade_no": trade.out_trade_no,
        "transaction_id": trade.transaction_id or "",
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.status,
        "success_time": rfc3339(refund.success_at or refund.requested_at),
        "user_received_account": "支付用户零钱",
        "amount": {
            "total": trade.total_fee,
            "refund": refund.refund_fee,
            "payer_total": trade.total_fee,
            "payer_refund": refund.refund_fee,
        },
    }


def envelope(app: Sanic, event_type: str, kind: str, resource: dict[str, object]) -> str:
    """The notification body: who it is about in clear, the facts only under the key."""
    creds = app.ctx.config.credentials
    summary = "支付成功" if kind == "transaction" else "退款状态改变"
    return json.dumps(
        {
            "id": secrets.token_hex(16),
            "create_time": rfc3339(clock.now()),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": kind,
                **encrypt_resource(
                    json.dumps(resource, ensure_ascii=False), creds.wechat_apiv3_key, kind
                ),
            },
        },
        ensure_ascii=False,
    )


def _signer(app: Sanic, body: str):  # type: ignore[no-untyped-def]
    creds = app.ctx.config.credentials

    def headers() -> dict[str, str]:
        return signed_headers(
            body, private_key=creds.wechat_pay_private_key, key_id=creds.wechat_pay_public_key_id
        )

    return headers


def send_v3(app: Sanic, *, key: str, url: str, body: str, copies: int = 1) -> None:
    app.ctx.notifier.send(
        key=key,
        url=url,
        body=body.encode("utf-8"),
        content_type="application/json",
        schedule=WECHAT_RETRY_SECONDS,
        is_ack=is_v3_ack,
        copies=copies,
        headers=_signer(app, body),
    )


async def send_probe(app: Sanic, url: str, body: str) -> dict[str, object]:
    """One probe, not retried: refused means the merchant answered anything but 2xx."""
    creds = app.ctx.config.credentials
    headers = signed_headers(
        body,
        private_key=creds.wechat_pay_private_key,
        key_id=creds.wechat_pay_public_key_id,
        probe=True,
    )
    headers["Content-Type"] = "application/json"
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_SECONDS) as client:
            response = await client.post(url, content=body.encode("utf-8"), headers=headers)
        status: int | None = response.status_code
    except httpx.HTTPError:
        status = None
    result: dict[str, object] = {
        "url": url,
        "status": status,
        "refused": status is not None and not 200 <= status < 300,
    }
    app.ctx.wechat.probes.append(result)
    return result


def payment_body(app: Sanic, trade: Trade) -> str:
    return envelope(app, "TRANSACTION.SUCCESS", "transaction", transaction_resource(app, trade))


def notify_payment_v3(app: Sanic, trade: Trade, *, key: str, copies: int = 1) -> None:
    """Every ``probe_every``-th payment is preceded by a probe carrying the same body."""
    body = payment_body(app, trade)
    state = app.ctx.wechat
    state.payments_notified += 1
    every = app.ctx.config.probe_every
    if every and state.payments_notified % every == 0:

        async def probe_then_send() -> None:
            await send_probe(app, trade.notify_url, body)
            send_v3(app, key=key, url=trade.notify_url, body=body, copies=copies)

        task = asyncio.get_running_loop().create_task(probe_then_send())
        state.background.add(task)
        task.add_done_callback(state.background.discard)
        return
    send_v3(app, key=key, url=trade.notify_url, body=body, copies=copies)


def refund_body(app: Sanic, trade: Trade, refund: Refund) -> str:
    event = "REFUND.SUCCESS" if refund.status == "SUCCESS" else "REFUND.ABNORMAL"
    return envelope(app, event, "refund", refund_resource(app, trade, refund))
