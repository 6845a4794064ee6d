"""Institutions, their departments and resources, slots, bookings, waitlist and standing.

PostgreSQL is the truth about seats: ``Slot.remaining`` never drops below zero (a CHECK),
and a person holds at most one live booking per slot and per resource-session (unique keys
on the ``active_*`` columns, which are cleared when a booking stops holding its seat, so
the person may book again later).
"""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from app.appointments.states import BOOKING, LOTTERY, RERELEASE, WAITLIST
from infra.transitions import Transitions


class Institution(Model):
    """A clinic or a service hall, published by one agency under the agency's own ``ref``."""

    id = fields.BigIntField(primary_key=True)
    agency_id = fields.BigIntField(db_index=True)
    ref = fields.CharField(max_length=64)
    name = fields.CharField(max_length=128)
    kind = fields.CharField(max_length=8)
    region_code = fields.CharField(max_length=6, db_index=True)
    address = fields.CharField(max_length=256, default="")
    # Per-institution release rules; NULL means the platform default from settings.
    release_time = fields.CharField(max_length=5, null=True)
    horizon_days = fields.IntField(null=True)
    cutoff_time = fields.CharField(max_length=5, null=True)
    cancel_time = fields.CharField(max_length=5, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "appt_institution"
        unique_together = (("agency_id", "ref"),)
        constraints = (
            CheckConstraint(check="kind IN ('clinic', 'hall')", name="appt_institution_kind"),
        )


class Department(Model):
    id = fields.BigIntField(primary_key=True)
    institution: fields.ForeignKeyRelation[Institution] = fields.ForeignKeyField(
        "appointments.Institution", related_name="departments", on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=64)

    class Meta:
        table = "appt_department"
        unique_together = (("institution_id", "code"),)


class Resource(Model):
    """What is booked: a doctor in a clinic, a window in a service hall."""

    id = fields.BigIntField(primary_key=True)
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "appointments.Department", related_name="resources", on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=64)
    title = fields.CharField(max_length=64, default="")

    class Meta:
        table = "appt_resource"
        unique_together = (("department_id", "code"),)


class Slot(Model):
    """One bookable time of one resource. ``group_key`` names its resource-session."""

    id = fields.BigIntField(primary_key=True)
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "appointments.Resource", related_name="slots", on_delete=fields.CASCADE
    )
    department_id = fields.BigIntField()
    institution_id = fields.BigIntField(db_index=True)
    date = fields.DateField()
    session = fields.CharField(max_length=10)
    group_key = fields.CharField(max_length=64, db_index=True)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.IntField()
    remaining = fields.IntField()
    fee_fen = fields.IntField(default=0)
    # ``first_come`` (the rush) or ``lottery`` (摇号: see ``Lottery``).
    release_mode = fields.CharField(max_length=10, default="first_come")
    # Kept seats: places held back from ``remaining`` for staff bookings on a resident's
    # behalf (the agency API) until ``kept_until``, when what is left joins ``remaining``.
    kept = fields.IntField(default=0)
    kept_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "appt_slot"
        unique_together = (("resource_id", "starts_at"),)
        indexes = (("institution_id", "date"),)
        constraints = (
            CheckConstraint(check="remaining >= 0", name="appt_slot_remaining_nonnegative"),
            CheckConstraint(check="remaining <= capacity", name="appt_slot_remaining_le_capacity"),
            CheckConstraint(check="fee_fen >= 0", name="appt_slot_fee_nonnegative"),
            CheckConstraint(
                check="session IN ('morning', 'afternoon', 'evening')", name="appt_slot_session"
            ),
            CheckConstraint(
                check="release_mode IN ('first_come', 'lottery')", name="appt_slot_release_mode"
            ),
            CheckConstraint(
                check="kept >= 0 AND remaining + kept <= capacity", name="appt_slot_kept"
            ),
        )


class Booking(Model):
    """A person's seat in a slot. Status moves only through ``states.BOOKING``."""

    transitions: ClassVar[Transitions] = BOOKING

    id = fields.BigIntField(primary_key=True)
    slot: fields.ForeignKeyRelation[Slot] = fields.ForeignKeyField(
        "appointments.Slot", related_name="bookings", on_delete=fields.RESTRICT
    )
    citizen_id = fields.UUIDField(db_index=True)
    # The channel account it was booked from: reminders go back through that channel.
    account_id = fields.BigIntField()
    channel = fields.CharField(max_length=8)
    institution_id = fields.BigIntField()
    department_id = fields.BigIntField()
    resource_id = fields.BigIntField()
    date = fields.DateField()
    session = fields.CharField(max_length=10)
    starts_at = fields.DatetimeField()
    session_ends_at = fields.DatetimeField()
    fee_fen = fields.IntField(default=0)
    status = fields.CharField(max_length=16, db_index=True)
    # Set while the booking holds its seat; NULL afterwards (unique keys skip NULLs).
    active_slot_id = fields.BigIntField(null=True)
    active_group_key = fields.CharField(max_length=64, null=True)
    hold_expires_at = fields.DatetimeField(null=True)
    paid_order_id = fields.BigIntField(null=True)
    paid_at = fields.DatetimeField(null=True)
    checkin_nonce = fields.CharField(max_length=32)
    checked_in_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    no_show_at = fields.DatetimeField(null=True)
    reminder_queued = fields.BooleanField(default=False)
    reminded_at = fields.DatetimeField(null=True)
    # Set when staff booked a kept seat for the resident through the agency API.
    booked_by_agency_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "appt_booking"
        unique_together = (("active_slot_id", "citizen_id"), ("citizen_id", "active_group_key"))
        indexes = (("status", "hold_expires_at"), ("status", "session_ends_at"), ("status", "date"))
        constraints = (
            CheckConstraint(
                check="status IN ('pending_payment', 'booked', 'checked_in', 'cancelled',"
                " 'released', 'no_show')",
                name="appt_booking_status",
            ),
        )


