"""What each audience sees of a receipt. The payer is masked everywhere but the PDF face."""

from __future__ import annotations

from typing import Any

from app.receipts.amounts import uppercase, yuan
from app.receipts.models import Receipt, ReceiptLine


def lines_view(lines: list[ReceiptLine]) -> list[dict[str, Any]]:
    return [
        {
            "item_code": line.item_code,
            "name": line.name,
            "quantity": line.quantity,
            "standard_fen": line.standard_fen,
            "amount_fen": line.amount_fen,
        }
        for line in lines
    ]


def public_view(
    receipt: Receipt,
    lines: list[ReceiptLine],
    *,
    original_no: str | None,
    red_letters: list[Receipt],
) -> dict[str, Any]:
    """For anyone holding the QR or the number + check code: nothing personal but the
    masked payer."""
    return {
        "receipt_no": receipt.receipt_no,
        "code": receipt.code,
        "number": f"{receipt.number:010d}",
        "kind": receipt.kind,
        "status": receipt.status,
        "amount_fen": receipt.amount_fen,
        "amount": yuan(receipt.amount_fen),
        "amount_uppercase": uppercase(receipt.amount_fen),
        "issue_date": receipt.issue_date.isoformat(),
        "agency_name": receipt.agency_name,
        "payer_masked": receipt.payer_name_masked,
        "lines": lines_view(lines),
        "original_receipt_no": original_no,
        "red_lettered_fen": receipt.red_lettered_fen,
        "red_letters": [
            {"receipt_no": red.receipt_no, "amount_fen": red.amount_fen} for red in red_letters
        ],
    }


def file_urls(receipt_no: str) -> dict[str, str]:
    base = f"/api/v1/receipts/{receipt_no}"
    return {"qr_png": f"{base}/qr.png", "qr_svg": f"{base}/qr.svg", "pdf": f"{base}/receipt.pdf"}


def owner_view(
    receipt: Receipt,
    lines: list[ReceiptLine],
    *,
    order_no: str,
    original_no: str | None,
    red_letters: list[Receipt],
    qr_text: str,
) -> dict[str, Any]:
    return {
        **public_view(receipt, lines, original_no=original_no, red_letters=red_letters),
        "check_code": receipt.check_code,
        "order_no": order_no,
        "channel": receipt.channel,
        "description": receipt.description,
        "issued_at": receipt.issued_at.isoformat(),
        "rendered": receipt.rendered_at is not None,
        "key_id": receipt.key_id,
        "qr": qr_text,
        "files": file_urls(receipt.receipt_no),
    }


def wallet_item(receipt: Receipt) -> dict[str, Any]:
    return {
        "receipt_no": receipt.receipt_no,
        "kind": receipt.kind,
        "status": receipt.status,
        "amount_fen": receipt.amount_fen,
        "amount": yuan(receipt.amount_fen),
        "description": receipt.description,
        "agency_name": receipt.agency_name,
        "channel": receipt.channel,
        "issue_date": receipt.issue_date.isoformat(),
        "issued_at": receipt.issued_at.isoformat(),
        "files": file_urls(receipt.receipt_no),
    }
