"""The one transition table per aggregate (bookings, waitlist entries).

Moves go through :func:`infra.transitions.move`: a move not in the table is a programming
error; one that loses a race (the row no longer holds its status) returns False and
changes nothing.
"""

from __future__ import annotations

from infra.transitions import Transitions

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

BOOKING = Transitions.of(
    "booking",
    {
        PENDING_PAYMENT: frozenset({BOOKED, RELEASED, CANCELLED}),
        BOOKED: frozenset({CHECKED_IN, CANCELLED, NO_SHOW}),
        CHECKED_IN: frozenset(),
        CANCELLED: frozenset(),
        RELEASED: frozenset({BOOKED}),  # a payment that lands after the hold ran out, seat free
        NO_SHOW: frozenset(),
    },
)

WAITING = "waiting"
OFFERED = "offered"
ACCEPTED = "accepted"
LAPSED = "lapsed"
LEFT = "left"

WAITLIST = Transitions.of(
    "waitlist entry",
    {
        WAITING: frozenset({OFFERED, LEFT}),
        OFFERED: frozenset({ACCEPTED, LAPSED, LEFT}),
        ACCEPTED: frozenset(),
        LAPSED: frozenset(),
        LEFT: frozenset(),
    },
)

DRAW_OPEN = "open"
DRAWING = "drawing"
DRAWN = "drawn"

# A draw starts once (open → drawing, the seed revealed) and finishes once; a crashed draw
# stays ``drawing`` and is resumed, never restarted.
LOTTERY = Transitions.of(
    "lottery",
    {
        DRAW_OPEN: frozenset({DRAWING}),
        DRAWING: frozenset({DRAWN}),
        DRAWN: frozenset(),
    },
)

RERELEASE_PENDING = "pending"
RERELEASED = "released"
RECLAIMED = "reclaimed"

# A freed seat waiting for its drawn moment goes back once (to a waiter or the pool), or is
# taken back by the booking that gave it up (a payment landing after its hold ran out).
RERELEASE = Transitions.of(
    "re-release",
    {
        RERELEASE_PENDING: frozenset({RERELEASED, RECLAIMED}),
        RERELEASED: frozenset(),
        RECLAIMED: frozenset(),
    },
)
