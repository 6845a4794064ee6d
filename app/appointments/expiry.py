"""The one expiry sweep: a seat claim whose time ran out (an unpaid hold, an untaken
waitlist offer) moves to its expired status and the seat passes on.

Each expiry is a compare-and-set from the waiting status, in its own transaction with the
seat's hand-over, so a payment or an acceptance landing at the same moment wins or loses
cleanly: if it won, nothing expires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from app.appointments.booking import Booker
from app.appointments.models import Slot
from app.appointments.seats import pass_on
from infra import clock
from infra.transitions import move


async def expire_due(
    booker: Booker,
    model: type[Model],
    *,
    waiting: str,
    expired: str,
    deadline: str,
    holder: Callable[[Any], str],
    limit: int,
    **changes: Any,
) -> int:
    """Expire up to ``limit`` rows in ``waiting`` whose ``deadline`` has passed; answers how
    many expired. ``holder`` names the claim the seat is taken from in the admission gate."""
    now = clock.now()
    due = (
        await model.filter(status=waiting, **{f"{deadline}__lte": now})
        .order_by(deadline)
        .limit(limit)
    )
    expired_count = 0
    for row in due:
        async with in_transaction() as tx:
            if not await move(row, expired, using=tx, **changes):
                continue  # paid or accepted a moment ago: the other side won cleanly
            slot = await Slot.get(id=row.slot_id).using_db(tx)
            meta = await booker.slots.get(slot.id)
            seat_move = await pass_on(
                tx, slot, holder(row), now, booker.rules, meta.window.closes_at
            )
        await booker.after_commit(seat_move)
        expired_count += 1
    return expired_count
