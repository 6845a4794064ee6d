"""Giving back what a dead process left in the gate.

``Booker.book`` takes a seat at the gate, then commits in PostgreSQL. A process killed
between the two leaves Redis holding a seat PostgreSQL never booked: that resident is told
ALREADY_BOOKED, and the place is lost to everyone else. (A cancellation killed between its
commit and the gate's give-back leaves the same.) A request still in flight looks exactly
like that for a few milliseconds, so a seat is repaired only when two looks, ``stale_after``
apart, both find the same difference. Repairs go through the gate's own scripts: ``give``
for a seat only Redis holds, ``confirm`` for one only PostgreSQL holds. PostgreSQL stays the
truth throughout, so even a repair that raced a slow request cannot oversell; it only
admits one more person to the database's own check.

The background worker runs this after ``infra.heartbeats`` reports a server process that
died; ``yiwang appointments heal-gate`` runs it by hand.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from app.appointments import gate_sync
from app.appointments.gate import AdmissionGate

Stray = tuple[str, str, int, str]  # group, holder, slot id, "redis" | "db"


@dataclass
class HealReport:
    groups: int = 0
    given_back: list[dict[str, object]] = field(default_factory=list)
    confirmed: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"groups": self.groups, "given_back": self.given_back, "confirmed": self.confirmed}


async def strays(gate: AdmissionGate, since: date | None = None) -> tuple[int, set[Stray]]:
    """Every seat one side holds and the other does not, in the loaded upcoming groups."""
    groups = await gate_sync.upcoming_groups(since)
    found: set[Stray] = set()
    for group in groups:
        drift = await gate_sync.compare(gate, group)
        found.update((group, h, s, "redis") for h, s in drift.only_in_redis.items())
        found.update((group, h, s, "db") for h, s in drift.only_in_db.items())
    return len(groups), found


async def heal(
    gate: AdmissionGate, *, stale_after: float, since: date | None = None
) -> HealReport:
    groups, first = await strays(gate, since)
    report = HealReport(groups=groups)
    if not first:
        return report
    await asyncio.sleep(stale_after)
    _, second = await strays(gate, since)
    for group, holder, slot_id, side in sorted(first & second):
        entry: dict[str, object] = {"group": group, "holder": holder, "slot_id": slot_id}
        if side == "redis":
            await gate.give(group, slot_id, holder)
            report.given_back.append(entry)
        else:
            await gate.confirm(group, slot_id, holder)
            report.confirmed.append(entry)
    return report
