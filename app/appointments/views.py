"""What residents and agencies see: plain dicts, times in ISO 8601 UTC, money in fen."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.appointments import states
from app.appointments.models import (
    Booking,
    Department,
    Institution,
    Lottery,
    Resource,
    Slot,
    WaitlistEntry,
)
from app.appointments.slots import rules_for
from app.config import AppointmentRules
from infra import clock


def institution_view(institution: Institution, departments: list[Department]) -> dict[str, Any]:
    return {
        "id": institution.id,
        "ref": institution.ref,
        "name": institution.name,
        "kind": institution.kind,
        "region_code": institution.region_code,
        "address": institution.address,
        "departments": [{"id": d.id, "code": d.code, "name": d.name} for d in departments],
    }


async def list_institutions(kind: str | None, region: str | None) -> list[dict[str, Any]]:
    query = Institution.all().order_by("id")
    if kind:
        query = query.filter(kind=kind)
    if region:
        query = query.filter(region_code=region)
    institutions = await query
    departments = await Department.filter(institution_id__in=[i.id for i in institutions]).order_by(
        "id"
    )
    by_institution: dict[int, list[Department]] = {}
    for department in departments:
        by_institution.setdefault(department.institution_id, []).append(department)  # type: ignore[attr-defined]
    return [institution_view(i, by_institution.get(i.id, [])) for i in institutions]


async def first_bookable_day(institution: Institution, defaults: AppointmentRules) -> date:
    """The first day, from today to the release horizon, with a slot a resident can book now.

    A page that opened on today would show an evening visitor only closed slots (booking for
    a day closes the afternoon before). With nothing bookable, today.
    """
    rules = rules_for(institution, defaults)
    now, today = clock.now(), clock.shanghai_date()
    candidates = (
        await Slot.filter(
            institution_id=institution.id,
            date__gte=today,
            date__lte=today + timedelta(days=rules.horizon_days),
            remaining__gt=0,
            starts_at__gt=now,
        )
        .order_by("date")
        .values_list("date", flat=True)
    )
    for day in dict.fromkeys(candidates):
        if rules.window(day).state(now) == "open":
            return day
    return today


async def list_slots(
    institution: Institution, day: date, defaults: AppointmentRules
) -> dict[str, Any]:
    window = rules_for(institution, defaults).window(day)
    now = clock.now()
    open_now = window.state(now) == "open"
    slots = await Slot.filter(institution_id=institution.id, date=day).order_by("starts_at", "id")
    resources = {
        r.id: r
        for r in await Resource.filter(id__in=list({s.resource_id for s in slots}))  # type: ignore[attr-defined]
    }
    departments = {d.id: d for d in await Department.filter(institution_id=institution.id)}
    draws = {d.slot_id: d for d in await Lottery.filter(slot_id__in=[s.id for s in slots])}
    return {
        "institution": {"id": institution.id, "name": institution.name, "kind": institution.kind},
        "date": day.isoformat(),
        # The business day now (Asia/Shanghai): clients list dates from it, not the phone's.
        "today": clock.shanghai_date().isoformat(),
        "release_at": window.opens_at.isoformat(),
        "closes_at": window.closes_at.isoformat(),
        "cancel_until": window.cancel_until.isoformat(),
        "slots": [
            slot_view(
                s,
                resources[s.resource_id],
                departments[s.department_id],  # type: ignore[attr-defined]
                open_now and s.starts_at > now,
                draws.get(s.id),
            )
            for s in slots
        ],
    }


def slot_view(
    slot: Slot,
    resource: Resource,
    department: Department,
    open_now: bool,
    draw: Lottery | None = None,
) -> dict[str, Any]:
    """A lottery slot is bookable only after its draw (leftover places); before, residents
    enter it during ``lottery.entry_opens_at``–``entry_closes_at``."""
    if draw is not None and draw.status != states.DRAWN:
        open_now = False
    return {
        "id": slot.id,
        "starts_at": slot.starts_at.isoformat(),
        "ends_at": slot.ends_at.isoformat(),
        "session": slot.session,
        "capacity": slot.capacity,
        "remaining": slot.remaining,
        "bookable": open_now and slot.remaining > 0,
        "fee_fen": slot.fee_fen,
        "release_mode": slot.release_mode,
        # Places kept for booking at the counter or by phone, and when they open to all.
        "kept": slot.kept,
        "kept_until": slot.kept_until.isoformat() if slot.kept and slot.kept_until else None,
        "lottery": None
        if draw is None
        else {
            "status": draw.status,
            "entry_opens_at": draw.entry_opens_at.isoformat(),
            "entry_closes_at": draw.entry_closes_at.isoformat(),
            "draw_at": draw.draw_at.isoformat(),
        },
        "department": {"id": department.id, "code": department.code, "name": department.name},
        "resource": {
            "id": resource.id,
            "code": resource.code,
            "name": resource.name,
            "title": resource.title,
        },
    }


async def places_of(bookings: list[Booking]) -> dict[int, dict[str, Any]]:
    """Where each booking is, by booking id: institution (name, address), department and
    resource names, read with three queries whatever the number of bookings."""
    if not bookings:
        return {}
    institutions = {
        i["id"]: i
        for i in await Institution.filter(id__in={b.institution_id for b in bookings}).values(
            "id", "name", "address"
        )
    }
    departments = dict(
        await Department.filter(id__in={b.department_id for b in bookings}).values_list(
            "id", "name"
        )
    )
    resources = {
        r["id"]: r
        for r in await Resource.filter(id__in={b.resource_id for b in bookings}).values(
            "id", "name", "title"
        )
    }
    places: dict[int, dict[str, Any]] = {}
    for b in bookings:
        institution = institutions.get(b.institution_id, {})
        resource = resources.get(b.resource_id, {})
        places[b.id] = {
            "institution_name": institution.get("name"),
            "address": institution.get("address"),
            "department_name": departments.get(b.department_id),
            "resource_name": resource.get("name"),
            "resource_title": resource.get("title") or None,
        }
    return places


def booking_view(
    booking: Booking, check_in_code: str | None = None, place: dict[str, Any] | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": booking.id,
        "slot_id": booking.slot_id,  # type: ignore[attr-defined]
        "institution_id": booking.institution_id,
        "department_id": booking.department_id,
        "resource_id": booking.resource_id,
        "date": booking.date.isoformat(),
        "session": booking.session,
        "starts_at": booking.starts_at.isoformat(),
        "status": booking.status,
        "fee_fen": booking.fee_fen,
        "channel": booking.channel,
        "created_at": booking.created_at.isoformat(),
    }
    if booking.status == states.PENDING_PAYMENT and booking.hold_expires_at is not None:
        view["pay_before"] = booking.hold_expires_at.isoformat()
        view["payable"] = {"type": "appointment", "appointment_id": booking.id}
    if booking.booked_by_agency_id is not None:
        view["booked_by_staff"] = True
    if booking.checked_in_at is not None:
        view["checked_in_at"] = booking.checked_in_at.isoformat()
    if booking.cancelled_at is not None:
        view["cancelled_at"] = booking.cancelled_at.isoformat()
    if check_in_code is not None:
        view["check_in_code"] = check_in_code
    if place is not None:
        view.update(place)
    return view


def waitlist_view(entry: WaitlistEntry) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": entry.id,
        "slot_id": entry.slot_id,  # type: ignore[attr-defined]
        "status": entry.status,
        "created_at": entry.created_at.isoformat(),
    }
    if entry.offer_expires_at is not None:
        view["offer_expires_at"] = entry.offer_expires_at.isoformat()
    if entry.booking_id is not None:
        view["appointment_id"] = entry.booking_id
    return view
