"""The operator dashboard and the daily digest: cards by department."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from tortoise.exceptions import IntegrityError

from app.supervision.deadlines import deadline_view
from app.supervision.models import Deadline, Digest
from infra import clock


def _empty() -> dict[str, int]:
    return {"open": 0, "warning": 0, "yellow": 0, "red": 0}


async def by_department(departments: tuple[str, ...] | None) -> dict[str, Any]:
    """Open deadlines per department with their cards; ``departments`` None means all."""
    query = Deadline.filter(met_at=None)
    if departments is not None:
        query = query.filter(department_code__in=list(departments))
    counts: dict[str, dict[str, int]] = defaultdict(_empty)
    flagged: list[dict[str, Any]] = []
    for d in await query.order_by("due_date", "id"):
        row = counts[d.department_code]
        row["open"] += 1
        if d.card != "none":
            row[d.card] += 1
        flagged.append(
            {
                "subject_type": d.subject_type,
                "subject_ref": d.subject_ref,
                "department_code": d.department_code,
                **deadline_view(d),
            }
        )
    return {
        "as_of": clock.shanghai_date().isoformat(),
        "departments": [{"department_code": k, **v} for k, v in sorted(counts.items())],
        "open": flagged,
    }


async def write_digest(day: date | None = None) -> int:
    """Once per day and department (a rerun finds the rows and adds none)."""
    day = day or clock.shanghai_date()
    board = await by_department(None)
    written = 0
    for row in board["departments"]:
        counts = {k: row[k] for k in ("open", "warning", "yellow", "red")}
        try:
            await Digest.create(
                day=day,
                department_code=row["department_code"],
                counts=counts,
                created_at=clock.now(),
            )
            written += 1
        except IntegrityError:
            continue
    return written


async def digests(day: date, departments: tuple[str, ...] | None) -> list[dict[str, Any]]:
    query = Digest.filter(day=day)
    if departments is not None:
        query = query.filter(department_code__in=list(departments))
    return [
        {"day": d.day.isoformat(), "department_code": d.department_code, **d.counts}
        for d in await query.order_by("department_code")
    ]
