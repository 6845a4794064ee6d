"""Fee-bearing holds: a seat held for payment is released when the hold runs out unpaid.

The release and a payment landing at the same moment both go through the booking
transition table as compare-and-set from ``pending_payment``: exactly one wins. If the
payment wins, nothing is released; if the release wins, ``record_paid`` sees a released
booking and re-takes a free seat or leaves the order to the refund review.
"""

from __future__ import annotations

from app.appointments import states
from app.appointments.booking import Booker
from app.appointments.expiry import expire_due
from app.appointments.models import Booking


async def release_unpaid(booker: Booker, *, limit: int = 200) -> int:
    return await expire_due(
        booker,
        Booking,
        waiting=states.PENDING_PAYMENT,
        expired=states.RELEASED,
        deadline="hold_expires_at",
        holder=lambda booking: str(booking.citizen_id),
        limit=limit,
        active_slot_id=None,
        active_group_key=None,
    )
