"""Supervision tables: the holiday calendar (data), deadlines with their card, daily digests."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from app.supervision.states import CARD
from infra.transitions import Transitions


class Holiday(Model):
    """A day off on a weekday (法定节假日), or a working weekend day (调休上班) when workday."""

    day = fields.DateField(primary_key=True)
    name = fields.CharField(max_length=32)
    workday = fields.BooleanField(default=False)

    class Meta:
        table = "supervision_holiday"


class Deadline(Model):
    """One promised time limit of one step (a case step, a rectification, a 12345 reply)."""

    transitions: ClassVar[Transitions] = CARD

    id = fields.BigIntField(primary_key=True)
    subject_type = fields.CharField(max_length=16)  # case | rectification | ticket
    subject_ref = fields.CharField(max_length=32)
    step = fields.CharField(max_length=16)
    department_code = fields.CharField(max_length=32, db_index=True)
    started_at = fields.DatetimeField()
    # The last Shanghai working day on which the step is still on time.
    due_date = fields.DateField(db_index=True)
    met_at = fields.DatetimeField(null=True)
    # none | warning | yellow | red: only ever escalates (cards.CARD_ORDER).
    card = fields.CharField(max_length=8, default="none")
    carded_at = fields.DatetimeField(null=True)
    # Set while the step is open, so one subject has at most one open deadline per step.
    open_key = fields.CharField(max_length=72, null=True, unique=True)

    class Meta:
        table = "supervision_deadline"
        indexes = (("met_at", "due_date"),)
        constraints = (
            CheckConstraint(
                check="card IN ('none', 'warning', 'yellow', 'red')",
                name="supervision_deadline_card_known",
            ),
        )


class Digest(Model):
    """The daily summary per department, written once per Shanghai day by the digest job."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    department_code = fields.CharField(max_length=32)
    counts = fields.JSONField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "supervision_digest"
        unique_together = (("day", "department_code"),)
