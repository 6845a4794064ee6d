"""Fair re-release: a freed seat goes back at its drawn moment, never before.

``seats.pass_on`` holds a seat nobody was waiting for as a pending ``Rerelease`` and
records an outbox event due at a moment drawn from the OS CSPRNG. The event is in
PostgreSQL with the change that freed the seat, so a restart of the server, the worker or
Redis between the two loses nothing: the outbox sweep hands the event over once due, and
the gate's snapshot counts the held seat under ``release:<id>``.

At the moment the seat goes to the first waiter who joined meanwhile, else to the pool.
Delivery is idempotent (a compare-and-set from ``pending``), and a delivery that somehow
came early is refused and retried, so the seat is never offered before its moment.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.appointments import states
from app.appointments.booking import Booker
from app.appointments.gate import release_holder
from app.appointments.models import Rerelease, Slot
from app.appointments.seats import pass_on
from infra import clock, metrics
from infra.transitions import move


class NotDueYet(RuntimeError):
    """A delivery before the drawn moment: the outbox retries it later."""


async def release_due(booker: Booker, payload: dict[str, Any]) -> None:
    """The outbox handler of ``appointments.rerelease``."""
    now = clock.now()
    async with in_transaction() as tx:
        held = (
            await Rerelease.filter(id=payload["rerelease_id"])
            .using_db(tx)
            .select_for_update()
            .first()
        )
        if held is None or held.status != states.RERELEASE_PENDING:
            return  # delivered before, or reclaimed by a late payment
        if now < held.release_at:
            raise NotDueYet(f"re-release {held.id} is due at {held.release_at.isoformat()}")
        slot = await Slot.get(id=held.slot_id).using_db(tx)
        meta = await booker.slots.get(slot.id)
        seat_move = await pass_on(
            tx,
            slot,
            release_holder(held.id),
            now,
            booker.rules,
            meta.window.closes_at,
            delay=False,
        )
        outcome = "pool" if seat_move.to_offer is None else f"offer:{seat_move.to_offer}"
        await move(held, states.RERELEASED, using=tx, released_at=now, outcome=outcome)
    await booker.after_commit(seat_move)
    metrics.RERELEASES.labels("pool" if seat_move.to_offer is None else "offered").inc()


async def reclaim(tx: BaseDBAsyncClient, slot: Slot, holder: str, booking_id: int) -> int | None:
    """The seat ``holder`` gave up, still waiting for its moment, taken back by them (a
    payment that landed after its hold ran out). Answers the Rerelease id, or None."""
    held = (
        await Rerelease.filter(slot_id=slot.id, freed_by=holder, status=states.RERELEASE_PENDING)
        .using_db(tx)
        .select_for_update()
        .first()
    )
    if held is None:
        return None
    if not await move(
        held,
        states.RECLAIMED,
        using=tx,
        released_at=clock.now(),
        outcome=f"booking:{booking_id}",
    ):
        return None
    metrics.RERELEASES.labels("reclaimed").inc()
    return held.id


async def pending(slot_id: int) -> int:
    """Seats of the slot waiting for their re-release moment (when is never shown)."""
    return await Rerelease.filter(slot_id=slot_id, status=states.RERELEASE_PENDING).count()
