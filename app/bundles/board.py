"""The supervisor's view of bundles: each open bundle's whole time limit and the agency
holding it up (the unfinished case due first, and the items waiting behind it)."""

from __future__ import annotations

from typing import Any

from app.bundles import states
from app.bundles.models import BundleCase, BundleItem
from app.cases import states as case_states
from app.cases.models import Case
from app.supervision.models import Deadline
from infra import clock


async def bundles_board(departments: tuple[str, ...] | None, limit: int = 200) -> dict[str, Any]:
    """Open bundles, due first. ``departments`` None: all; else the bundles in which one of
    them takes part (as lead or with an item)."""
    today = clock.shanghai_date()
    rows: list[dict[str, Any]] = []
    for bundle in await BundleCase.filter(status=states.IN_PROGRESS).order_by("due_date", "id"):
        items = await BundleItem.filter(bundle_case_id=bundle.id).order_by("position")
        whole = await Deadline.filter(
            subject_type="bundle", subject_ref=bundle.bundle_no, step="whole"
        ).first()
        lead = whole.department_code if whole else None
        taking_part = {i.department_code for i in items} | {lead}
        if departments is not None and not taking_part & set(departments):
            continue
        cases = {c.id: c for c in await Case.filter(id__in=[i.case_id for i in items if i.case_id])}
        open_steps = {
            d.subject_ref: d
            for d in await Deadline.filter(
                subject_type="case",
                subject_ref__in=[c.case_no for c in cases.values()],
                met_at=None,
            )
        }
        holding = []
        for i in items:
            case = cases.get(i.case_id or 0)
            if case is None or case.status in case_states.FINISHED:
                continue
            step = open_steps.get(case.case_no)
            holding.append(
                {
                    "department_code": case.department_code,
                    "item_name": case.item_name,
                    "case_no": case.case_no,
                    "status": case.status,
                    "step": step.step if step else "resident",
                    "due_date": step.due_date.isoformat() if step else None,
                    "card": step.card if step else "none",
                    "overdue": bool(step and step.due_date < today),
                    "blocks": [
                        w.item_name
                        for w in items
                        if w.status == states.WAITING and i.item_code in w.after
                    ],
                }
            )
        holding.sort(key=lambda h: (not h["overdue"], h["due_date"] or "9999"))
        rows.append(
            {
                "bundle_no": bundle.bundle_no,
                "bundle_name": bundle.bundle_name,
                "lead_department": lead,
                "due_date": bundle.due_date.isoformat(),
                "card": whole.card if whole else "none",
                "overdue": bundle.due_date < today,
                "holding": holding,
                "held_up_by": holding[0]["department_code"] if holding else None,
                "waiting": [i.item_name for i in items if i.status == states.WAITING],
            }
        )
        if len(rows) >= limit:
            break
    return {"as_of": today.isoformat(), "bundles": rows}
