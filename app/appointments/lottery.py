"""Lottery release (摇号): enter during a window, a verifiable draw, winners booked.

Entering takes the lottery row's lock, so entry numbers are 1..N without gaps, and checks
the person like a booking does (verified, not banned, the per-person limits). The draw
runs in the worker: it reveals the seed and ranks every entry (``draw_order``) in the same
transaction that moves the lottery ``open → drawing`` (a compare-and-set, so it starts
once), then decides entries in rank order in small transactions that each advance the
lottery's ``decided`` position. A draw that crashes midway is resumed from that position
and reaches the result it would have reached; a finished draw is ``drawn`` and never runs
again. Winners are booked (fee-bearing slots as payment holds), the rest join the waitlist
in draw order; an entrant who by then is banned or over a limit is ``refused`` and the
seat goes to the next in order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.appointments import draw_order, states
from app.appointments.booking import Booker, new_booking
from app.appointments.fresh_sessions import refuse_fresh_session
from app.appointments.limits import admit_person
from app.appointments.models import Lottery, LotteryEntry, Slot, WaitlistEntry
from app.appointments.slots import SlotMeta
from app.errors import (
    DomainError,
    InvalidInput,
    LotteryAlreadyEntered,
    LotteryClosed,
    LotteryNotOpen,
    NotALottery,
    ReleaseModeLocked,
    SlotNotFound,
)
from app.identity.sessions import Principal
from infra import clock, metrics
from infra.transitions import move

log = logging.getLogger("yiwang.appointments.lottery")

FIRST_COME = "first_come"
LOTTERY = "lottery"
RELEASE_MODES = (FIRST_COME, LOTTERY)

WON = "won"
WAITLISTED = "waitlisted"
REFUSED = "refused"

# Entries decided per transaction: small enough to keep locks short, large enough that a
# draw of thousands is a few hundred commits.
DRAW_BATCH = 50


@dataclass(frozen=True)
class LotteryWindow:
    entry_opens_at: datetime
    entry_closes_at: datetime
    draw_at: datetime

    def check(self, starts_at: datetime) -> None:
        if not self.entry_opens_at < self.entry_closes_at <= self.draw_at < starts_at:
            raise InvalidInput(
                "A lottery needs entry_opens_at < entry_closes_at <= draw_at < the slot's start.",
                field="schedules.draw_at",
            )


async def install_release_mode(
    tx: BaseDBAsyncClient, slot: Slot, mode: str, window: LotteryWindow | None, now: datetime
) -> None:
    """Give a published slot its release mode; a lottery slot gets its draw (and seed)."""
    if slot.release_mode == LOTTERY and mode == FIRST_COME:
        raise ReleaseModeLocked(slot_id=slot.id, release_mode=LOTTERY)
    if mode == FIRST_COME:
        return
    assert window is not None
    window.check(slot.starts_at)
    if slot.release_mode == FIRST_COME:
        if slot.remaining != slot.capacity:
            raise ReleaseModeLocked(slot_id=slot.id, release_mode=FIRST_COME)
        await Slot.filter(id=slot.id).using_db(tx).update(release_mode=LOTTERY)
    fields = {
        "entry_opens_at": window.entry_opens_at,
        "entry_closes_at": window.entry_closes_at,
        "draw_at": window.draw_at,
    }
    lottery = await Lottery.filter(slot_id=slot.id).using_db(tx).select_for_update().first()
    if lottery is None:
        seed, seed_sha256 = draw_order.fresh_seed()
        await Lottery.create(
            slot_id=slot.id,
            group_key=slot.group_key,
            seed=seed,
            seed_sha256=seed_sha256,
            status=states.DRAW_OPEN,
            created_at=now,
            using_db=tx,
            **fields,
        )
    elif any(getattr(lottery, k) != v for k, v in fields.items()):
        if lottery.status != states.DRAW_OPEN or lottery.entry_opens_at <= now:
            raise ReleaseModeLocked(slot_id=slot.id, status=lottery.status)
        await Lottery.filter(id=lottery.id).using_db(tx).update(**fields)


@dataclass
class Lotteries:
    booker: Booker

    async def enter(
        self, principal: Principal, meta: SlotMeta, *, session_started: datetime | None = None
    ) -> LotteryEntry:
        try:
            entry = await self._enter(principal, meta, session_started)
        except DomainError as refused:
            metrics.LOTTERY_ENTRIES.labels(refused.code).inc()
            raise
        metrics.LOTTERY_ENTRIES.labels("ENTERED").inc()
        return entry

    async def _enter(
        self, principal: Principal, meta: SlotMeta, session_started: datetime | None
    ) -> LotteryEntry:
        now = clock.now()
        await self.booker.standing.check(principal.citizen_id)
        lottery = await Lottery.get_or_none(slot_id=meta.id)
        if lottery is None:
            raise NotALottery(slot_id=meta.id)
        if now < lottery.entry_opens_at:
            raise LotteryNotOpen(opens_at=lottery.entry_opens_at.isoformat())
        closed = LotteryClosed(closed_at=lottery.entry_closes_at.isoformat())
        if now >= lottery.entry_closes_at or lottery.status != states.DRAW_OPEN:
            raise closed
        refuse_fresh_session(self.booker.rules, session_started, lottery.entry_opens_at, now)
        mine = LotteryEntry.filter(citizen_id=principal.citizen_id, group_key=meta.group_key)
        if await mine.exists():
            raise LotteryAlreadyEntered()  # the common repeat, refused without any lock
        try:
            async with in_transaction() as tx:
                # The person first (their standing row), the lottery's counter last: the
                # same order as the draw, and the shared row is held only to the commit.
                await admit_person(tx, principal.citizen_id, meta, self.booker.rules, now)
                if await mine.using_db(tx).exists():  # re-checked under the standing lock
                    raise LotteryAlreadyEntered()
                counted = await (
                    Lottery.filter(id=lottery.id, status=states.DRAW_OPEN, entry_closes_at__gt=now)
                    .using_db(tx)
                    .update(entries=F("entries") + 1)
                )
                if counted != 1:
                    raise closed  # the draw started a moment ago
                entry_no = (
                    await Lottery.filter(id=lottery.id)
                    .using_db(tx)
                    .first()
                    .values_list("entries", flat=True)
                )
                return await LotteryEntry.create(
                    lottery_id=lottery.id,
                    slot_id=meta.id,
                    entry_no=entry_no,
                    citizen_id=principal.citizen_id,
                    account_id=principal.account_id,
                    channel=principal.channel,
                    group_key=meta.group_key,
                    created_at=now,
                    using_db=tx,
                )
        except IntegrityError as exc:
            raise LotteryAlreadyEntered() from exc

    async def drawn(self, slot_id: int) -> bool:
        return await Lottery.filter(slot_id=slot_id, status=states.DRAWN).exists()

    async def run_due(self, *, limit: int = 20) -> int:
        """Start or resume every draw whose time has come; the number finished."""
        due = (
            await Lottery.filter(
                status__in=(states.DRAW_OPEN, states.DRAWING), draw_at__lte=clock.now()
            )
            .order_by("draw_at")
            .limit(limit)
            .values_list("id", flat=True)
        )
        finished = 0
        for lottery_id in due:
            finished += await self.draw(lottery_id)
        return finished

    async def draw(self, lottery_id: int) -> int:
        """Run (or resume) one draw to its end; 1 if this call finished it."""
        slot_id = await self._start(lottery_id)
        while True:
            async with in_transaction() as tx:
                # The slot's row serialises drawing workers; the lottery row is read after
                # it (so it is current) and written last, after the entrants' standing rows,
                # the order entering takes them in.
                slot = await Slot.select_for_update().using_db(tx).get(id=slot_id)
                lottery = await Lottery.get(id=lottery_id).using_db(tx)
                if lottery.status != states.DRAWING:
                    return 0  # finished by another worker meanwhile
                batch = (
                    await LotteryEntry.filter(lottery_id=lottery.id, rank__gte=lottery.decided)
                    .using_db(tx)
                    .order_by("rank")
                    .limit(DRAW_BATCH)
                )
                if not batch:
                    await move(lottery, states.DRAWN, using=tx, drawn_at=clock.now())
                    break
                won = lottery.won
                for entry in batch:
                    won += await self._decide(tx, entry, slot, won)
                await (
                    Lottery.filter(id=lottery.id)
                    .using_db(tx)
                    .update(
                        decided=batch[-1].rank + 1,
                        won=won,  # type: ignore[operator]
                    )
                )
        # The gate reloads the group from the truth; residents see the new places at once.
        await self.booker.gate.reset(lottery.group_key)
        self.booker.slots.forget([lottery.slot_id])
        log.info("lottery %s drawn: %s entries", lottery.id, lottery.entries)
        return 1

    async def _start(self, lottery_id: int) -> int:
        """open → drawing, with the seed revealed and every entry ranked, in one commit."""
        async with in_transaction() as tx:
            lottery = await Lottery.select_for_update().using_db(tx).get(id=lottery_id)
            if lottery.status != states.DRAW_OPEN:
                return lottery.slot_id
            entries = await LotteryEntry.filter(lottery_id=lottery.id).using_db(tx)
            position = {
                n: i
                for i, n in enumerate(
                    draw_order.ranked(lottery.seed, [e.entry_no for e in entries])
                )
            }
            for entry in entries:
                entry.rank = position[entry.entry_no]
            if entries:
                await LotteryEntry.bulk_update(
                    entries, fields=["rank"], batch_size=500, using_db=tx
                )
            await move(lottery, states.DRAWING, using=tx)
            return lottery.slot_id

    async def _decide(
        self, tx: BaseDBAsyncClient, entry: LotteryEntry, slot: Slot, won: int
    ) -> int:
        """Book, waitlist or refuse one entry; 1 when it took a seat."""
        now = clock.now()
        meta = await self.booker.slots.get(slot.id)
        principal = Principal(entry.citizen_id, entry.account_id, entry.channel, "", now)
        changes: dict[str, Any] = {}
        try:
            await admit_person(tx, entry.citizen_id, meta, self.booker.rules, now)
        except DomainError as refusal:
            log.info("lottery entry %s refused at the draw: %s", entry.id, refusal.code)
            changes["outcome"] = REFUSED
        else:
            if won < slot.capacity:
                taken = (
                    await Slot.filter(id=slot.id, remaining__gt=0)
                    .using_db(tx)
                    .update(remaining=F("remaining") - 1)
                )
                if taken == 1:
                    booking = await new_booking(tx, principal, meta, self.booker.rules, now)
                    changes.update(outcome=WON, booking_id=booking.id)
            if not changes:
                waiting = await WaitlistEntry.create(
                    slot_id=slot.id,
                    citizen_id=entry.citizen_id,
                    account_id=entry.account_id,
                    channel=entry.channel,
                    status=states.WAITING,
                    active_slot_id=slot.id,
                    created_at=now,
                    using_db=tx,
                )
                changes.update(outcome=WAITLISTED, waitlist_id=waiting.id)
        await LotteryEntry.filter(id=entry.id, outcome__isnull=True).using_db(tx).update(**changes)
        return 1 if changes["outcome"] == WON else 0

    async def view(self, slot_id: int) -> dict[str, Any]:
        """What is published: the seed's hash from entry open, the seed and result once drawn."""
        lottery = await Lottery.get_or_none(slot_id=slot_id)
        if lottery is None:
            if not await Slot.filter(id=slot_id).exists():
                raise SlotNotFound()
            raise NotALottery(slot_id=slot_id)
        now = clock.now()
        slot = await Slot.get(id=slot_id)
        drawn = lottery.status == states.DRAWN
        view: dict[str, Any] = {
            "slot_id": slot_id,
            "capacity": slot.capacity,
            "status": lottery.status,
            "entry_opens_at": lottery.entry_opens_at.isoformat(),
            "entry_closes_at": lottery.entry_closes_at.isoformat(),
            "draw_at": lottery.draw_at.isoformat(),
            "entries": lottery.entries,
            "algorithm": "rank by HMAC-SHA256(key=seed bytes, msg=ASCII entry_no), hex ascending",
            "seed_sha256": lottery.seed_sha256 if now >= lottery.entry_opens_at else None,
            "seed": lottery.seed if lottery.status != states.DRAW_OPEN else None,
            "result": None,
        }
        if drawn:
            rows = (
                await LotteryEntry.filter(lottery_id=lottery.id)
                .order_by("rank")
                .values_list("entry_no", "outcome")
            )
            view["result"] = [{"entry_no": n, "outcome": o} for n, o in rows]
        return view


def entry_view(entry: LotteryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "slot_id": entry.slot_id,
        "entry_no": entry.entry_no,
        "status": entry.outcome or "entered",
        "booking_id": entry.booking_id,
        "waitlist_id": entry.waitlist_id,
    }
