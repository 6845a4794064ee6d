"""Verification for anyone: a scanned QR, or a receipt number with its check code.

Answers ``genuine``, ``tampered``, ``voided`` or ``unknown`` (with a ``reason``), never an
error for a bad scan. Only the public view is revealed: the payer stays masked.
The signature is checked offline before any database work, so forged payloads cost
none. A scan that is byte for byte the payload we issued (read from the cached record) is
genuine without a signature check: we signed exactly those bytes, and SM2 verification
(about 0.5 ms) would otherwise bound the endpoint's throughput.

What a verification needs of a receipt (its claim fields, status and public view) is cached
in Redis per receipt number (infra.gencache), so a scan is answered without PostgreSQL.
A red-letter receipt changes its original: the issuing handler invalidates the original's
entry after the commit, on every delivery of the event, so a voided receipt is never
verified as genuine once the red letter exists.
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass
from datetime import date
from typing import Any

import redis.asyncio as aioredis

from app.receipts.codes import CHECK_CODE, RECEIPT_NO, normalize_check_code
from app.receipts.models import Receipt, ReceiptLine
from app.receipts.signing import (
    MAX_INPUT,
    Claim,
    KeyRing,
    Reading,
    extract_payload,
    parse_claim,
)
from app.receipts.states import ReceiptStatus
from app.receipts.views import public_view
from infra import gencache

RECORD_SECONDS = 3600

GENUINE, TAMPERED, VOIDED, UNKNOWN = "genuine", "tampered", "voided", "unknown"
READING_REASONS = {
    Reading.MALFORMED: (UNKNOWN, "NOT_A_RECEIPT_QR"),
    Reading.UNKNOWN_KEY: (TAMPERED, "UNKNOWN_KEY"),
    Reading.BAD_SIGNATURE: (TAMPERED, "BAD_SIGNATURE"),
}


def _answer(status: str, reason: str | None, **more: Any) -> dict[str, Any]:
    return {"status": status, "reason": reason, **more}


def receipt_tag(receipt_no: str) -> str:
    return f"rcpt:{{{receipt_no}}}"


def _claim_matches(claim: Claim, record: dict[str, Any]) -> bool:
    return (
        hmac.compare_digest(claim.check_code, record["check_code"])
        and claim.amount_fen == record["amount_fen"]
        and claim.issue_date == date.fromisoformat(record["issue_date"])
        and claim.key_id == record["key_id"]
    )


@dataclass
class Verifier:
    keys: KeyRing
    redis: aioredis.Redis

    async def scanned(self, text: str) -> dict[str, Any]:
        issued = await self._issued_exactly(text)
        if issued is not None:
            return issued
        checked = self.keys.check(text)
        if checked.reading is not Reading.GENUINE:
            status, reason = READING_REASONS[checked.reading]
            return _answer(status, reason)
        claim = checked.claim
        assert claim is not None
        record = await self._record(claim.receipt_no)
        if record is None:
            return _answer(UNKNOWN, "NOT_ISSUED")
        if not _claim_matches(claim, record):
            return _answer(TAMPERED, "DOES_NOT_MATCH_RECORD")
        return _about(record, signature={"key_id": claim.key_id, "valid": True})

    async def _issued_exactly(self, text: str) -> dict[str, Any] | None:
        """The answer for a scan equal to the payload of a cached record, else None."""
        if len(text) > MAX_INPUT:
            return None
        payload = extract_payload(text)
        parsed = parse_claim(payload)
        if parsed is None:
            return None
        found = await gencache.read(self.redis, receipt_tag(parsed[0].receipt_no))
        record = found.value if found.hit else None
        if not record or not hmac.compare_digest(record.get("qr_payload", ""), payload):
            return None
        return _about(record, signature={"key_id": parsed[0].key_id, "valid": True})

    async def by_number(self, receipt_no: str, check_code: str) -> dict[str, Any]:
        check = normalize_check_code(check_code)
        if not RECEIPT_NO.match(receipt_no.strip()) or not CHECK_CODE.match(check):
            return _answer(UNKNOWN, "MALFORMED")
        record = await self._record(receipt_no.strip())
        if record is None:
            return _answer(UNKNOWN, "NOT_ISSUED")
        if not hmac.compare_digest(record["check_code"], check):
            return _answer(TAMPERED, "CHECK_CODE_MISMATCH")
        return _about(record, signature=None)

    async def changed(self, *receipt_nos: str) -> None:
        """Call after the commit that changed these receipts (a red letter's original)."""
        await gencache.invalidate(self.redis, {receipt_tag(n) for n in receipt_nos})

    async def _record(self, receipt_no: str) -> dict[str, Any] | None:
        """What verification needs of a receipt; unknown numbers are not cached, so a
        receipt issued a moment later verifies at once."""
        tag = receipt_tag(receipt_no)
        found = await gencache.read(self.redis, tag)
        if found.hit:
            return found.value  # type: ignore[no-any-return]
        receipt = await Receipt.get_or_none(receipt_no=receipt_no)
        if receipt is None:
            return None
        record = await _load_record(receipt)
        await gencache.fill(self.redis, tag, found.generation, record, ttl_seconds=RECORD_SECONDS)
        return record


async def _load_record(receipt: Receipt) -> dict[str, Any]:
    lines, reds = await asyncio.gather(
        ReceiptLine.filter(receipt_id=receipt.id).order_by("position"),
        Receipt.filter(original_id=receipt.id).order_by("number"),
    )
    original_no = None
    if receipt.original_id is not None:  # type: ignore[attr-defined]
        original = await Receipt.get(id=receipt.original_id)  # type: ignore[attr-defined]
        original_no = original.receipt_no
    return {
        "check_code": receipt.check_code,
        "amount_fen": receipt.amount_fen,
        "issue_date": receipt.issue_date.isoformat(),
        "key_id": receipt.key_id,
        "qr_payload": receipt.qr_payload,
        "voided": receipt.status == ReceiptStatus.VOIDED.value,
        "red_letter_receipt_no": reds[-1].receipt_no if reds else None,
        "view": public_view(receipt, lines, original_no=original_no, red_letters=reds),
    }


def _about(record: dict[str, Any], *, signature: dict | None) -> dict[str, Any]:
    if record["voided"]:
        return _answer(
            VOIDED,
            "RED_LETTERED",
            receipt=record["view"],
            red_letter_receipt_no=record["red_letter_receipt_no"],
            signature=signature,
        )
    return _answer(GENUINE, None, receipt=record["view"], signature=signature)
