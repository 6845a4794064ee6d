"""Appointments: residents list, book, cancel, wait; agencies publish and check in."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, json, raw

from app.appointments import publishing as pub
from app.appointments.checkin_qr import check_in_png
from app.appointments.lottery import FIRST_COME, LOTTERY, LotteryWindow, entry_view
from app.appointments.models import Booking, Institution, LotteryEntry, Slot, WaitlistEntry
from app.appointments.rules import valid_wall_clock
from app.appointments.service import Appointments
from app.appointments.staff import (
    agency_institution,
    kept_until,
    refuse_without_kept_seat,
    resident_of,
)
from app.appointments.views import (
    booking_view,
    first_bookable_day,
    list_institutions,
    list_slots,
    places_of,
    waitlist_view,
)
from app.config import AppointmentRules
from app.errors import (
    AppointmentNotActive,
    DomainError,
    EntryForOthers,
    NotFound,
    PollingThrottled,
    RateLimited,
    Unauthenticated,
)
from app.http.agency import agency_caller
from app.http.auth import resident
from app.http.bodies import parse, query
from app.http.columns import integer
from app.http.identity import client_address
from app.http.openapi import documented
from app.identity.sessions import Principal
from infra import metrics
from infra.ratelimit import allow_each, wait_for

bp = Blueprint("appointments", url_prefix="/api/v1")

REGION = r"^\d{6}$"
CODE = r"^[A-Za-z0-9_-]{1,32}$"


def _appointments(request: Request) -> Appointments:
    appointments: Appointments = request.app.ctx.services.appointments
    return appointments


# ----------------------------------------------------------------------------- residents


async def _throttle_polling(request: Request) -> None:
    """Scripts poll slot pages for freed seats; a client address gets a fixed budget."""
    limit = request.app.ctx.settings.abuse.slot_polls_per_minute_client
    key = f"slot-polls:ip:{client_address(request)}"
    if not await allow_each(request.app.ctx.services.redis, {key: limit}, window_seconds=60):
        raise RateLimited()


async def _signed_in(request: Request) -> Principal | None:
    """The resident behind a bearer token on a public page, or None (anonymous or stale:
    a public page still answers, held to the per-address budget only)."""
    if not request.headers.get("authorization"):
        return None
    try:
        return await resident(request)
    except Unauthenticated:
        return None


async def _throttle_citizen(request: Request, citizen_id: uuid.UUID, *, booking: bool) -> None:
    """Per citizen, however many addresses or channels they use: a budget of slot and
    booking reads, and one of booking attempts. Refused before anything is read or changed."""
    abuse = request.app.ctx.settings.abuse
    if booking:
        key, limit = (
            f"booking-attempts:citizen:{citizen_id}",
            abuse.booking_attempts_per_minute_citizen,
        )
    else:
        key, limit = f"slot-polls:citizen:{citizen_id}", abuse.slot_polls_per_minute_citizen
    wait = await wait_for(request.app.ctx.services.redis, [key], limit=limit, window_seconds=60)
    if wait:
        raise PollingThrottled(retry_after=wait, budget="booking" if booking else "reads")


async def _polling_resident(request: Request) -> Principal:
    """The signed-in resident, held to their read budget."""
    principal = await resident(request)
    await _throttle_citizen(request, principal.citizen_id, booking=False)
    return principal


class BookRequest(BaseModel):
    slot_id: integer(Slot, "id")  # type: ignore[valid-type]
    citizen_id: uuid.UUID | None = Field(
        default=None, description="only yourself; staff book for others at the hall"
    )


class InstitutionsQuery(BaseModel):
    kind: Literal["clinic", "hall"] | None = None
    region: str | None = Field(default=None, pattern=r"^\d{6}$")


class SlotsQuery(BaseModel):
    day: date | None = Field(
        default=None,
        alias="date",
        description="YYYY-MM-DD; the first day with a bookable slot if absent",
    )


@bp.get("/institutions")
@documented(
    "Clinics and service halls, by kind and region.", tag="appointments", query=InstitutionsQuery
)
async def institutions(request: Request) -> JSONResponse:
    wanted = query(request, InstitutionsQuery)
    return json({"institutions": await list_institutions(wanted.kind, wanted.region)})


@bp.get("/institutions/<institution_id:id>/slots")
@documented(
    "Slots of one day: id, starts_at, capacity, remaining, bookable (and the rules' times). "
    "Without date, the first day (from today to the release horizon) with a bookable slot.",
    tag="appointments",
    query=SlotsQuery,
    responses={
        429: "RATE_LIMITED (polled too often from one client address), POLLING_THROTTLED "
        "(too often by one signed-in citizen; Retry-After)"
    },
)
async def slots(request: Request, institution_id: int) -> JSONResponse:
    await _throttle_polling(request)
    caller = await _signed_in(request)
    if caller is not None:
        await _throttle_citizen(request, caller.citizen_id, booking=False)
    institution = await Institution.get_or_none(id=institution_id)
    if institution is None:
        raise NotFound("No such institution.")
    rules = _appointments(request).rules
    day = query(request, SlotsQuery).day or await first_bookable_day(institution, rules)
    return json(await list_slots(institution, day, rules))


@bp.post("/appointments")
@documented(
    "Book a slot. Fee-bearing slots are held for payment (pay_before); pay with "
    'POST /orders {"payable":{"type":"appointment","appointment_id"}}. '
    "A lottery slot (release_mode lottery) before its draw takes an entry instead: 202 with "
    "entry_no; see GET /slots/{id}/lottery.",
    body=BookRequest,
    auth="resident",
    responses={
        201: "the appointment",
        202: "the lottery entry (entry_no)",
        403: "NOT_VERIFIED, BOOKING_BANNED (details.banned_until), ENTRY_FOR_OTHERS",
        409: "SLOT_FULL, ALREADY_BOOKED, LIMIT_REACHED, NOT_YET_RELEASED, BOOKING_CLOSED, "
        "LOTTERY_NOT_OPEN, LOTTERY_CLOSED, LOTTERY_ALREADY_ENTERED",
        429: "SESSION_TOO_NEW (a session seconds old, in the release minute), "
        "POLLING_THROTTLED (too many attempts by one citizen; Retry-After)",
    },
    tag="appointments",
)
async def book(request: Request) -> JSONResponse:
    principal = await resident(request)
    await _throttle_citizen(request, principal.citizen_id, booking=True)
    body = parse(request, BookRequest)
    if body.citizen_id is not None and body.citizen_id != principal.citizen_id:
        raise EntryForOthers()
    appointments = _appointments(request)
    # Sessions do not slide: issued = expiry − lifetime (for the release-minute guard).
    started = principal.expires_at - request.app.ctx.services.sessions.ttl
    try:
        meta = await appointments.booker.slots.get(body.slot_id)
    except DomainError as refused:  # refused before the booker (which counts the rest)
        metrics.BOOKINGS.labels(refused.code).inc()
        raise
    if meta.release_mode == LOTTERY and not await appointments.lotteries.drawn(meta.id):
        entry = await appointments.lotteries.enter(principal, meta, session_started=started)
        return json(entry_view(entry), status=202)
    booking = await appointments.booker.book(principal, body.slot_id, session_started=started)
    return json(booking_view(booking, appointments.check_in_code(booking)), status=201)


@bp.get("/slots/<slot_id:id>/lottery")
@documented(
    "A lottery slot's draw: the entry window, the seed's SHA-256 from entry open, and once "
    "drawn the seed and every entry_no in draw order with its outcome, so anyone can "
    "recompute the result (docs/appointments.md).",
    responses={404: "SLOT_NOT_FOUND, NOT_A_LOTTERY", 429: "RATE_LIMITED, POLLING_THROTTLED"},
    tag="appointments",
)
async def lottery(request: Request, slot_id: int) -> JSONResponse:
    await _throttle_polling(request)
    caller = await _signed_in(request)
    if caller is not None:
        await _throttle_citizen(request, caller.citizen_id, booking=False)
    return json(await _appointments(request).lotteries.view(slot_id))


@bp.get("/me/lottery-entries")
@documented(
    "My lottery entries (entry_no, and once drawn: won, waitlisted or refused), newest first.",
    auth="resident",
    responses={429: "POLLING_THROTTLED"},
    tag="appointments",
)
async def my_lottery_entries(request: Request) -> JSONResponse:
    principal = await _polling_resident(request)
    entries = await LotteryEntry.filter(citizen_id=principal.citizen_id).order_by("-id").limit(100)
    return json({"entries": [entry_view(e) for e in entries]})


@bp.get("/me/appointments")
@documented("My appointments, newest first.", auth="resident", tag="appointments")
async def my_appointments(request: Request) -> JSONResponse:
    principal = await _polling_resident(request)
    bookings = await Booking.filter(citizen_id=principal.citizen_id).order_by("-id").limit(200)
    places = await places_of(bookings)
    return json({"appointments": [booking_view(b, place=places[b.id]) for b in bookings]})


@bp.get("/appointments/<booking_id:id>")
@documented(
    "One of my appointments, with its check-in code when booked.",
    auth="resident",
    tag="appointments",
)
async def appointment(request: Request, booking_id: int) -> JSONResponse:
    principal = await _polling_resident(request)
    appointments = _appointments(request)
    booking = await appointments.mine(principal.citizen_id, booking_id)
    places = await places_of([booking])
    return json(booking_view(booking, appointments.check_in_code(booking), places[booking.id]))


async def _active_check_in_code(request: Request, booking_id: int) -> tuple[Booking, str]:
    """My booking and its signed check-in code; a booking no longer active has none."""
    principal = await resident(request)
    appointments = _appointments(request)
    booking = await appointments.mine(principal.citizen_id, booking_id)
    code = appointments.check_in_code(booking)
    if code is None:
        raise AppointmentNotActive(status=booking.status)
    return booking, code


@bp.get("/appointments/<booking_id:id>/check-in-code")
@documented(
    "The signed check-in code to show as a QR at the institution, and its 8-digit desk code"
    " (签到号) for staff to type when scanning fails.",
    auth="resident",
    responses={409: "APPOINTMENT_NOT_ACTIVE"},
    tag="appointments",
)
async def check_in_code(request: Request, booking_id: int) -> JSONResponse:
    booking, code = await _active_check_in_code(request, booking_id)
    return json(
        {
            "appointment_id": booking.id,
            "code": code,
            "desk_code": _appointments(request).desk_code(booking),
            "date": booking.date.isoformat(),
        }
    )


@bp.get("/appointments/<booking_id:id>/check-in-qr.png")
@documented(
    "The check-in code as a QR image, to show at the institution's scanner.",
    auth="resident",
    responses={200: "image/png", 409: "APPOINTMENT_NOT_ACTIVE"},
    tag="appointments",
)
async def check_in_qr(request: Request, booking_id: int) -> HTTPResponse:
    _, code = await _active_check_in_code(request, booking_id)
    png = await asyncio.to_thread(check_in_png, code)
    # Private to the resident: never kept by a shared cache.
    return raw(png, content_type="image/png", headers={"Cache-Control": "private, no-store"})


@bp.delete("/appointments/<booking_id:id>")
@documented(
    "Cancel until the deadline (14:00 the day before by default); a paid fee is refunded.",
    auth="resident",
    responses={200: "the cancelled appointment", 409: "CANCELLATION_CLOSED"},
    tag="appointments",
)
async def cancel(request: Request, booking_id: int) -> JSONResponse:
    principal = await resident(request)
    booking = await _appointments(request).booker.cancel(principal, booking_id)
    return json(booking_view(booking))


@bp.post("/slots/<slot_id:id>/waitlist")
@documented(
    "Join the waitlist (候补) of a full slot.",
    auth="resident",
    responses={
        201: "the waitlist entry",
        409: "WAITLIST_NOT_NEEDED, ALREADY_BOOKED, WAITLIST_ALREADY_JOINED",
    },
    tag="appointments",
)
async def join_waitlist(request: Request, slot_id: int) -> JSONResponse:
    principal = await resident(request)
    entry = await _appointments(request).waitlist.join(principal, slot_id)
    return json(waitlist_view(entry), status=201)


@bp.get("/me/waitlist")
@documented("My waitlist entries.", auth="resident", tag="appointments")
async def my_waitlist(request: Request) -> JSONResponse:
    principal = await _polling_resident(request)
    entries = await WaitlistEntry.filter(citizen_id=principal.citizen_id).order_by("-id").limit(100)
    return json({"waitlist": [waitlist_view(e) for e in entries]})


@bp.post("/waitlist/<entry_id:id>/accept")
@documented(
    "Take the place offered to me.",
    auth="resident",
    responses={201: "the appointment", 409: "WAITLIST_NOT_OFFERED", 410: "WAITLIST_OFFER_EXPIRED"},
    tag="appointments",
)
async def accept_offer(request: Request, entry_id: int) -> JSONResponse:
    principal = await resident(request)
    appointments = _appointments(request)
    booking = await appointments.waitlist.accept(principal, entry_id)
    return json(booking_view(booking, appointments.check_in_code(booking)), status=201)


@bp.delete("/waitlist/<entry_id:id>")
@documented("Leave the waitlist, or decline an offer.", auth="resident", tag="appointments")
async def leave_waitlist(request: Request, entry_id: int) -> JSONResponse:
    principal = await resident(request)
    entry = await _appointments(request).waitlist.leave(principal, entry_id)
    return json(waitlist_view(entry))


# ----------------------------------------------------------------------------- agencies


class ResourceBody(BaseModel):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=64)


class DepartmentBody(BaseModel):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=64)
    resources: list[ResourceBody] = Field(min_length=1, max_length=200)


def _wall_clock(value: str | None) -> str | None:
    if value is not None and not valid_wall_clock(value):
        raise ValueError("a time is HH:MM (Asia/Shanghai)")
    return value


class InstitutionBody(BaseModel):
    ref: str = Field(pattern=CODE, description="the agency's own code for it")
    name: str = Field(min_length=1, max_length=128)
    kind: Literal["clinic", "hall"]
    region_code: str = Field(pattern=REGION)
    address: str = Field(default="", max_length=256)
    departments: list[DepartmentBody] = Field(min_length=1, max_length=100)
    release_time: str | None = Field(default=None, description="HH:MM, default 07:00")
    horizon_days: int | None = Field(default=None, ge=1, le=60)
    cutoff_time: str | None = Field(default=None, description="HH:MM the day before")
    cancel_time: str | None = Field(default=None, description="HH:MM the day before")

    _times = field_validator("release_time", "cutoff_time", "cancel_time")(_wall_clock)


class SlotBody(BaseModel):
    starts_at: datetime
    ends_at: datetime
    capacity: int = Field(ge=0, le=10000)
    fee_fen: int = Field(default=0, ge=0, le=10_000_000)

    @model_validator(mode="after")
    def _order(self) -> SlotBody:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times carry a UTC offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class ScheduleBody(BaseModel):
    department_code: str = Field(pattern=CODE)
    resource_code: str = Field(pattern=CODE)
    date: date
    session: Literal["morning", "afternoon", "evening"]
    slots: list[SlotBody] = Field(min_length=1, max_length=200)
    release_mode: Literal["first_come", "lottery"] = Field(
        default=FIRST_COME, description="lottery needs entry_opens_at, entry_closes_at, draw_at"
    )
    entry_opens_at: datetime | None = None
    entry_closes_at: datetime | None = None
    draw_at: datetime | None = None
    kept_percent: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="share of each new slot's places kept for staff booking (rounded down); "
        "default APPOINTMENT_KEPT_PERCENT for first come, 0 for a lottery",
    )

    @model_validator(mode="after")
    def _lottery_times(self) -> ScheduleBody:
        times = (self.entry_opens_at, self.entry_closes_at, self.draw_at)
        if self.release_mode == LOTTERY:
            if any(t is None or t.tzinfo is None for t in times):
                raise ValueError(
                    "a lottery needs entry_opens_at, entry_closes_at and draw_at with a UTC offset"
                )
        elif any(t is not None for t in times):
            raise ValueError("entry and draw times belong to a lottery schedule only")
        return self

    def window(self) -> LotteryWindow | None:
        if self.release_mode != LOTTERY:
            return None
        return LotteryWindow(self.entry_opens_at, self.entry_closes_at, self.draw_at)  # type: ignore[arg-type]


class SchedulesBody(BaseModel):
    schedules: list[ScheduleBody] = Field(min_length=1, max_length=500)


class CheckInBody(BaseModel):
    """The scanned QR's code, or the 8-digit desk code (签到号) typed when scanning fails."""

    code: str | None = Field(default=None, min_length=1, max_length=256)
    desk_code: str | None = Field(default=None, pattern=r"^\s*\d{8}\s*$")

    @model_validator(mode="after")
    def one_of_them(self) -> CheckInBody:
        if (self.code is None) == (self.desk_code is None):
            raise ValueError("send code (the QR) or desk_code (8 digits), not both")
        return self


