"""The one transition table per aggregate, and the compare-and-set that applies it.

A move not in the table is a programming error. A move that loses a race (the row no
longer holds the expected status) returns False and changes nothing.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

PENDING_PAYMENT = "pending_payment"
BOOKED = "booked"
CHECKED_IN = "checked_in"
CANCELLED = "cancelled"
RELEASED = "released"
NO_SHOW = "no_show"

# Statuses in which a booking holds its seat.
HOLDING = (PENDING_PAYMENT, BOOKED)
# Statuses that count towards the per-person limits (everything but a seat given back).
COUNTED = (PENDING_PAYMENT, BOOKED, CHECKED_IN, NO_SHOW)

BOOKING: dict[str, frozenset[str]] = {
    PENDING_PAYMENT: frozenset({BOOKED, RELEASED, CANCELLED}),
    BOOKED: frozenset({CHECKED_IN, CANCELLED, NO_SHOW}),
    CHECKED_IN: frozenset(),
    CANCELLED: frozenset(),
    RELEASED: frozenset({BOOKED}),  # a payment that lands after the hold ran out, seat free
    NO_SHOW: frozenset(),
}

WAITING = "waiting"
OFFERED = "offered"
ACCEPTED = "accepted"
LAPSED = "lapsed"
LEFT = "left"

WAITLIST: dict[str, frozenset[str]] = {
    WAITING: frozenset({OFFERED, LEFT}),
    OFFERED: frozenset({ACCEPTED, LAPSED, LEFT}),
    ACCEPTED: frozenset(),
    LAPSED: frozenset(),
    LEFT: frozenset(),
}

DRAW_OPEN = "open"
DRAWING = "drawing"
DRAWN = "drawn"

# A draw starts once (open → drawing, the seed revealed) and finishes once; a crashed draw
# stays ``drawing`` and is resumed, never restarted.
LOTTERY: dict[str, frozenset[str]] = {
    DRAW_OPEN: frozenset({DRAWING}),
    DRAWING: frozenset({DRAWN}),
    DRAWN: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A code path asked for a move the table forbids."""


async def transition(
    table: dict[str, frozenset[str]],
    model: type[Model],
    pk: Any,
    src: str,
    dst: str,
    *,
    using: BaseDBAsyncClient,
    **changes: Any,
) -> bool:
    """Persist ``src → dst`` as a compare-and-set; True when exactly one row changed."""
    if dst not in table[src]:
        raise IllegalTransition(f"{model.__name__}: {src} → {dst} is not allowed")
    updated = await model.filter(pk=pk, status=src).using_db(using).update(status=dst, **changes)
    return updated == 1
