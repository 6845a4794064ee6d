"""WeChat Pay's daily bill (对账单) in its real text format.

A header line, one row per payment or refund where every field starts with a backtick
(so spreadsheets keep long numbers as text), then a summary header and a summary row.
Days are Asia/Shanghai calendar days; amounts are yuan with two decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from channels.sandbox.wechat.state import Refund, Trade, WeChatState

SHANGHAI = ZoneInfo("Asia/Shanghai")
ORDER_COLUMNS = (
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
)
REFUND_COLUMNS = (
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
)
TAIL_COLUMNS = ("商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额", "费率备注")
SUCCESS_TAIL_COLUMNS = ("商品名称", "商户数据包", "手续费", "费率", "订单金额", "费率备注")
SUMMARY_COLUMNS = (
    "总交易单数",
    "应结订单总金额",
    "退款总金额",
    "充值券退款总金额",
    "手续费总金额",
    "订单总金额",
    "申请退款总金额",
)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _text(value: str) -> str:
    """The bill has no quoting, so a comma inside a product name would shift columns."""
    return value.replace(",", "，").replace("\n", " ")


def _shanghai_day(moment: datetime | None) -> date | None:
    return moment.astimezone(SHANGHAI).date() if moment is not None else None


def _order_part(
    trade: Trade, appid: str, mch_id: str, at: datetime, status: str, fee: int | None = None
) -> list[str]:
    return [
        at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        appid,
        mch_id,
        "0",
        "",
        trade.transaction_id or "",
        trade.out_trade_no,
        trade.openid,
        trade.trade_type,
        status,
        "OTHERS",
        "CNY",
        yuan(trade.total_fee if fee is None else fee),
        "0.00",
    ]


def _billed_fee(trade: Trade) -> int:
    return trade.total_fee if trade.billed_fee is None else trade.billed_fee


def _payment_row(trade: Trade, appid: str, mch_id: str, bill_type: str) -> list[str]:
    assert trade.paid_at is not None
    row = _order_part(trade, appid, mch_id, trade.paid_at, "SUCCESS", _billed_fee(trade))
    if bill_type == "ALL":
        row += ["0", "0", "0.00", "0.00", "", ""]
    tail = [_text(trade.body), "", "0.00", "0.60%", yuan(_billed_fee(trade))]
    if bill_type == "ALL":
        tail.append("0.00")
    return [*row, *tail, ""]


def _refund_row(trade: Trade, refund: Refund, appid: str, mch_id: str) -> list[str]:
    assert refund.success_at is not None
    row = _order_part(trade, appid, mch_id, refund.success_at, "REFUND")
    row[12] = "0.00"
    return [
        *row,
        refund.refund_id,
        refund.out_refund_no,
        yuan(refund.refund_fee),
        "0.00",
        "ORIGINAL",
        "SUCCESS",
        _text(trade.body),
        "",
        "0.00",
        "0.60%",
        yuan(trade.total_fee),
        yuan(refund.refund_fee),
        "",
    ]


def render_bill(
    state: WeChatState, appid: str, mch_id: str, day: date, bill_type: str
) -> str | None:
    """The bill text, or None when nothing happened that day ("No Bill Exist")."""
    rows: list[tuple[datetime, list[str]]] = []
    paid_fen = refunded_fen = orders = 0
    for trade in state.trades.values():
        paid_that_day = _shanghai_day(trade.paid_at) == day
        if bill_type in ("ALL", "SUCCESS") and paid_that_day and trade.billed:
            assert trade.paid_at is not None
            rows.append((trade.paid_at, _payment_row(trade, appid, mch_id, bill_type)))
            paid_fen += _billed_fee(trade)
            orders += 1
        if bill_type in ("ALL", "REFUND"):
            for refund in trade.refunds.values():
                if refund.status == "SUCCESS" and _shanghai_day(refund.success_at) == day:
                    assert refund.success_at is not None
                    rows.append((refund.success_at, _refund_row(trade, refund, appid, mch_id)))
                    refunded_fen += refund.refund_fee
                    orders += 1
    if not rows:
        return None
    if bill_type == "SUCCESS":
        header = (*ORDER_COLUMNS, *SUCCESS_TAIL_COLUMNS)
    else:
        header = (*ORDER_COLUMNS, *REFUND_COLUMNS, *TAIL_COLUMNS)
    lines = [",".join(header)]
    for _, row in sorted(rows, key=lambda item: item[0]):
        lines.append(",".join("`" + value for value in row))
    lines.append(",".join(SUMMARY_COLUMNS))
    summary = [
        str(orders),
        yuan(paid_fen),
        yuan(refunded_fen),
        "0.00",
        "0.00",
        yuan(paid_fen),
        yuan(refunded_fen),
    ]
    lines.append(",".join("`" + value for value in summary))
    return "\r\n".join(lines) + "\r\n"