@bp.post("/agency/institutions")
@documented(
    "Publish (upsert by ref) a clinic or hall with departments and doctors/windows.",
    body=InstitutionBody,
    auth="agency",
    responses={201: "the institution"},
    tag="agency",
)
async def publish_institution(request: Request) -> JSONResponse:
    agency = await agency_caller(request)
    body = parse(request, InstitutionBody)
    spec = pub.InstitutionSpec(
        ref=body.ref,
        name=body.name,
        kind=body.kind,
        region_code=body.region_code,
        address=body.address,
        departments=tuple(
            pub.DepartmentSpec(
                d.code,
                d.name,
                tuple(pub.ResourceSpec(r.code, r.name, r.title) for r in d.resources),
            )
            for d in body.departments
        ),
        release_time=body.release_time,
        horizon_days=body.horizon_days,
        cutoff_time=body.cutoff_time,
        cancel_time=body.cancel_time,
    )
    institution = await pub.publish_institution(agency, spec)
    listed = [i for i in await list_institutions(None, None) if i["id"] == institution.id]
    return json(listed[0], status=201)


@bp.post("/agency/institutions/<institution_id:id>/schedules")
@documented(
    "Publish (upsert by resource and start) schedules and their slots.",
    body=SchedulesBody,
    auth="agency",
    responses={
        201: "created and updated counts",
        409: "CAPACITY_BELOW_BOOKED, RELEASE_MODE_LOCKED (a lottery cannot become first come)",
    },
    tag="agency",
)
async def publish_schedules(request: Request, institution_id: int) -> JSONResponse:
    agency = await agency_caller(request)
    body = parse(request, SchedulesBody)
    institution = await pub.owned_institution(agency, institution_id)
    appointments = _appointments(request)
    published = await pub.publish_schedules(
        appointments.gate,
        institution,
        [
            pub.ScheduleSpec(
                s.department_code,
                s.resource_code,
                s.date,
                s.session,
                tuple(pub.SlotSpec(x.starts_at, x.ends_at, x.capacity, x.fee_fen) for x in s.slots),
                s.release_mode,
                s.window(),
                _kept_percent(s, appointments.rules),
                kept_until(appointments.rules, s.date),
            )
            for s in body.schedules
        ],
    )
    appointments.booker.slots.forget(list(published.slot_ids))
    return json(
        {
            "created": published.created,
            "updated": published.updated,
            "slot_ids": list(published.slot_ids),
        },
        status=201,
    )


