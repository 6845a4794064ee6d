"""Fee-bearing holds: a seat held for payment is released when the hold runs out unpaid.

The release and a payment landing at the same moment both go through the booking
transition table as compare-and-set from ``pending_payment``: exactly one wins. If the
payment wins, nothing is released; if the release wins, ``record_paid`` sees a released
booking and re-takes a free seat or leaves the order to the refund review.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from app.appointments import states
from app.appointments.booking import Booker
from app.appointments.models import Booking, Slot
from app.appointments.seats import pass_on
from infra import clock
from infra.transitions import move


async def release_unpaid(booker: Booker, *, limit: int = 200) -> int:
    now = clock.now()
    due = (
        await Booking.filter(status=states.PENDING_PAYMENT, hold_expires_at__lte=now)
        .order_by("hold_expires_at")
        .limit(limit)
    )
    released = 0
    for booking in due:
        async with in_transaction() as tx:
            if not await move(
                booking,
                states.RELEASED,
                using=tx,
                active_slot_id=None,
                active_group_key=None,
            ):
                continue  # paid (or cancelled) a moment ago: the other side won cleanly
            slot = await Slot.get(id=booking.slot_id).using_db(tx)  # type: ignore[attr-defined]
            meta = await booker.slots.get(slot.id)
            seat_move = await pass_on(
                tx, slot, str(booking.citizen_id), now, booker.rules, meta.window.closes_at
            )
        await booker.after_commit(seat_move)
        released += 1
    return released
