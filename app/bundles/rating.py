"""Rating a bundle once (好差评). The rating counts for every department that took part;
a bad one (overall 1-2) opens a rectification for each department whose case was slow or
refused, or, when none was, for the lead department that answers for the whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from app.bundles import states
from app.bundles.models import BundleCase, BundleDefinition, BundleItem
from app.cases import states as case_states
from app.cases.models import Case
from app.config import ServiceRules
from app.errors import AlreadyRated, BundleNotFinished
from app.evaluations.models import INDICATORS, Evaluation, Rectification
from app.supervision.deadlines import open_deadline
from app.supervision.models import Deadline
from infra import clock

BAD_REVIEW_MAX = 2


async def was_slow(case: Case) -> bool:
    """A step of the case was met after its due day, or is still open past it."""
    today = clock.shanghai_date()
    for d in await Deadline.filter(subject_type="case", subject_ref=case.case_no):
        if d.met_at is None and d.due_date < today:
            return True
        if d.met_at is not None and clock.shanghai_date(d.met_at) > d.due_date:
            return True
    return False


@dataclass
class BundleRatings:
    rules: ServiceRules

    async def rate(
        self, bundle: BundleCase, channel: str, scores: dict[str, int], comment: str | None
    ) -> dict[str, Any]:
        if bundle.status == states.IN_PROGRESS:
            raise BundleNotFinished(bundle_no=bundle.bundle_no)
        items = await BundleItem.filter(bundle_case_id=bundle.id, status=states.FILED)
        cases = await Case.filter(id__in=[i.case_id for i in items]).order_by("id")
        lead = (await BundleDefinition.get(id=bundle.definition_id)).lead_department
        culprits = {
            c.department_code
            for c in cases
            if c.status == case_states.REJECTED or await was_slow(c)
        }
        now = clock.now()
        rating = {**scores, "comment": comment, "channel": channel}
        async with in_transaction() as tx:
            once = (
                await BundleCase.filter(id=bundle.id, rated_at=None)
                .using_db(tx)
                .update(rated_at=now, rating=rating, updated_at=now)
            )
            if once != 1:
                raise AlreadyRated(subject_type="bundle", subject_ref=bundle.bundle_no)
            evaluations: dict[str, Evaluation] = {}
            for case in cases:
                if await Evaluation.exists(subject_type="case", subject_ref=case.case_no):
                    continue  # rated on its own before: that rating stands
                evaluation = await Evaluation.create(
                    citizen_id=bundle.citizen_id,
                    subject_type="case",
                    subject_ref=case.case_no,
                    department_code=case.department_code,
                    item_code=case.item_code,
                    channel=channel,
                    comment=f"[一件事 {bundle.bundle_no}] {comment or ''}".strip()[:500],
                    created_at=now,
                    using_db=tx,
                    **{k: scores[k] for k in INDICATORS},
                )
                evaluations.setdefault(case.department_code, evaluation)
            tickets: list[dict[str, Any]] = []
            if scores["overall"] <= BAD_REVIEW_MAX:
                for department in sorted(culprits or {lead}):
                    evaluation = evaluations.get(department)
                    if evaluation is None:
                        continue
                    ticket = await Rectification.create(
                        evaluation_id=evaluation.id,
                        department_code=department,
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
                            department_code=department,
                            working_days=days,
                            weekend_days=self.rules.weekend_days,
                        )
                    tickets.append(
                        {
                            "id": ticket.id,
                            "department_code": department,
                            "slow_or_refused": department in culprits,
                        }
                    )
        return {
            "bundle_no": bundle.bundle_no,
            **rating,
            "evaluations": [
                {"id": e.id, "department_code": d, "subject_ref": e.subject_ref}
                for d, e in sorted(evaluations.items())
            ],
            "rectifications": tickets,
        }
