"""Verification for anyone: a scanned QR, or a receipt number with its check code.

Answers ``genuine``, ``tampered``, ``voided`` or ``unknown`` (with a ``reason``), never an
error for a bad scan. Only the public view is revealed: the payer stays masked.
The signature is checked first, offline, so forged payloads cost no database work.
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass
from typing import Any

from app.receipts.codes import CHECK_CODE, RECEIPT_NO, normalize_check_code
from app.receipts.models import Receipt, ReceiptLine
from app.receipts.signing import Claim, KeyRing, Reading
from app.receipts.states import ReceiptStatus
from app.receipts.views import public_view

GENUINE, TAMPERED, VOIDED, UNKNOWN = "genuine", "tampered", "voided", "unknown"
READING_REASONS = {
    Reading.MALFORMED: (UNKNOWN, "NOT_A_RECEIPT_QR"),
    Reading.UNKNOWN_KEY: (TAMPERED, "UNKNOWN_KEY"),
    Reading.BAD_SIGNATURE: (TAMPERED, "BAD_SIGNATURE"),
}


def _answer(status: str, reason: str | None, **more: Any) -> dict[str, Any]:
    return {"status": status, "reason": reason, **more}


def _claim_matches(claim: Claim, receipt: Receipt) -> bool:
    return (
        claim.check_code == receipt.check_code
        and claim.amount_fen == receipt.amount_fen
        and claim.issue_date == receipt.issue_date
        and claim.key_id == receipt.key_id
    )


@dataclass
class Verifier:
    keys: KeyRing

    async def scanned(self, text: str) -> dict[str, Any]:
        checked = self.keys.check(text)
        if checked.reading is not Reading.GENUINE:
            status, reason = READING_REASONS[checked.reading]
            return _answer(status, reason)
        claim = checked.claim
        assert claim is not None
        receipt = await Receipt.get_or_none(receipt_no=claim.receipt_no)
        if receipt is None:
            return _answer(UNKNOWN, "NOT_ISSUED")
        if not _claim_matches(claim, receipt):
            return _answer(TAMPERED, "DOES_NOT_MATCH_RECORD")
        return await self._about(receipt, signature={"key_id": claim.key_id, "valid": True})

    async def by_number(self, receipt_no: str, check_code: str) -> dict[str, Any]:
        check = normalize_check_code(check_code)
        if not RECEIPT_NO.match(receipt_no.strip()) or not CHECK_CODE.match(check):
            return _answer(UNKNOWN, "MALFORMED")
        receipt = await Receipt.get_or_none(receipt_no=receipt_no.strip())
        if receipt is None:
            return _answer(UNKNOWN, "NOT_ISSUED")
        if not hmac.compare_digest(receipt.check_code, check):
            return _answer(TAMPERED, "CHECK_CODE_MISMATCH")
        return await self._about(receipt, signature=None)

    async def _about(self, receipt: Receipt, *, signature: dict | None) -> dict[str, Any]:
        lines, reds = await asyncio.gather(
            ReceiptLine.filter(receipt_id=receipt.id).order_by("position"),
            Receipt.filter(original_id=receipt.id).order_by("number"),
        )
        original_no = None
        if receipt.original_id is not None:  # type: ignore[attr-defined]
            original = await Receipt.get(id=receipt.original_id)  # type: ignore[attr-defined]
            original_no = original.receipt_no
        view = public_view(receipt, lines, original_no=original_no, red_letters=reds)
        if receipt.status == ReceiptStatus.VOIDED.value:
            return _answer(
                VOIDED,
                "RED_LETTERED",
                receipt=view,
                red_letter_receipt_no=reds[-1].receipt_no if reds else None,
                signature=signature,
            )
        return _answer(GENUINE, None, receipt=view, signature=signature)
