"""Daily trade bills in Alipay's real download format.

``alipay.data.dataservice.bill.downloadurl.query`` answers a short-lived URL. Behind it is
a zip holding two GBK-encoded CSV files, named in GBK too (no UTF-8 flag), as Alipay's are:
``<pid>_<yyyymmdd>_业务明细.csv`` (one line per payment and per refund) and
``<pid>_<yyyymmdd>_业务明细(汇总).csv``. Both open with ``#`` comment lines and end with
``#`` footer lines; every detail cell is followed by a tab, the way Alipay stops
spreadsheets from mangling long numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time, timedelta

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from channels.sandbox.alipay import clock
from channels.sandbox.alipay.call import GatewayCall
from channels.sandbox.alipay.money import fen_to_yuan
from channels.sandbox.alipay.replies import Reply, business_failure, invalid_arguments, success
from channels.sandbox.alipay.state import AlipayState, Trade

bp = Blueprint("sandbox_alipay_bills", url_prefix="/sandbox/alipay")

DETAIL_HEADER = [
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
]
SUMMARY_HEADER = [
    "门店编号",
    "门店名称",
    "交易订单总笔数",
    "退款订单总笔数",
    "已收入总金额（元）",
    "已退款总金额（元）",
    "支付宝红包收入（元）",
    "支付宝红包退款（元）",
    "集分宝收入（元）",
    "集分宝退款（元）",
    "支付宝优惠收入（元）",
    "支付宝优惠退款（元）",
    "商家优惠收入（元）",
    "商家优惠退款（元）",
    "服务费收入（元）",
    "服务费退款（元）",
    "分润（元）",
    "实收净额（元）",
]
ZERO = "0.00"


def download_url_query(call: GatewayCall) -> Reply:
    if call.text("bill_type") not in ("trade", "signcustomer"):
        return invalid_arguments("isv.invalid-arguments", "bill_type 仅支持 trade/signcustomer")
    try:
        day = date.fromisoformat(call.text("bill_date"))
    except ValueError:
        return invalid_arguments("isv.invalid-arguments", "bill_date 格式为 yyyy-MM-dd")
    if day > clock.now().date():
        return business_failure("isp.bill_not_exist", "账单不存在")
    token = call.state.issue_bill_token(day)
    return success(bill_download_url=f"{call.config.base_url}/sandbox/alipay/bills/{token}")


def _shanghai_day(moment: datetime | None, day: date) -> bool:
    return moment is not None and moment.astimezone(clock.SHANGHAI).date() == day


def _detail_row(
    trade: Trade, kind: str, done: datetime, order_fen: int, received_fen: int, request_no: str
) -> list[str]:
    cells = [
        trade.trade_no,
        trade.out_trade_no,
        kind,
        trade.subject,
        clock.wire(trade.created_at),
        clock.wire(done),
        "",
        "",
        "",
        "",
        trade.buyer_id or "",
        fen_to_yuan(order_fen),
        fen_to_yuan(received_fen),
        ZERO,
        ZERO,
        ZERO,
        ZERO,
        ZERO,
        "",
        ZERO,
        ZERO,
        request_no,
        ZERO,
        ZERO,
        "",
    ]
    return [cell + "\t" for cell in cells]


def _period_lines(title: str, pid: str, day: date) -> list[str]:
    start = datetime.combine(day, time())
    end = start + timedelta(days=1)
    stamp = "%Y年%m月%d日 %H:%M:%S"
    return [
        f"#{title}",
        f"#账号：[{pid}]",
        f"#起始日期：[{start.strftime(stamp)}]   终止日期：[{end.strftime(stamp)}]",
    ]


def _csv_lines(rows: list[list[str]]) -> list[str]:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().splitlines()


def build_bill_files(state: AlipayState, pid: str, day: date) -> dict[str, str]:
    """The two CSV files of one day, keyed by their names inside the zip."""
    rows: list[list[str]] = []
    paid_count = refund_count = paid_fen = refunded_fen = 0
    for trade in sorted(state.trades.values(), key=lambda t: t.created_at):
        if trade.paid_at is not None and _shanghai_day(trade.paid_at, day):
            rows.append(
                _detail_row(trade, "交易", trade.paid_at, trade.total_fen, trade.total_fen, "")
            )
            paid_count += 1
            paid_fen += trade.total_fen
        for refund in trade.refunds.values():
            if _shanghai_day(refund.refunded_at, day):
                rows.append(
                    _detail_row(
                        trade,
                        "退款",
                        refund.refunded_at,
                        trade.total_fen,
                        -refund.refund_fen,
                        refund.out_request_no,
                    )
                )
                refund_count += 1
                refunded_fen += refund.refund_fen
    exported = clock.now().strftime("#导出时间：[%Y年%m月%d日 %H:%M:%S]")
    stem = f"{pid}_{day:%Y%m%d}"
    detail = [
        *_period_lines("支付宝业务明细查询", pid, day),
        "#" + "-" * 41 + "业务明细列表" + "-" * 40,
        *_csv_lines([DETAIL_HEADER, *rows]),
        "#" + "-" * 41 + "业务明细列表结束" + "-" * 36,
        f"#交易合计：{paid_count}笔，退款合计：{refund_count}笔",
        exported,
    ]
    summary_row = [
        "",
        "合计",
        str(paid_count),
        str(refund_count),
        fen_to_yuan(paid_fen),
        fen_to_yuan(-refunded_fen),
        *([ZERO] * 11),
        fen_to_yuan(paid_fen - refunded_fen),
    ]
    summary = [
        *_period_lines("支付宝业务汇总查询", pid, day),
        "#" + "-" * 41 + "业务汇总列表" + "-" * 40,
        *_csv_lines([SUMMARY_HEADER, summary_row]),
        "#" + "-" * 41 + "业务汇总列表结束" + "-" * 36,
        exported,
    ]
    return {
        f"{stem}_业务明细.csv": "\r\n".join(detail) + "\r\n",
        f"{stem}_业务明细(汇总).csv": "\r\n".join(summary) + "\r\n",
    }


class _GbkNamedZipInfo(zipfile.ZipInfo):
    """Alipay's zips name their entries in GBK without the UTF-8 flag; so does this one."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("gbk"), self.flag_bits


def build_bill_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = _GbkNamedZipInfo(name, date_time=clock.now().timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("gbk", errors="replace"))
    return buffer.getvalue()


@bp.get("/bills/<token>")
async def download_bill(request: Request, token: str) -> HTTPResponse:
    state: AlipayState = request.app.ctx.alipay
    day = state.bill_day(token)
    if day is None:
        return json(
            {"code": "SANDBOX_BILL_URL_EXPIRED", "message": "bill URL unknown or expired"},
            status=404,
        )
    pid = request.app.ctx.config.credentials.alipay_seller_id
    body = build_bill_zip(build_bill_files(state, pid, day))
    filename = f"{pid}_{day:%Y%m%d}.csv.zip"
    return HTTPResponse(
        body,
        content_type="application/oct-stream",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
