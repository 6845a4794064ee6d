"""Decided violations as payables (type ``violation``, ref = the decision number).

The quote fixes the amount for today's Shanghai date (fine + late fee as two lines) and
asks the order to be paid before the next Shanghai midnight while the late fee is still
growing: an order opened today never collects yesterday's amount tomorrow. After PAID the
violation is marked paid and the traffic police are told through the outbox, exactly once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import redis.asyncio as aioredis
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from app.agency.models import Agency
from app.agency.outbox_webhook import AGENCY_WEBHOOK
from app.billing.payables import PayableLine, Quote
from app.errors import ViolationNotDecided, ViolationNotFound
from app.identity.models import Citizen
from app.violations import cache, states
from app.violations.late_fee import late_fee_fen
from app.violations.models import (
    DECIDED,
    PAID,
    PAID_ONLINE,
    UNPAID,
    DriverAccess,
    Vehicle,
    VehicleAccess,
    Violation,
)
from infra import clock, outbox
from infra.pii import PiiDecryptError, PiiVault
from infra.transitions import move
from payments.errors import AlreadyPaid

log = logging.getLogger("yiwang.violations")

PAYABLE_TYPE = "violation"
REFRESH_CACHE = "violations.refresh_cache"
# Non-tax revenue item codes printed on the receipt.
FINE_ITEM = "103050101"
LATE_FEE_ITEM = "103050102"
PROVINCE_REGION = "330000"


async def has_proof(citizen_id: uuid.UUID, violation: Violation) -> bool:
    """The citizen proved the vehicle (VIN tail) or the licence (file number) of it."""
    if await VehicleAccess.exists(citizen_id=citizen_id, vehicle_id=violation.vehicle_id):  # type: ignore[attr-defined]
        return True
    driver_id = violation.driver_id  # type: ignore[attr-defined]
    return driver_id is not None and await DriverAccess.exists(
        citizen_id=citizen_id, driver_id=driver_id
    )


def _next_midnight(now: datetime) -> datetime:
    local = now.astimezone(clock.SHANGHAI)
    return datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=clock.SHANGHAI)


@dataclass
class ViolationPayables:
    vault: PiiVault
    redis: aioredis.Redis
    payable_type: str = PAYABLE_TYPE

    async def quote(self, ref: str, citizen_id: uuid.UUID) -> Quote:
        violation = await Violation.get_or_none(
            Q(decision_no=ref) | Q(violation_id=ref)
        ).prefetch_related("agency", "vehicle")
        if violation is None or not await has_proof(citizen_id, violation):
            raise ViolationNotFound()
        if violation.payment_status == PAID:
            raise AlreadyPaid("This violation is already paid.")
        if violation.handling_status != DECIDED or violation.decision_no is None:
            raise ViolationNotDecided()
        now = clock.now()
        fine = violation.fine_fen
        late_fee = late_fee_fen(fine, violation.decided_at, clock.shanghai_date(now))
        agency: Agency = violation.agency
        vehicle: Vehicle = violation.vehicle
        tomorrow = clock.shanghai_date(now) + timedelta(days=1)
        still_growing = late_fee_fen(fine, violation.decided_at, tomorrow) != late_fee
        return Quote(
            payable_type=PAYABLE_TYPE,
            payable_ref=violation.decision_no,
            lines=(
                PayableLine(FINE_ITEM, "交通违法罚款", 1, fine, fine),
                PayableLine(LATE_FEE_ITEM, "加处罚款（滞纳金）", 1, late_fee, late_fee),
            ),
            description=f"交通违法罚款 {vehicle.plate_no} 决定书{violation.decision_no}",
            agency_id=agency.id,
            agency_name=agency.name,
            payer_name=await self._payer_name(citizen_id, vehicle),
            region_code=agency.region_code or PROVINCE_REGION,
            pay_before=_next_midnight(now) if still_growing else None,
        )

    async def record_paid(
        self, ref: str, order_id: int, paid_at: datetime, tx: BaseDBAsyncClient
    ) -> None:
        violation = await Violation.filter(decision_no=ref).using_db(tx).first()
        if violation is None:
            raise ViolationNotFound(f"no violation with decision {ref} to mark paid")
        moved = violation.payment_status == UNPAID and await move(
            violation,
            PAID,
            table=states.PAYMENT,
            using=tx,
            paid_at=paid_at,
            paid_via=PAID_ONLINE,
            order_id=order_id,
            updated_at=clock.now(),
        )
        if not moved:
            current = await Violation.filter(id=violation.id).using_db(tx).first()
            if current is not None and current.order_id != order_id:
                # Paid twice (at a bank meanwhile, or by another order): the money is real and
                # stays recorded on the order; the traffic police already have their payment.
                log.warning(
                    "violation %s paid again by order %s (already paid via %s)",
                    ref,
                    order_id,
                    current.paid_via,
                )
            return
        await self._tell_agency(violation, "paid", order_id, tx)

    async def record_refunded(
        self, ref: str, order_id: int, refunded_fen: int, fully: bool, tx: BaseDBAsyncClient
    ) -> None:
        violation = await Violation.filter(decision_no=ref).using_db(tx).first()
        if violation is None or violation.order_id != order_id:
            return
        if fully and violation.payment_status == PAID:
            await move(
                violation,
                UNPAID,
                table=states.PAYMENT,
                using=tx,
                paid_at=None,
                paid_via=None,
                order_id=None,
                updated_at=clock.now(),
            )
        await self._tell_agency(
            violation,
            "refunded",
            order_id,
            tx,
            extra={"refunded_fen": refunded_fen, "fully": fully},
        )

    async def _tell_agency(
        self,
        violation: Violation,
        event: str,
        order_id: int,
        tx: BaseDBAsyncClient,
        extra: dict | None = None,
    ) -> None:
        """One signed webhook per (violation, event, order): the dedupe key makes it once."""
        current = await Violation.filter(id=violation.id).using_db(tx).first()
        vehicle = await Vehicle.filter(id=violation.vehicle_id).using_db(tx).first()  # type: ignore[attr-defined]
        if current is None or vehicle is None:
            return
        await outbox.emit(
            AGENCY_WEBHOOK,
            {
                "agency_id": violation.agency_id,  # type: ignore[attr-defined]
                "event": f"violation.{event}",
                "data": {**webhook_data(current, order_id), **(extra or {})},
            },
            using=tx,
            dedupe_key=f"vio-{event}:{violation.id}:{order_id}",
        )
        tag = cache.plate_tag(vehicle.plate_type, vehicle.plate_no)
        # Now for the common case; again from the outbox once this transaction committed.
        await cache.invalidate(self.redis, {tag})
        await outbox.emit(REFRESH_CACHE, {"tags": [tag]}, using=tx)

    async def _payer_name(self, citizen_id: uuid.UUID, vehicle: Vehicle) -> str:
        citizen = await Citizen.get_or_none(id=citizen_id)
        if citizen is not None and citizen.name_enc:
            try:
                return self.vault.decrypt("name", citizen.name_enc)
            except PiiDecryptError:
                log.warning("citizen %s name does not decrypt", citizen_id)
        return vehicle.plate_no


def webhook_data(violation: Violation, order_id: int) -> dict:
    """What the traffic police learn: their ids, and the amounts paid as of the paid day."""
    data: dict = {
        "violation_id": violation.violation_id,
        "decision_no": violation.decision_no,
        "order_id": order_id,
        "fine_fen": violation.fine_fen,
        "payment_status": violation.payment_status,
    }
    if violation.paid_at is not None:
        late_fee = late_fee_fen(
            violation.fine_fen, violation.decided_at, clock.shanghai_date(violation.paid_at)
        )
        data.update(
            paid_at=violation.paid_at.isoformat(),
            late_fee_fen=late_fee,
            amount_fen=violation.fine_fen + late_fee,
        )
    return data
