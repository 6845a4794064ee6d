"""The WAP / page cashier the resident's browser lands on after ``alipay.trade.wap.pay``.

Opening the signed URL creates the trade (Alipay creates WAP trades only when the cashier
is opened) and shows the amount and trade number, with a button that pays the way
``POST /sandbox/alipay/payments`` does.
"""

from __future__ import annotations

from html import escape

from sanic.response import HTTPResponse, html

from channels.sandbox.alipay.call import GatewayCall
from channels.sandbox.alipay.money import fen_to_yuan
from channels.sandbox.alipay.replies import Reply
from channels.sandbox.alipay.trade_api import open_trade

PRODUCT_CODES = {
    "alipay.trade.wap.pay": "QUICK_WAP_PAY",
    "alipay.trade.page.pay": "FAST_INSTANT_TRADE_PAY",
}

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title></head>
<body>
{body}
</body></html>
"""


def page(title: str, body: str, *, status: int = 200) -> HTTPResponse:
    return html(_PAGE.format(title=escape(title), body=body), status=status)


def refusal_page(reply: Reply) -> HTTPResponse:
    payload = reply.payload
    body = (
        "<h1>支付宝收银台 · 请求被拒绝</h1>"
        f'<p>错误码 <code id="code">{escape(str(payload.get("code", "")))}</code> '
        f'<code id="sub_code">{escape(str(payload.get("sub_code", "")))}</code></p>'
        f"<p>{escape(str(payload.get('sub_msg', '')))}</p>"
    )
    return page("支付宝收银台", body, status=400)


def open_cashier(call: GatewayCall) -> HTTPResponse:
    opened = open_trade(call, product_code=PRODUCT_CODES[call.method], require_buyer=False)
    if isinstance(opened, Reply):
        return refusal_page(opened)
    yuan = fen_to_yuan(opened.total_fen)
    body = (
        "<h1>支付宝收银台</h1>"
        f"<p>{escape(opened.subject)}</p>"
        f'<p>订单金额 <strong id="total_amount">{yuan}</strong> 元</p>'
        f'<p>支付宝交易号 <code id="trade_no">{escape(opened.trade_no)}</code></p>'
        f'<p>商户订单号 <code id="out_trade_no">{escape(opened.out_trade_no)}</code></p>'
        '<form method="post" action="/sandbox/alipay/cashier/pay">'
        f'<input type="hidden" name="trade_no" value="{escape(opened.trade_no)}">'
        f'<button type="submit">确认付款 ¥{yuan}</button></form>'
    )
    return page("支付宝收银台", body)
