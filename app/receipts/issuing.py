"""Issuing receipts: the blue receipt for a paid order, and red letters (红冲) for refunds.

Exactly one blue receipt per order and one red letter per refund: ``source_key`` is unique,
the number is taken in the inserting transaction (``numbering``), and a duplicate or
concurrent issue for the same cause returns the receipt that won.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.errors import ReceiptNotIssuable
from app.receipts.codes import new_check_code, receipt_code, receipt_no
from app.receipts.models import Receipt, ReceiptLine
from app.receipts.numbering import take_number
from app.receipts.signing import Claim, KeyRing
from app.receipts.states import RECEIPT, ReceiptKind, ReceiptStatus
from infra import clock, metrics
from infra.masking import mask_name
from infra.pii import PiiVault
from infra.transitions import move
from payments.lines import numbered
from payments.models import Order, OrderLine
from payments.states import SETTLED, OrderStatus


class _AlreadyIssued(Exception):
    """Raised inside the transaction to roll back a number taken for a cause already served."""


@dataclass(frozen=True)
class LineDraft:
    item_code: str
    name: str
    quantity: int
    standard_fen: int
    amount_fen: int


@dataclass
class Issuer:
    vault: PiiVault
    keys: KeyRing

    async def for_order(self, order_id: int) -> Receipt:
        """The order's blue receipt, issued now if it does not exist yet."""
        key = f"order:{order_id}"
        existing = await Receipt.get_or_none(source_key=key)
        if existing is not None:
            return existing
        order = await Order.get_or_none(id=order_id)
        if order is None or OrderStatus(order.status) not in SETTLED:
            raise ReceiptNotIssuable(order_id=order_id)
        lines = [
            LineDraft(line.item_code, line.name, line.quantity, line.standard_fen, line.amount_fen)
            for line in await OrderLine.filter(order_id=order.id).order_by("position")
        ] or [LineDraft("", order.description, 1, order.amount_fen, order.amount_fen)]
        return await self._issue(
            key, order, lines, amount_fen=order.amount_fen, original=None, void=False
        )

    async def red_letter(
        self, order_id: int, refund_id: int, refund_fen: int, *, fully: bool
    ) -> Receipt:
        """A red-letter receipt for a refund; a full refund also voids the blue receipt."""
        key = f"refund:{refund_id}"
        existing = await Receipt.get_or_none(source_key=key)
        if existing is not None:
            return existing
        if refund_fen <= 0:
            raise ReceiptNotIssuable(refund_id=refund_id)
        original = await self.for_order(order_id)
        order = await Order.get(id=order_id)
        blue_lines = await ReceiptLine.filter(receipt_id=original.id).order_by("position")
        if refund_fen == original.amount_fen:
            lines = [
                LineDraft(b.item_code, b.name, b.quantity, -b.standard_fen, -b.amount_fen)
                for b in blue_lines
            ]
        else:
            code = blue_lines[0].item_code if len(blue_lines) == 1 else ""
            lines = [LineDraft(code, f"部分退付：{order.description}", 1, -refund_fen, -refund_fen)]
        return await self._issue(
            key, order, lines, amount_fen=-refund_fen, original=original, void=fully
        )

    async def _issue(
        self,
        key: str,
        order: Order,
        lines: list[LineDraft],
        *,
        amount_fen: int,
        original: Receipt | None,
        void: bool,
    ) -> Receipt:
        payer = self.vault.decrypt("payer_name", order.payer_name_enc)
        now = clock.now()
        issued_on = clock.shanghai_date(now)
        code = receipt_code(order.region_code, order.payable_type, issued_on)
        try:
            async with in_transaction() as tx:
                if original is not None:
                    original = (
                        await Receipt.filter(id=original.id).using_db(tx).select_for_update().get()
                    )
                number = await take_number(tx, code)
                # Under the counter lock, a concurrent issue for this cause is visible if it won.
                if await Receipt.filter(source_key=key).using_db(tx).exists():
                    raise _AlreadyIssued()
                claim = Claim(
                    code=code,
                    number=number,
                    check_code=new_check_code(),
                    issue_date=issued_on,
                    amount_fen=amount_fen,
                    key_id=self.keys.signing_kid,
                )
                receipt = await Receipt.create(
                    receipt_no=receipt_no(code, number),
                    code=code,
                    number=number,
                    check_code=claim.check_code,
                    kind=(ReceiptKind.RED_LETTER if original else ReceiptKind.NORMAL).value,
                    status=ReceiptStatus.ISSUED.value,
                    source_key=key,
                    order_id=order.id,
                    citizen_id=order.citizen_id,  # type: ignore[attr-defined]
                    original_id=original.id if original else None,
                    amount_fen=amount_fen,
                    payer_name_enc=self.vault.encrypt("receipt_payer", payer),
                    payer_name_masked=mask_name(payer),
                    agency_name=order.agency_name,
                    region_code=order.region_code,
                    channel=order.channel,
                    description=order.description,
                    issued_at=now,
                    issue_date=issued_on,
                    key_id=claim.key_id,
                    qr_payload=self.keys.sign(claim),
                    using_db=tx,
                )
                await ReceiptLine.bulk_create(
                    numbered(ReceiptLine, lines, receipt_id=receipt.id), using_db=tx
                )
                if original is not None:
                    await (
                        Receipt.filter(id=original.id)
                        .using_db(tx)
                        .update(red_lettered_fen=F("red_lettered_fen") - amount_fen)
                    )
                    if void and not (
                        RECEIPT.may(original.status, ReceiptStatus.VOIDED)
                        and await move(original, ReceiptStatus.VOIDED, using=tx, voided_at=now)
                    ):
                        raise ReceiptNotIssuable(receipt_no=original.receipt_no)
        except (_AlreadyIssued, IntegrityError):
            winner = await Receipt.get_or_none(source_key=key)
            if winner is None:
                raise
            return winner
        metrics.RECEIPTS.labels("red_letter" if original is not None else "receipt").inc()
        return receipt
