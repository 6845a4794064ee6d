"""Issuing payment notices for agencies, looking them up for residents, and paying them."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.agency.models import Agency
from app.agency.outbox_webhook import AGENCY_WEBHOOK
from app.billing.payables import PayableLine, Quote
from app.catalog import audit
from app.errors import (
    FeeAmountInvalid,
    FeeItemUnknown,
    InvalidInput,
    NoticeNotFound,
    NoticeNotYours,
    NoticeOverdue,
    NotVerified,
)
from app.fees import payment_codes
from app.fees.messages import NOTICE_ISSUED
from app.fees.models import FeeItem, NoticeLine, PaymentNotice
from app.fees.states import NOTICE, NoticeStatus
from app.identity.id_numbers import normalise_id_number
from app.identity.models import Citizen
from infra import clock, outbox
from infra.masking import mask_id_number, mask_name
from infra.pii import PiiVault
from infra.transitions import move
from payments.errors import AlreadyPaid
from payments.lines import numbered
from payments.models import Order


@dataclass(frozen=True)
class NoticeLineInput:
    item_code: str
    name: str
    quantity: int
    standard_fen: int
    amount_fen: int


@dataclass(frozen=True)
class NoticeInput:
    payer_name: str
    payer_id_number: str
    lines: tuple[NoticeLineInput, ...]
    due_date: date
    notice_no: str | None = None


# A collision with an existing code is one in 10**8 per notice of the same prefix; a handful of
# draws never all collide unless the prefix is nearly full.
SERIAL_DRAWS = 8


def _random_serial() -> int:
    """A serial nobody can guess from another code: walking codes finds nothing."""
    return secrets.randbelow(10**8 - 1) + 1


def _check_line(item: FeeItem | None, line: NoticeLineInput, index: int) -> None:
    field = f"items.{index}"
    if item is None or not item.active:
        raise FeeItemUnknown(field=f"{field}.item_code")
    if line.quantity <= 0 or line.amount_fen <= 0 or line.standard_fen < 0:
        raise FeeAmountInvalid("Quantity and amount must be positive.", field=field)
    if item.standard_fen is not None:
        if (
            line.standard_fen != item.standard_fen
            or line.amount_fen != item.standard_fen * line.quantity
        ):
            raise FeeAmountInvalid(
                f"{item.name}: the standard is {item.standard_fen} fen per unit.", field=field
            )
    elif not (item.min_fen or 0) <= line.amount_fen <= (item.max_fen or line.amount_fen):
        raise FeeAmountInvalid(
            f"{item.name}: the amount must be within {item.min_fen}–{item.max_fen} fen.",
            field=field,
        )


@dataclass
class Notices:
    vault: PiiVault

    async def issue(self, agency: Agency, data: NoticeInput) -> PaymentNotice:
        """Create a notice and its payment code; a retry with the same notice_no is a no-op."""
        if data.notice_no:
            existing = await PaymentNotice.get_or_none(
                agency_id=agency.id, notice_no=data.notice_no
            )
            if existing is not None:
                return existing
        id_number = normalise_id_number(data.payer_id_number)
        if not data.payer_name.strip():
            raise InvalidInput("The payer's name is required.", field="payer.name")
        if not data.lines:
            raise InvalidInput("A notice needs at least one item.", field="items")
        if data.due_date < clock.shanghai_date():
            raise InvalidInput("The due date is in the past.", field="due_date")
        items = {
            i.item_code: i
            for i in await FeeItem.filter(
                agency_id=agency.id, item_code__in=[line.item_code for line in data.lines]
            )
        }
        for index, line in enumerate(data.lines):
            _check_line(items.get(line.item_code), line, index)
        region = agency.region_code or "330000"
        kind = items[data.lines[0].item_code].kind_code
        year = clock.shanghai_date().year
        for _ in range(SERIAL_DRAWS):
            code = payment_codes.compose(region, year, kind, _random_serial())
            try:
                return await self._create(agency, data, code, id_number, items)
            except IntegrityError:
                if data.notice_no:  # the same notice_no raced in concurrently
                    raced = await PaymentNotice.get_or_none(
                        agency_id=agency.id, notice_no=data.notice_no
                    )
                    if raced is not None:
                        return raced
                if not await PaymentNotice.exists(payment_code=code):
                    raise
        raise IntegrityError(f"no free payment code after {SERIAL_DRAWS} draws")

    async def _create(
        self,
        agency: Agency,
        data: NoticeInput,
        code: str,
        id_number: str,
        items: dict[str, FeeItem],
    ) -> PaymentNotice:
        async with in_transaction() as tx:
            notice = await PaymentNotice.create(
                payment_code=code,
                agency_id=agency.id,
                notice_no=data.notice_no,
                payer_name_enc=self.vault.encrypt("name", data.payer_name.strip()),
                payer_name_masked=mask_name(data.payer_name.strip()),
                payer_id_number_enc=self.vault.encrypt("id_number", id_number),
                payer_id_number_hash=self.vault.lookup_hash("id_number", id_number),
                payer_id_number_masked=mask_id_number(id_number),
                total_fen=sum(line.amount_fen for line in data.lines),
                due_date=data.due_date,
                status=NoticeStatus.UNPAID.value,
                created_at=clock.now(),
                using_db=tx,
            )
            # The registered item's name is printed, whatever name the agency sent.
            named = [replace(line, name=items[line.item_code].name) for line in data.lines]
            await NoticeLine.bulk_create(
                numbered(NoticeLine, named, notice_id=notice.id), using_db=tx
            )
            # The payer hears of it on the channel they last used (app/fees/messages.py).
            await outbox.emit(
                NOTICE_ISSUED,
                {"notice_id": notice.id},
                using=tx,
                dedupe_key=f"notice-issued:{notice.id}",
            )
        return notice

    async def find(self, raw_code: str) -> PaymentNotice:
        code = payment_codes.checked(raw_code)
        notice = await PaymentNotice.get_or_none(payment_code=code)
        if notice is None:
            raise NoticeNotFound()
        return notice

    async def reveal_payer(self, agency: Agency, raw_code: str, reason: str) -> dict[str, str]:
        """The payer's name and ID number in full, to the agency that issued the notice (a
        counter clerk checking a payer in person): on the audit chain, with the reason,
        before anything is returned. Another agency's notice does not exist for it."""
        notice = await self.find(raw_code)
        if notice.agency_id != agency.id:  # type: ignore[attr-defined]
            raise NoticeNotFound()
        shown = {
            "name": self.vault.decrypt("name", notice.payer_name_enc),
            "id_number": self.vault.decrypt("id_number", notice.payer_id_number_enc),
        }
        await audit.reveal(
            None,
            "reveal.notice_payer",
            "notice",
            notice.payment_code,
            department=None,
            fields=sorted(shown),
            reason=reason,
            by=f"agency:{agency.key}",
        )
        return shown


