"""Ratings (好差评), rating invitations, and the rectification tickets of bad reviews."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from app.evaluations.states import RECTIFICATION
from infra import clock
from infra.transitions import Transitions

INDICATORS = ("overall", "efficiency", "guide_accuracy", "convenience", "ease_of_use")


class Evaluation(Model):
    """One rating of one used service. The unique key makes a second rating impossible."""

    id = fields.BigIntField(primary_key=True)
    citizen_id = fields.UUIDField(db_index=True)
    subject_type = fields.CharField(max_length=12)  # case | appointment | payment
    subject_ref = fields.CharField(max_length=32)
    department_code = fields.CharField(max_length=48, db_index=True)
    item_code = fields.CharField(max_length=19, null=True)
    channel = fields.CharField(max_length=8)
    overall = fields.SmallIntField()
    efficiency = fields.SmallIntField()
    guide_accuracy = fields.SmallIntField()
    convenience = fields.SmallIntField()
    ease_of_use = fields.SmallIntField()
    comment = fields.TextField(null=True)
    created_at = fields.DatetimeField(db_index=True)
    # The Shanghai day and month of created_at, so statistics group and filter in SQL.
    local_date = fields.DateField()
    local_month = fields.CharField(max_length=7)  # YYYY-MM

    class Meta:
        table = "evaluation"
        unique_together = (("subject_type", "subject_ref"),)
        indexes = (Index(fields=("local_date", "department_code"), name="evaluation_local_day"),)
        constraints = tuple(
            CheckConstraint(check=f"{name} BETWEEN 1 AND 5", name=f"evaluation_{name}_1_5")
            for name in INDICATORS
        )

    async def save(self, *args: Any, **kwargs: Any) -> None:
        """Derive the Shanghai day and month on every save, so no writer can forget them."""
        self.local_date, self.local_month = local_period(self.created_at)
        await super().save(*args, **kwargs)


def local_period(at: datetime) -> tuple[date, str]:
    """The Shanghai calendar day of an instant and its month as YYYY-MM."""
    day = clock.shanghai_date(at)
    return day, day.strftime("%Y-%m")


class Invitation(Model):
    """A rating invitation sent for a service left unrated for 3 days (sent once)."""

    id = fields.BigIntField(primary_key=True)
    subject_type = fields.CharField(max_length=12)
    subject_ref = fields.CharField(max_length=32)
    citizen_id = fields.UUIDField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "evaluation_invitation"
        unique_together = (("subject_type", "subject_ref"),)


class Rectification(Model):
    """整改: a bad review's ticket. open → replied → fixed → visited (states.py)."""

    transitions: ClassVar[Transitions] = RECTIFICATION

    id = fields.BigIntField(primary_key=True)
    evaluation_id = fields.BigIntField(unique=True)
    department_code = fields.CharField(max_length=48, db_index=True)
    status = fields.CharField(max_length=8, db_index=True)
    reply = fields.TextField(null=True)
    fix = fields.TextField(null=True)
    visit = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    replied_at = fields.DatetimeField(null=True)
    fixed_at = fields.DatetimeField(null=True)
    visited_at = fields.DatetimeField(null=True)

    class Meta:
        table = "evaluation_rectification"
        constraints = (
            CheckConstraint(
                check="status IN ('open', 'replied', 'fixed', 'visited')",
                name="evaluation_rectification_status",
            ),
        )
