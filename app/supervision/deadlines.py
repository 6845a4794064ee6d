"""Opening and meeting deadlines, in the transaction of the step that causes them."""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from app.supervision.calendar import load_calendar
from app.supervision.models import Deadline
from infra import clock


def _open_key(subject_type: str, subject_ref: str, step: str) -> str:
    return f"{subject_type}:{subject_ref}:{step}"


async def open_deadline(
    tx: BaseDBAsyncClient,
    *,
    subject_type: str,
    subject_ref: str,
    step: str,
    department_code: str,
    working_days: int,
    weekend_days: tuple[int, ...],
    started_at: datetime | None = None,
) -> Deadline:
    started = started_at or clock.now()
    calendar = await load_calendar(weekend_days)
    due = calendar.add_working_days(clock.shanghai_date(started), max(working_days, 1))
    key = _open_key(subject_type, subject_ref, step)
    # A step re-entered (a case sent back and resubmitted) starts a fresh limit.
    await Deadline.filter(open_key=key).using_db(tx).update(open_key=None, met_at=started)
    return await Deadline.create(
        subject_type=subject_type,
        subject_ref=subject_ref,
        step=step,
        department_code=department_code,
        started_at=started,
        due_date=due,
        open_key=key,
        using_db=tx,
    )


async def meet_deadline(
    tx: BaseDBAsyncClient, *, subject_type: str, subject_ref: str, step: str
) -> None:
    await (
        Deadline.filter(open_key=_open_key(subject_type, subject_ref, step))
        .using_db(tx)
        .update(open_key=None, met_at=clock.now())
    )


def deadline_view(d: Deadline) -> dict:
    return {
        "step": d.step,
        "due_date": d.due_date.isoformat(),
        "met_at": d.met_at.isoformat() if d.met_at else None,
        "card": d.card,
    }
