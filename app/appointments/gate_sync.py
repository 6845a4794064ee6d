"""Keeping the gate true to PostgreSQL: snapshots, lazy reload, drift report, rebuild.

The snapshot is read in ONE SQL statement, so in PostgreSQL it is one consistent view of
the slots' ``remaining`` and of who holds their seats (bookings and open offers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tortoise import connections

from app.appointments.gate import AdmissionGate, Snapshot, offer_holder, release_holder
from app.appointments.models import Slot
from infra import clock
from infra.clock import SHANGHAI

_SNAPSHOT = """
SELECT 'slot' AS kind, id AS slot_id, remaining AS n, '' AS holder
  FROM appt_slot WHERE group_key = {p}
UNION ALL
SELECT 'seat', active_slot_id, 0, CAST(citizen_id AS TEXT)
  FROM appt_booking WHERE active_group_key = {p}
UNION ALL
SELECT 'offer', w.active_slot_id, 0, CAST(w.id AS TEXT)
  FROM appt_waitlist w JOIN appt_slot s ON s.id = w.slot_id
  WHERE s.group_key = {p} AND w.status = 'offered'
UNION ALL
SELECT 'release', slot_id, 0, CAST(id AS TEXT)
  FROM appt_rerelease WHERE group_key = {p} AND status = 'pending'
"""


def _sql() -> tuple[str, bool]:
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    if postgres:
        return _SNAPSHOT.format(p="$1"), True
    return _SNAPSHOT.format(p="?"), False


async def snapshot(group: str) -> Snapshot:
    sql, postgres = _sql()
    values = [group] if postgres else [group, group, group, group]
    rows = await connections.get("default").execute_query_dict(sql, values)
    left: dict[int, int] = {}
    seats: dict[str, int] = {}
    for row in rows:
        if row["kind"] == "slot":
            left[int(row["slot_id"])] = int(row["n"])
        elif row["kind"] == "seat":
            seats[str(row["holder"])] = int(row["slot_id"])
        elif row["kind"] == "release":
            seats[release_holder(int(row["holder"]))] = int(row["slot_id"])
        else:
            seats[offer_holder(int(row["holder"]))] = int(row["slot_id"])
    return Snapshot(left=left, seats=seats)


def expire_at(day: date) -> int:
    """Gate keys outlive their day by two days, then Redis drops them."""
    end = datetime.combine(day + timedelta(days=2), datetime.min.time(), tzinfo=SHANGHAI)
    return int(end.timestamp())


def group_day(group: str) -> date:
    return date.fromisoformat(group.split(":")[1])


async def load(gate: AdmissionGate, group: str) -> bool:
    """Install the group from the database unless another worker just did."""
    snap = await snapshot(group)
    if not snap.left:
        return False
    return await gate.install(group, snap, expire_at(group_day(group)))


@dataclass
class GroupDrift:
    group: str
    loaded: bool
    left: dict[int, tuple[int | None, int]] = field(default_factory=dict)  # slot: (redis, db)
    only_in_redis: dict[str, int] = field(default_factory=dict)
    only_in_db: dict[str, int] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        return self.loaded and bool(self.left or self.only_in_redis or self.only_in_db)

    def as_dict(self) -> dict[str, object]:
        return {
            "group": self.group,
            "loaded": self.loaded,
            "left": {str(k): {"redis": r, "db": d} for k, (r, d) in self.left.items()},
            "only_in_redis": self.only_in_redis,
            "only_in_db": self.only_in_db,
        }


async def upcoming_groups(since: date | None = None) -> list[str]:
    first = since or clock.shanghai_date()
    keys = await Slot.filter(date__gte=first).distinct().values_list("group_key", flat=True)
    return sorted(str(k) for k in keys)


async def compare(gate: AdmissionGate, group: str) -> GroupDrift:
    view = await gate.view(group)
    drift = GroupDrift(group, view.loaded)
    if not view.loaded:
        return drift
    snap = await snapshot(group)
    for slot_id, db_left in snap.left.items():
        redis_left = view.left.get(slot_id)
        if redis_left != db_left:
            drift.left[slot_id] = (redis_left, db_left)
    for holder, slot_id in view.seats.items():
        if snap.seats.get(holder) != slot_id:
            drift.only_in_redis[holder] = slot_id
    for holder, slot_id in snap.seats.items():
        if view.seats.get(holder) != slot_id:
            drift.only_in_db[holder] = slot_id
    return drift


@dataclass
class DriftReport:
    groups: int
    not_loaded: list[str]
    drifted: list[GroupDrift]

    def as_dict(self) -> dict[str, object]:
        return {
            "groups": self.groups,
            "not_loaded": len(self.not_loaded),
            "drifted": [d.as_dict() for d in self.drifted],
        }


async def drift_report(gate: AdmissionGate, since: date | None = None) -> DriftReport:
    groups = await upcoming_groups(since)
    not_loaded: list[str] = []
    drifted: list[GroupDrift] = []
    for group in groups:
        result = await compare(gate, group)
        if not result.loaded:
            not_loaded.append(group)
        elif result.drifted:
            drifted.append(result)
    return DriftReport(len(groups), not_loaded, drifted)


async def rebuild(gate: AdmissionGate, since: date | None = None) -> int:
    """Reload every upcoming group from the database (the operator's repair)."""
    groups = await upcoming_groups(since)
    for group in groups:
        await gate.reset(group)
        await load(gate, group)
    return len(groups)