def _kept_percent(schedule: ScheduleBody, rules: AppointmentRules) -> int:
    if schedule.kept_percent is not None:
        return schedule.kept_percent
    return rules.kept_percent if schedule.release_mode == FIRST_COME else 0


class ResidentBody(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=32)


class StaffBookingBody(BaseModel):
    slot_id: integer(Slot, "id")  # type: ignore[valid-type]
    resident: ResidentBody
    channel: Literal["hall", "phone"] = Field(description="at the counter, or by phone")
    staff_ref: str = Field(pattern=CODE, description="the clerk's own staff number (工号)")


@bp.post("/agency/institutions/<institution_id:id>/appointments")
@documented(
    "Book a kept seat (窗口/电话预约预留号) for a resident named by ID number and name, at the "
    "counter or by phone. Only the institution's own agency; the per-person rules apply; "
    "audited. The fee, if any, is paid at the counter.",
    body=StaffBookingBody,
    auth="agency",
    responses={
        201: "the appointment, with the resident masked",
        404: "NOT_FOUND (not your institution), SLOT_NOT_FOUND",
        409: "NO_KEPT_SEAT, ALREADY_BOOKED, LIMIT_REACHED, BOOKING_CLOSED",
        403: "BOOKING_BANNED",
        422: "INVALID_ID_NUMBER, RESIDENT_NAME_MISMATCH",
    },
    tag="agency",
)
async def staff_book(request: Request, institution_id: int) -> JSONResponse:
    agency = await agency_caller(request)
    body = parse(request, StaffBookingBody)
    appointments = _appointments(request)
    institution = await agency_institution(agency, institution_id)
    await refuse_without_kept_seat(appointments.booker, institution, body.slot_id)
    citizen = await request.app.ctx.services.accounts.in_person(
        body.resident.name, body.resident.id_number
    )
    person = await resident_of(citizen)
    booking = await appointments.staff.book(
        agency,
        institution_id,
        body.slot_id,
        person,
        channel=body.channel,
        staff_ref=body.staff_ref,
    )
    view = booking_view(booking, appointments.check_in_code(booking))
    view["resident"] = {
        "name_masked": person.name_masked,
        "id_number_masked": person.id_number_masked,
    }
    view["desk_code"] = appointments.desk_code(booking)
    return json(view, status=201)


