"""Drawing a receipt: the QR as PNG and SVG, and the PDF receipt face.

Pure and synchronous (CPU-bound): callers run it off the event loop. Chinese text uses
reportlab's built-in CID font STSong-Light (Adobe-GB1): it needs no font file, so nothing is
downloaded or bundled, and any PDF reader supplies the glyphs (docs/dependencies.md).
QR codes use error correction M (15 %), enough for a phone camera at ~version 10.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import qrcode
import qrcode.constants
import qrcode.image.svg
from reportlab.lib import colors
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from app.receipts.amounts import uppercase, yuan

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = "非税收入统一票据（电子）"
SUBTITLE = "财政电子票据"
RED_TITLE = "非税收入统一票据（电子）红字"


@dataclass(frozen=True)
class FaceLine:
    item_code: str
    name: str
    quantity: int
    standard_fen: int
    amount_fen: int


@dataclass(frozen=True)
class ReceiptFace:
    """Everything printed on the receipt face."""

    code: str
    number: str
    check_code: str
    red_letter: bool
    payer: str
    lines: tuple[FaceLine, ...]
    amount_fen: int
    agency_name: str
    issue_date: date
    remark: str


def _qr(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_png(text: str, box_size: int = 6) -> bytes:
    code = _qr(text)
    code.box_size = box_size
    out = io.BytesIO()
    code.make_image().save(out, format="PNG")
    return out.getvalue()


def qr_svg(text: str) -> bytes:
    code = _qr(text)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode").encode("utf-8")


def _text(pdf: canvas.Canvas, x: float, y: float, value: str, size: float = 10) -> None:
    pdf.setFont(FONT, size)
    pdf.drawString(x, y, value)


def receipt_pdf(face: ReceiptFace, qr_png_bytes: bytes) -> bytes:
    width, height = landscape(A5)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(width, height), invariant=True)
    pdf.setTitle(f"{SUBTITLE} {face.code}{face.number}")
    ink = colors.HexColor("#b00000") if face.red_letter else colors.HexColor("#1f3a60")
    pdf.setFillColor(ink)
    pdf.setStrokeColor(ink)
    pdf.setFont(FONT, 16)
    pdf.drawCentredString(width / 2, height - 16 * mm, RED_TITLE if face.red_letter else TITLE)
    pdf.setFont(FONT, 10)
    pdf.drawCentredString(width / 2, height - 22 * mm, SUBTITLE)

    left, top = 12 * mm, height - 32 * mm
    _text(pdf, left, top, f"票据代码：{face.code}")
    _text(pdf, left, top - 6 * mm, f"票据号码：{face.number}")
    _text(pdf, left, top - 12 * mm, f"校 验 码：{face.check_code}")
    _text(pdf, left, top - 18 * mm, f"开票日期：{face.issue_date:%Y年%m月%d日}")
    _text(pdf, left, top - 24 * mm, f"交款人：{face.payer}")
    qr_size = 32 * mm
    pdf.drawImage(
        ImageReader(io.BytesIO(qr_png_bytes)),
        width - 12 * mm - qr_size,
        height - 14 * mm - qr_size,
        qr_size,
        qr_size,
    )

    table_top = top - 30 * mm
    columns = (
        ("项目编码", 12),
        ("项目名称", 48),
        ("数量", 118),
        ("标准（元）", 134),
        ("金额（元）", 160),
    )
    row = 6.5 * mm
    pdf.line(left, table_top + row - 1.5 * mm, width - 12 * mm, table_top + row - 1.5 * mm)
    for title, x in columns:
        _text(pdf, x * mm, table_top, title, 9)
    pdf.line(left, table_top - 2 * mm, width - 12 * mm, table_top - 2 * mm)
    y = table_top - row
    for line in face.lines:
        _text(pdf, 12 * mm, y, line.item_code[:20], 8)
        _text(pdf, 48 * mm, y, line.name[:30], 9)
        _text(pdf, 118 * mm, y, str(line.quantity), 9)
        _text(pdf, 134 * mm, y, yuan(line.standard_fen), 9)
        _text(pdf, 160 * mm, y, yuan(line.amount_fen), 9)
        y -= row
    pdf.line(left, y + row - 2 * mm, width - 12 * mm, y + row - 2 * mm)
    _text(pdf, left, y - 1 * mm, f"金额合计（大写）：{uppercase(face.amount_fen)}", 10)
    _text(pdf, 134 * mm, y - 1 * mm, f"（小写）¥{yuan(face.amount_fen)}", 10)
    pdf.line(left, y - 4 * mm, width - 12 * mm, y - 4 * mm)
    _text(pdf, left, y - 10 * mm, f"备注：{face.remark}", 9)
    _text(pdf, left, 14 * mm, f"收款单位（章）：{face.agency_name}", 10)
    _text(pdf, width / 2 + 10 * mm, 14 * mm, "开票平台：统一公共支付平台", 9)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def render_all(face: ReceiptFace, qr_text: str) -> dict[str, bytes]:
    """PNG, SVG and PDF in one go (about 20 ms); run it in a thread."""
    png = qr_png(qr_text)
    return {"png": png, "svg": qr_svg(qr_text), "pdf": receipt_pdf(face, png)}
