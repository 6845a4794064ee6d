"""The one transition table of a violation, persisted as compare-and-set updates.

A violation has two independent statuses: handling (the penalty decision) and payment.
Every change goes through :func:`move`, which refuses a transition not in the table and
returns False when another writer got there first (the race is lost cleanly).
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.violations.models import DECIDED, PAID, UNDECIDED, UNPAID, Violation

TRANSITIONS: dict[str, frozenset[tuple[str, str]]] = {
    # A decision is made once; it is never withdrawn through this API.
    "handling_status": frozenset({(UNDECIDED, DECIDED)}),
    # Paid online or at a bank; back to unpaid only when an online payment is fully refunded.
    "payment_status": frozenset({(UNPAID, PAID), (PAID, UNPAID)}),
}


class IllegalTransition(ValueError):
    pass


def allowed(field: str, src: str, dst: str) -> bool:
    return (src, dst) in TRANSITIONS[field]


async def move(
    violation_pk: int,
    field: str,
    src: str,
    dst: str,
    *,
    using: BaseDBAsyncClient,
    **changes: Any,
) -> bool:
    """Move ``field`` from ``src`` to ``dst``; True when exactly this call changed the row."""
    if not allowed(field, src, dst):
        raise IllegalTransition(f"{field}: {src} → {dst} is not a legal transition")
    updated = (
        await Violation.filter(id=violation_pk, **{field: src})
        .using_db(using)
        .update(**{field: dst}, **changes)
    )
    return updated == 1
