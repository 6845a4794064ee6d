"""Rating a used service; a bad review (1–2 overall) opens a supervised rectification.

The rectification has two clocks from the moment of the review: reply within 1 working day
and fix within 15 (config), then one follow-up visit with the resident closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from app.config import ServiceRules
from app.errors import AlreadyRated, InvalidInput, RectificationNotFound, RectificationStepForbidden
from app.evaluations import states
from app.evaluations.models import INDICATORS, Evaluation, Rectification
from app.evaluations.subjects import SUBJECT_TYPES, used_service
from app.identity.sessions import Principal
from app.supervision.deadlines import meet_deadline, open_deadline
from infra import clock
from infra.transitions import move

BAD_REVIEW_MAX = 2
STEP_FIELDS = {
    "reply": ("reply", "replied_at"),
    "fix": ("fix", "fixed_at"),
    "visit": ("visit", "visited_at"),
}


@dataclass
class Evaluations:
    rules: ServiceRules

    async def rate(
        self,
        who: Principal,
        subject_type: str,
        subject_ref: str,
        scores: dict[str, int],
        comment: str | None,
    ) -> tuple[Evaluation, Rectification | None]:
        if subject_type not in SUBJECT_TYPES:
            raise InvalidInput("subject_type is case, appointment or payment.")
        used = await used_service(who.citizen_id, subject_type, subject_ref)
        if await Evaluation.exists(subject_type=subject_type, subject_ref=subject_ref):
            raise AlreadyRated(subject_type=subject_type, subject_ref=subject_ref)
        now = clock.now()
        try:
            async with in_transaction() as tx:
                evaluation = await Evaluation.create(
                    citizen_id=who.citizen_id,
                    subject_type=subject_type,
                    subject_ref=subject_ref,
                    department_code=used.department_code,
                    item_code=used.item_code,
                    channel=used.channel,
                    comment=comment,
                    created_at=now,
                    using_db=tx,
                    **{k: scores[k] for k in INDICATORS},
                )
                ticket = None
                if evaluation.overall <= BAD_REVIEW_MAX:
                    ticket = await Rectification.create(
                        evaluation_id=evaluation.id,
                        department_code=used.department_code,
                        status="open",
                        created_at=now,
                        using_db=tx,
                    )
                    for step, days in (
                        ("reply", self.rules.rectify_reply_working_days),
                        ("fix", self.rules.rectify_fix_working_days),
                    ):
                        await open_deadline(
                            tx,
                            subject_type="rectification",
                            subject_ref=str(ticket.id),
                            step=step,
                            department_code=used.department_code,
                            working_days=days,
                            weekend_days=self.rules.weekend_days,
                        )
        except IntegrityError as exc:  # two ratings racing: the unique key decides
            raise AlreadyRated(subject_type=subject_type, subject_ref=subject_ref) from exc
        return evaluation, ticket

    async def rectify(
        self, ticket_id: int, step: str, text: str, departments: tuple[str, ...] | None
    ) -> Rectification:
        ticket = await self.ticket(ticket_id, departments)
        if step not in STEP_FIELDS:
            raise RectificationStepForbidden(f"Unknown step {step}.", step=step)
        dst = states.next_status(ticket.status, step)
        text_field, at_field = STEP_FIELDS[step]
        async with in_transaction() as tx:
            if not await move(ticket, dst, using=tx, **{text_field: text, at_field: clock.now()}):
                raise RectificationStepForbidden("The ticket moved on meanwhile; reload it.")
            if step in states.DEADLINE_OF:
                await meet_deadline(
                    tx,
                    subject_type="rectification",
                    subject_ref=str(ticket.id),
                    step=states.DEADLINE_OF[step],
                )
        return await Rectification.get(id=ticket.id)

    async def ticket(self, ticket_id: int, departments: tuple[str, ...] | None) -> Rectification:
        ticket = await Rectification.get_or_none(id=ticket_id)
        if ticket is None or (
            departments is not None and ticket.department_code not in departments
        ):
            raise RectificationNotFound(id=ticket_id)
        return ticket

    async def tickets(self, departments: tuple[str, ...] | None, status: str | None) -> list:
        query = Rectification.all()
        if departments is not None:
            query = query.filter(department_code__in=list(departments))
        if status:
            query = query.filter(status=status)
        return await query.order_by("-id").limit(200)


def rectification_view(t: Rectification) -> dict[str, Any]:
    return {
        "id": t.id,
        "evaluation_id": t.evaluation_id,
        "department_code": t.department_code,
        "status": t.status,
        "reply": t.reply,
        "fix": t.fix,
        "visit": t.visit,
        "created_at": t.created_at.isoformat(),
        "replied_at": t.replied_at.isoformat() if t.replied_at else None,
        "fixed_at": t.fixed_at.isoformat() if t.fixed_at else None,
        "visited_at": t.visited_at.isoformat() if t.visited_at else None,
    }


def evaluation_view(e: Evaluation) -> dict[str, Any]:
    return {
        "id": e.id,
        "subject_type": e.subject_type,
        "subject_ref": e.subject_ref,
        "department_code": e.department_code,
        "item_code": e.item_code,
        "channel": e.channel,
        **{k: getattr(e, k) for k in INDICATORS},
        "comment": e.comment,
        "bad": e.overall <= BAD_REVIEW_MAX,
        "created_at": e.created_at.isoformat(),
    }


GROUPS = {"department": "department_code", "item": "item_code", "channel": "channel"}
PERIODS = {"day": "local_date", "month": "local_month"}


async def statistics(
    by: str, period: str, start: date, end: date, departments: tuple[str, ...] | None
) -> list[dict[str, Any]]:
    """Counts and averages per group and period (day or month, Shanghai) in [start, end].

    One GROUP BY in the database over the Shanghai day and month stored with each rating;
    only the (small) aggregated rows come back. Means are SUM / COUNT: Tortoise 1.1 reads
    AVG of an integer column back as an integer (3.5 becomes 3), and the division here
    rounds exactly as the former Python code did. Sorted here, not in SQL, so the order is
    the same on every database collation.
    """
    if by not in GROUPS or period not in PERIODS:
        raise InvalidInput("by is department, item or channel; period is day or month.")
    group, bucket = GROUPS[by], PERIODS[period]
    query = Evaluation.filter(local_date__gte=start, local_date__lte=end)
    if departments is not None:
        query = query.filter(department_code__in=list(departments))
    rows = (
        await query.annotate(
            n=Count("id"),
            n_bad=Count("id", _filter=Q(overall__lte=BAD_REVIEW_MAX)),
            **{f"sum_{k}": Sum(k) for k in INDICATORS},
        )
        .group_by(group, bucket)
        .values(group, bucket, "n", "n_bad", *(f"sum_{k}" for k in INDICATORS))
    )
    out = [
        {
            by: str(row[group]),
            "period": _period_key(row[bucket]),
            "count": row["n"],
            "bad": row["n_bad"],
            **{f"avg_{k}": round(int(row[f"sum_{k}"]) / row["n"], 2) for k in INDICATORS},
        }
        for row in rows
    ]
    return sorted(out, key=lambda r: (r[by], r["period"]))


def _period_key(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
