"""What residents and agencies see of a case: masked form, materials by reference, timeline."""

from __future__ import annotations

from typing import Any

from app.cases.models import Case, CaseStep
from app.identity.models import LegalPerson
from app.supervision.deadlines import deadline_view
from app.supervision.models import Deadline
from infra import clock


def _shown_form(form: dict[str, Any]) -> dict[str, Any]:
    return {k: v["masked"] if isinstance(v, dict) and "masked" in v else v for k, v in form.items()}


def _local(at: Any) -> str:
    return at.astimezone(clock.SHANGHAI).isoformat()


async def _legal_person(case: Case) -> dict[str, Any] | None:
    """Whom a case was filed for. Enterprise names and codes are public, shown in full."""
    if case.legal_person_id is None:
        return None
    found = await LegalPerson.get(id=case.legal_person_id)
    return {"uscc": found.uscc, "name": found.name}


async def case_view(case: Case) -> dict[str, Any]:
    steps = await CaseStep.filter(case_id=case.id).order_by("at", "id")
    deadlines = await Deadline.filter(subject_type="case", subject_ref=case.case_no).order_by("id")
    return {
        "case_no": case.case_no,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "department_code": case.department_code,
        "channel": case.channel,
        "status": case.status,
        "legal_person": await _legal_person(case),
        "form": _shown_form(case.form),
        "materials": case.materials,
        "result": case.result,
        "express_no": case.express_no,
        "created_at": _local(case.created_at),
        "updated_at": _local(case.updated_at),
        "finished_at": _local(case.finished_at) if case.finished_at else None,
        "timeline": [
            {
                "action": s.action,
                "from": s.from_status or None,
                "to": s.to_status,
                "actor": s.actor,
                "note": s.note,
                "at": _local(s.at),
            }
            for s in steps
        ],
        "deadlines": [deadline_view(d) for d in deadlines],
    }


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "case_no": case.case_no,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "channel": case.channel,
        "status": case.status,
        "created_at": _local(case.created_at),
        "updated_at": _local(case.updated_at),
    }
