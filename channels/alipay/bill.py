"""Read Alipay's daily trade bill: a zip of GBK CSV files with ``#`` comment lines.

Only the detail file (``…_业务明细.csv``) is read; the summary (``…_业务明细(汇总).csv``) is
derived from it. Entry names are GBK without the UTF-8 flag, hence ``metadata_encoding``.
Cells carry a trailing tab (Alipay's guard against spreadsheets), so every cell is stripped.
Only 交易 (payment) and 退款 (refund) lines are business for reconciliation; others
(e.g. 转账) are skipped on purpose.
"""

from __future__ import annotations

import csv
import io
import zipfile

from channels.alipay.clock import from_wire
from channels.alipay.money import yuan_to_fen
from channels.base import BillLine, ChannelRejected

DETAIL_SUFFIX = "_业务明细.csv"
COLUMNS = {
    "trade_no": "支付宝交易号",
    "out_trade_no": "商户订单号",
    "kind": "业务类型",
    "finished": "完成时间",
    "order_amount": "订单金额（元）",
    "received": "商家实收（元）",
    "request_no": "退款批次号/请求号",
}


def malformed(reason: str) -> ChannelRejected:
    return ChannelRejected(f"Alipay bill unreadable: {reason}", channel_code="BILL_MALFORMED")


def detail_text(archive_bytes: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(archive_bytes), metadata_encoding="gbk") as archive:
            names = [n for n in archive.namelist() if n.endswith(DETAIL_SUFFIX)]
            if len(names) != 1:
                raise malformed(f"expected one detail file, found {archive.namelist()}")
            raw = archive.read(names[0])
    except zipfile.BadZipFile as exc:
        raise malformed("not a zip archive") from exc
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise malformed("detail file is not GBK text") from exc


def parse_bill_zip(archive_bytes: bytes) -> list[BillLine]:
    lines = [
        line
        for line in detail_text(archive_bytes).splitlines()
        if line.strip() and not line.startswith("#")
    ]
    rows = [[cell.strip() for cell in row] for row in csv.reader(lines)]
    if not rows:
        raise malformed("no column header line")
    header = rows[0]
    try:
        index = {key: header.index(title) for key, title in COLUMNS.items()}
    except ValueError as exc:
        raise malformed(f"missing column ({exc})") from exc
    return [line for row in rows[1:] if (line := bill_line(row, index)) is not None]


def bill_line(row: list[str], index: dict[str, int]) -> BillLine | None:
    if len(row) < len(index) or max(index.values()) >= len(row):
        raise malformed(f"short row {row!r}")

    def cell(key: str) -> str:
        return row[index[key]]

    kind = cell("kind")
    if kind not in ("交易", "退款"):
        return None
    occurred = from_wire(cell("finished"))
    if occurred is None:
        raise malformed(f"bad time {cell('finished')!r}")
    try:
        if kind == "交易":
            amount, refund_no = yuan_to_fen(cell("order_amount")), None
        else:
            amount, refund_no = abs(yuan_to_fen(cell("received"))), cell("request_no") or None
    except ValueError as exc:
        raise malformed(str(exc)) from exc
    return BillLine(
        kind="payment" if kind == "交易" else "refund",
        out_trade_no=cell("out_trade_no"),
        channel_trade_no=cell("trade_no"),
        amount_fen=amount,
        status="SUCCESS",
        occurred_at=occurred,
        out_refund_no=refund_no,
    )
