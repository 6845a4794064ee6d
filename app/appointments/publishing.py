"""Hospitals and halls publish institutions and schedules through the signed agency API.

Both are upserts keyed by the agency's own codes, so an agency can send the same schedule
again. A capacity change moves ``remaining`` by the same amount and never below the places
already held; the gate is then reset for the touched groups and reloads from the truth.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.agency.models import Agency
from app.appointments.gate import AdmissionGate
from app.appointments.lottery import FIRST_COME, LotteryWindow, install_release_mode
from app.appointments.models import Department, Institution, Resource, Slot
from app.errors import CapacityBelowBooked, Forbidden, InvalidInput, NotFound
from infra import clock
from infra.clock import SHANGHAI


@dataclass(frozen=True)
class ResourceSpec:
    code: str
    name: str
    title: str = ""


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    resources: tuple[ResourceSpec, ...]


@dataclass(frozen=True)
class InstitutionSpec:
    ref: str
    name: str
    kind: str
    region_code: str
    address: str
    departments: tuple[DepartmentSpec, ...]
    release_time: str | None = None
    horizon_days: int | None = None
    cutoff_time: str | None = None
    cancel_time: str | None = None


@dataclass(frozen=True)
class SlotSpec:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    fee_fen: int = 0


@dataclass(frozen=True)
class ScheduleSpec:
    department_code: str
    resource_code: str
    date: date
    session: str
    slots: tuple[SlotSpec, ...]
    release_mode: str = FIRST_COME
    lottery: LotteryWindow | None = None
    # Kept seats (app/appointments/staff.py): the share held back for staff bookings, and
    # when what is left of it opens to everyone. Set when a slot is first published.
    kept_percent: int = 0
    kept_until: datetime | None = None


async def publish_institution(agency: Agency, spec: InstitutionSpec) -> Institution:
    now = clock.now()
    fields = {
        "name": spec.name,
        "kind": spec.kind,
        "region_code": spec.region_code,
        "address": spec.address,
        "release_time": spec.release_time,
        "horizon_days": spec.horizon_days,
        "cutoff_time": spec.cutoff_time,
        "cancel_time": spec.cancel_time,
        "updated_at": now,
    }
    async with in_transaction() as tx:
        institution = (
            await Institution.filter(agency_id=agency.id, ref=spec.ref)
            .using_db(tx)
            .select_for_update()
            .first()
        )
        if institution is None:
            institution = await Institution.create(
                agency_id=agency.id, ref=spec.ref, created_at=now, using_db=tx, **fields
            )
        else:
            await Institution.filter(id=institution.id).using_db(tx).update(**fields)
        for dept in spec.departments:
            department, _ = await Department.get_or_create(
                institution_id=institution.id,
                code=dept.code,
                defaults={"name": dept.name},
                using_db=tx,
            )
            await Department.filter(id=department.id).using_db(tx).update(name=dept.name)
            for res in dept.resources:
                resource, _ = await Resource.get_or_create(
                    department_id=department.id,
                    code=res.code,
                    defaults={"name": res.name, "title": res.title},
                    using_db=tx,
                )
                await (
                    Resource.filter(id=resource.id)
                    .using_db(tx)
                    .update(name=res.name, title=res.title)
                )
    return await Institution.get(id=institution.id)


async def owned_institution(agency: Agency, institution_id: int) -> Institution:
    institution = await Institution.get_or_none(id=institution_id)
    if institution is None:
        raise NotFound("No such institution.")
    if institution.agency_id != agency.id:
        raise Forbidden("This institution belongs to another agency.")
    return institution


def group_key(resource_id: int, day: date, session: str) -> str:
    return f"{resource_id}:{day.isoformat()}:{session}"


@dataclass(frozen=True)
class Published:
    created: int
    updated: int
    groups: tuple[str, ...]
    slot_ids: tuple[int, ...]


async def publish_schedules(
    gate: AdmissionGate | None, institution: Institution, schedules: list[ScheduleSpec]
) -> Published:
    """Upsert the slots; ``gate`` is None only when no server is running (demo seeding)."""
    now = clock.now()
    created = updated = 0
    groups: set[str] = set()
    slot_ids: list[int] = []
    async with in_transaction() as tx:
        resources = await _resources(institution)
        for schedule in schedules:
            key = (schedule.department_code, schedule.resource_code)
            if key not in resources:
                raise InvalidInput(
                    "Unknown department or resource code; publish the institution first.",
                    field="schedules.resource_code",
                    department=key[0],
                    resource=key[1],
                )
            department_id, resource_id = resources[key]
            group = group_key(resource_id, schedule.date, schedule.session)
            groups.add(group)
            for spec in schedule.slots:
                if spec.starts_at.astimezone(SHANGHAI).date() != schedule.date:
                    raise InvalidInput(
                        "A slot starts outside its schedule's date.",
                        field="schedules.slots.starts_at",
                    )
                slot = (
                    await Slot.filter(resource_id=resource_id, starts_at=spec.starts_at)
                    .using_db(tx)
                    .select_for_update()
                    .first()
                )
                if slot is None:
                    kept = spec.capacity * schedule.kept_percent // 100  # rounded down
                    if kept and schedule.release_mode != FIRST_COME:
                        raise InvalidInput(
                            "Kept seats are for first-come schedules; a lottery draws them all.",
                            field="schedules.kept_percent",
                        )
                    slot = await Slot.create(
                        resource_id=resource_id,
                        department_id=department_id,
                        institution_id=institution.id,
                        date=schedule.date,
                        session=schedule.session,
                        group_key=group,
                        starts_at=spec.starts_at,
                        ends_at=spec.ends_at,
                        capacity=spec.capacity,
                        remaining=spec.capacity - kept,
                        kept=kept,
                        kept_until=schedule.kept_until if kept else None,
                        fee_fen=spec.fee_fen,
                        created_at=now,
                        using_db=tx,
                    )
                    created += 1
                else:
                    delta = spec.capacity - slot.capacity
                    if slot.remaining + delta < 0:
                        raise CapacityBelowBooked(
                            slot_id=slot.id, held=slot.capacity - slot.remaining
                        )
                    await (
                        Slot.filter(id=slot.id)
                        .using_db(tx)
                        .update(
                            capacity=spec.capacity,
                            remaining=F("remaining") + delta,
                            ends_at=spec.ends_at,
                            fee_fen=spec.fee_fen,
                        )
                    )
                    updated += 1
                await install_release_mode(tx, slot, schedule.release_mode, schedule.lottery, now)
                slot_ids.append(slot.id)
    for group in groups:
        if gate is not None:
            await gate.reset(group)
    return Published(created, updated, tuple(sorted(groups)), tuple(slot_ids))


async def _resources(institution: Institution) -> dict[tuple[str, str], tuple[int, int]]:
    found: dict[tuple[str, str], tuple[int, int]] = {}
    by_department: dict[int, str] = defaultdict(str)
    for department in await Department.filter(institution_id=institution.id):
        by_department[department.id] = department.code
    for resource in await Resource.filter(department_id__in=list(by_department)):
        dept_id = resource.department_id  # type: ignore[attr-defined]
        found[(by_department[dept_id], resource.code)] = (dept_id, resource.id)
    return found
