"""The notifications WeChat Pay sends to a merchant: payment results (signed XML) and
refund results (``req_info`` encrypted with the API key), delivered through the shared
retrying notifier on WeChat's published schedule.
"""

from __future__ import annotations

import asyncio

from sanic import Sanic

from channels.sandbox import clock
from channels.sandbox.notifier import WECHAT_RETRY_SECONDS
from channels.sandbox.wechat.signing import encrypt_req_info, nonce, parse_xml, signed_xml, to_xml
from channels.sandbox.wechat.state import Refund, Trade
from channels.sandbox.wechat.v3_notices import notify_payment_v3, refund_body, send_v3

# A refund is accepted at once and completes this many (scaled) seconds later.
REFUND_COMPLETION_SECONDS = 30.0
SHANGHAI_TIME_FORMAT = "%Y%m%d%H%M%S"


def is_wechat_ack(status: int, body: str) -> bool:
    """WeChat stops retrying only on ``<xml><return_code>SUCCESS</return_code>…</xml>``."""
    if status != 200:
        return False
    fields = parse_xml(body.encode("utf-8"))
    return fields is not None and fields.get("return_code") == "SUCCESS"


def payment_key(out_trade_no: str) -> str:
    return f"pay:{out_trade_no}"


def refund_key(out_refund_no: str) -> str:
    return f"refund:{out_refund_no}"


def payment_notification(app: Sanic, trade: Trade) -> str:
    creds = app.ctx.config.credentials
    assert trade.paid_at is not None and trade.transaction_id is not None
    fields = {
        "appid": creds.wechat_appid,
        "mch_id": creds.wechat_mch_id,
        "nonce_str": nonce(),
        "result_code": "SUCCESS",
        "return_code": "SUCCESS",
        "openid": trade.openid,
        "is_subscribe": "N",
        "trade_type": trade.trade_type,
        "bank_type": "OTHERS",
        "fee_type": "CNY",
        "total_fee": str(trade.total_fee),
        "cash_fee": str(trade.total_fee),
        "transaction_id": trade.transaction_id,
        "out_trade_no": trade.out_trade_no,
        "time_end": trade.paid_at.strftime(SHANGHAI_TIME_FORMAT),
    }
    return signed_xml(fields, creds.wechat_api_key)


def send_payment_notification(app: Sanic, trade: Trade, *, copies: int = 1) -> None:
    if trade.api == "v3":
        notify_payment_v3(app, trade, key=payment_key(trade.out_trade_no), copies=copies)
        return
    app.ctx.notifier.send(
        key=payment_key(trade.out_trade_no),
        url=trade.notify_url,
        body=payment_notification(app, trade).encode("utf-8"),
        content_type="text/xml",
        schedule=WECHAT_RETRY_SECONDS,
        is_ack=is_wechat_ack,
        copies=copies,
    )


def refund_notification(app: Sanic, trade: Trade, refund: Refund) -> str:
    creds = app.ctx.config.credentials
    success_at = refund.success_at or refund.requested_at
    secret = to_xml(
        {
            "transaction_id": trade.transaction_id or "",
            "out_trade_no": trade.out_trade_no,
            "refund_id": refund.refund_id,
            "out_refund_no": refund.out_refund_no,
            "total_fee": str(trade.total_fee),
            "settlement_total_fee": str(trade.total_fee),
            "refund_fee": str(refund.refund_fee),
            "settlement_refund_fee": str(refund.refund_fee),
            "refund_status": refund.status,
            "success_time": success_at.strftime("%Y-%m-%d %H:%M:%S"),
            "refund_recv_accout": "支付用户的零钱",
            "refund_account": "REFUND_SOURCE_UNSETTLED_FUNDS",
            "refund_request_source": "API",
        },
        root="root",
    )
    return to_xml(
        {
            "return_code": "SUCCESS",
            "appid": creds.wechat_appid,
            "mch_id": creds.wechat_mch_id,
            "nonce_str": nonce(),
            "req_info": encrypt_req_info(secret, creds.wechat_api_key),
        }
    )


def schedule_refund_completion(app: Sanic, trade: Trade, refund: Refund) -> None:
    """Finish the refund after a short (scaled) delay, then notify if a URL was given."""

    async def complete() -> None:
        await asyncio.sleep(REFUND_COMPLETION_SECONDS * app.ctx.config.time_scale)
        refund.status = "SUCCESS"
        refund.success_at = clock.now().astimezone(trade.created_at.tzinfo)
        if refund.notify_url and trade.api == "v3":
            send_v3(
                app,
                key=refund_key(refund.out_refund_no),
                url=refund.notify_url,
                body=refund_body(app, trade, refund),
            )
        elif refund.notify_url:
            app.ctx.notifier.send(
                key=refund_key(refund.out_refund_no),
                url=refund.notify_url,
                body=refund_notification(app, trade, refund).encode("utf-8"),
                content_type="text/xml",
                schedule=WECHAT_RETRY_SECONDS,
                is_ack=is_wechat_ack,
            )

    task = asyncio.get_running_loop().create_task(complete())
    app.ctx.wechat.background.add(task)
    task.add_done_callback(app.ctx.wechat.background.discard)