async def is_payer(notice: PaymentNotice, citizen_id: uuid.UUID) -> bool:
    """The verified citizen whose ID number the notice names."""
    citizen = await Citizen.get_or_none(id=citizen_id)
    return (
        citizen is not None
        and citizen.verified
        and citizen.id_number_hash == notice.payer_id_number_hash
    )


def is_overdue(notice: PaymentNotice) -> bool:
    return clock.shanghai_date() > notice.due_date


@dataclass
class NoticePayables:
    """The PayableSource for payable type "notice" (ref = the payment code)."""

    vault: PiiVault
    payable_type: str = "notice"

    async def quote(self, ref: str, citizen_id: uuid.UUID) -> Quote:
        notice = await Notices(self.vault).find(ref)
        citizen = await Citizen.get(id=citizen_id)
        if not citizen.verified:
            raise NotVerified()
        if citizen.id_number_enc is None or notice.payer_id_number_hash not in (
            self.vault.lookup_hashes(
                "id_number", self.vault.decrypt("id_number", citizen.id_number_enc)
            )
        ):
            raise NoticeNotYours()
        if notice.status != NoticeStatus.UNPAID.value:
            raise AlreadyPaid("This payment notice has already been paid.")
        if is_overdue(notice):
            raise NoticeOverdue(due_date=notice.due_date.isoformat())
        agency = await Agency.get(id=notice.agency_id)  # type: ignore[attr-defined]
        lines = await NoticeLine.filter(notice_id=notice.id).order_by("position")
        return Quote(
            payable_type=self.payable_type,
            payable_ref=notice.payment_code,
            lines=tuple(
                PayableLine(n.item_code, n.name, n.quantity, n.standard_fen, n.amount_fen)
                for n in lines
            ),
            description=f"{agency.name} 缴款 {notice.payment_code}",
            agency_id=agency.id,
            agency_name=agency.name,
            payer_name=self.vault.decrypt("name", notice.payer_name_enc),
            region_code=agency.region_code or "330000",
        )

    async def record_paid(
        self, ref: str, order_id: int, paid_at: datetime, tx: BaseDBAsyncClient
    ) -> None:
        notice = await PaymentNotice.filter(payment_code=ref).using_db(tx).get()
        if not NOTICE.may(notice.status, NoticeStatus.PAID):
            return
        order = await Order.filter(id=order_id).using_db(tx).get()
        if not await move(
            notice, NoticeStatus.PAID, using=tx, paid_order_no=order.order_no, paid_at=paid_at
        ):
            return
        await outbox.emit(
            AGENCY_WEBHOOK,
            {
                "agency_id": notice.agency_id,  # type: ignore[attr-defined]
                "event": "notice.paid",
                "data": {
                    "payment_code": notice.payment_code,
                    "notice_no": notice.notice_no,
                    "amount_fen": notice.total_fen,
                    "order_no": order.order_no,
                    "channel": order.channel,
                    "paid_at": paid_at.isoformat(),
                },
            },
            using=tx,
            dedupe_key=f"notice.paid:{notice.payment_code}",
        )

    async def record_refunded(
        self, ref: str, order_id: int, refunded_fen: int, fully: bool, tx: BaseDBAsyncClient
    ) -> None:
        if not fully:
            return
        notice = await PaymentNotice.filter(payment_code=ref).using_db(tx).first()
        if notice is not None and notice.status == NoticeStatus.PAID:
            await move(notice, NoticeStatus.REFUNDED, using=tx)