@bp.delete("/agency/institutions/<institution_id:id>/appointments/<booking_id:id>")
@documented(
    "Cancel a booking your staff made; before the kept seats open it returns to them.",
    auth="agency",
    responses={
        200: "the cancelled appointment",
        404: "APPOINTMENT_NOT_FOUND",
        409: "APPOINTMENT_NOT_ACTIVE",
    },
    tag="agency",
)
async def staff_cancel(request: Request, institution_id: int, booking_id: int) -> JSONResponse:
    agency = await agency_caller(request)
    booking = await _appointments(request).staff.cancel(agency, institution_id, booking_id)
    return json(booking_view(booking))


@bp.post("/agency/institutions/<institution_id:id>/check-ins")
@documented(
    "Check in a resident by the code in their QR, or by the 8-digit desk code staff type when"
    " scanning fails; forged or reused codes are refused.",
    body=CheckInBody,
    auth="agency",
    responses={
        200: "the appointment, checked in",
        409: "CHECKIN_CODE_USED",
        422: "CHECKIN_CODE_INVALID",
    },
    tag="agency",
)
async def check_in(request: Request, institution_id: int) -> JSONResponse:
    agency = await agency_caller(request)
    body = parse(request, CheckInBody)
    await pub.owned_institution(agency, institution_id)
    booking = await _appointments(request).check_in(
        body.code, institution_id, desk_code=body.desk_code
    )
    return json(booking_view(booking))
