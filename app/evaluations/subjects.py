"""What a person actually used: a finished case, an attended appointment, a paid order.

Each answer says which department, item and channel the rating counts for; anything the
person did not use (or that is not finished) is NotRateable, the same for all three.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.appointments.models import Booking
from app.cases.models import Case
from app.errors import NotRateable
from payments.models import Order

SUBJECT_TYPES = ("case", "appointment", "payment")
PAID_STATES = ("PAID", "PARTIALLY_REFUNDED", "REFUNDED")


@dataclass(frozen=True)
class Used:
    subject_type: str
    subject_ref: str
    department_code: str
    item_code: str | None
    channel: str


async def used_service(citizen_id: uuid.UUID, subject_type: str, ref: str) -> Used:
    if subject_type == "case":
        case = await Case.get_or_none(case_no=ref, citizen_id=citizen_id)
        if case is not None and case.status in ("completed", "rejected"):
            return Used("case", ref, case.department_code, case.item_code, case.channel)
    elif subject_type == "appointment" and ref.isdigit():
        booking = await Booking.get_or_none(id=int(ref), citizen_id=citizen_id)
        if booking is not None and booking.status == "checked_in":
            dept = f"institution:{booking.institution_id}"
            return Used("appointment", ref, dept, None, booking.channel)
    elif subject_type == "payment":
        order = await Order.get_or_none(order_no=ref, citizen_id=citizen_id)
        if order is not None and order.status in PAID_STATES:
            dept = f"agency:{order.agency_id}"
            return Used("payment", ref, dept, None, order.channel or "app")
    raise NotRateable(subject_type=subject_type, subject_ref=ref)