class WaitlistEntry(Model):
    """A person waiting for a full slot. Status moves only through ``states.WAITLIST``."""

    transitions: ClassVar[Transitions] = WAITLIST

    id = fields.BigIntField(primary_key=True)
    slot: fields.ForeignKeyRelation[Slot] = fields.ForeignKeyField(
        "appointments.Slot", related_name="waitlist", on_delete=fields.CASCADE
    )
    citizen_id = fields.UUIDField(db_index=True)
    account_id = fields.BigIntField()
    channel = fields.CharField(max_length=8)
    status = fields.CharField(max_length=10)
    # Set while waiting or offered, so one person waits once per slot.
    active_slot_id = fields.BigIntField(null=True)
    offered_at = fields.DatetimeField(null=True)
    offer_expires_at = fields.DatetimeField(null=True)
    booking_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "appt_waitlist"
        unique_together = (("active_slot_id", "citizen_id"),)
        indexes = (("slot_id", "status", "id"), ("status", "offer_expires_at"))


class Standing(Model):
    """A person's booking standing: the row locked to serialise their own bookings."""

    citizen_id = fields.UUIDField(primary_key=True)
    banned_until = fields.DatetimeField(null=True)
    # No-shows before this instant no longer count towards a new ban.
    strikes_since = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "appt_standing"


class BanRecord(Model):
    """The history of bans and their lifting, for operators and for the resident's appeal."""

    id = fields.BigIntField(primary_key=True)
    citizen_id = fields.UUIDField(db_index=True)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    no_shows = fields.IntField()
    lifted_at = fields.DatetimeField(null=True)
    lift_reason = fields.TextField(null=True)

    class Meta:
        table = "appt_ban"


class Lottery(Model):
    """The draw of one lottery slot. Status moves only through ``states.LOTTERY``.

    The seed stays secret until the draw; only its SHA-256 is shown while entry is open, so
    nobody (us included) can pick the seed after seeing who entered.
    """

    id = fields.BigIntField(primary_key=True)
    slot_id = fields.BigIntField(unique=True)
    group_key = fields.CharField(max_length=64)
    entry_opens_at = fields.DatetimeField()
    entry_closes_at = fields.DatetimeField()
    draw_at = fields.DatetimeField(db_index=True)
    seed = fields.CharField(max_length=64)
    seed_sha256 = fields.CharField(max_length=64)
    status = fields.CharField(max_length=8, db_index=True)
    entries = fields.IntField(default=0)
    # How far a draw got: ranks decided so far and seats given; a resumed draw goes on here.
    decided = fields.IntField(default=0)
    won = fields.IntField(default=0)
    drawn_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    transitions: ClassVar[Transitions] = LOTTERY

    class Meta:
        table = "appt_lottery"
        constraints = (
            CheckConstraint(
                check="status IN ('open', 'drawing', 'drawn')", name="appt_lottery_status"
            ),
        )


class LotteryEntry(Model):
    """One person's entry: numbered in arrival order, ranked and decided at the draw."""

    id = fields.BigIntField(primary_key=True)
    lottery_id = fields.BigIntField()
    slot_id = fields.BigIntField()
    entry_no = fields.IntField()
    citizen_id = fields.UUIDField(db_index=True)
    account_id = fields.BigIntField()
    channel = fields.CharField(max_length=8)
    group_key = fields.CharField(max_length=64)
    rank = fields.IntField(null=True)
    # NULL until drawn; then won (booked), waitlisted, or refused (limits or a ban by then).
    outcome = fields.CharField(max_length=10, null=True)
    booking_id = fields.BigIntField(null=True)
    waitlist_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "appt_lottery_entry"
        unique_together = (("lottery_id", "entry_no"), ("citizen_id", "group_key"))
        indexes = (("lottery_id", "rank"),)


class Rerelease(Model):
    """A freed seat nobody was waiting for, held out of booking until its drawn moment.

    ``release_at`` is drawn from the OS CSPRNG when the seat is freed and never shown; the
    outbox event that returns the seat is due at that instant, so it survives restarts.
    Status moves only through ``states.RERELEASE``.
    """

    transitions: ClassVar[Transitions] = RERELEASE

    id = fields.BigIntField(primary_key=True)
    slot_id = fields.BigIntField(db_index=True)
    group_key = fields.CharField(max_length=64, db_index=True)
    # The claim that gave the seat up: a citizen id or ``offer:<waitlist entry>``.
    freed_by = fields.CharField(max_length=64)
    release_at = fields.DatetimeField()
    status = fields.CharField(max_length=10)
    # Where it went: ``pool`` or ``offer:<waitlist entry>``; or the booking that reclaimed it.
    outcome = fields.CharField(max_length=32, null=True)
    released_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "appt_rerelease"
        constraints = (
            CheckConstraint(
                check="status IN ('pending', 'released', 'reclaimed')",
                name="appt_rerelease_status",
            ),
        )
