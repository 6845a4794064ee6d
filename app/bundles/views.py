"""What residents see of a bundle: its combined guide and one form, and a bundle case whose
status follows from its cases."""

from __future__ import annotations

from typing import Any

from app.bundles import states
from app.bundles.models import BundleCase, BundleDefinition, BundleItem
from app.cases import states as case_states
from app.cases.models import Case, CaseStep
from app.catalog.models import Department, ServiceItem
from app.identity.models import LegalPerson
from app.supervision.deadlines import deadline_view
from app.supervision.models import Deadline
from infra import clock

SUPPLEMENT_NEEDED = "supplement_needed"


def _local(at: Any) -> str:
    return at.astimezone(clock.SHANGHAI).isoformat()


async def _department_names(codes: set[str]) -> dict[str, str]:
    return {d.code: d.name for d in await Department.filter(code__in=list(codes))}


async def bundle_summary(d: BundleDefinition) -> dict[str, Any]:
    codes = [e["item"] for e in d.document["items"]]
    items = {i.code: i for i in await ServiceItem.filter(code__in=codes)}
    return {
        "code": d.code,
        "name": d.name,
        "audience": d.audience,
        "items": [
            {
                "code": c,
                "name": items[c].name if c in items else c,
                "department": items[c].department_code if c in items else None,
            }
            for c in codes
        ],
    }


async def bundle_detail(d: BundleDefinition) -> dict[str, Any]:
    """一次告知 + 一表申请: the combined guide from the bundle's own definition, and the one
    merged form with the deduplicated materials (those a predecessor's e-licence replaces
    are not asked for)."""
    doc = d.document
    summary = await bundle_summary(d)
    departments = await _department_names(
        {i["department"] for i in summary["items"] if i["department"]} | {d.lead_department}
    )
    guide = doc.get("guide", {})
    replaced = [
        {"item": e["item"], "material": r["material"], "by": r["from"]}
        for e in doc["items"]
        for r in e.get("receives", [])
    ]
    return {
        **summary,
        "version": d.version,
        "lead_department": {"code": d.lead_department, "name": departments.get(d.lead_department)},
        "guide": {
            "conditions": guide.get("conditions", []),
            "materials": [
                {
                    "name": m["name"],
                    "required": m.get("required", True),
                    "key": m.get("key", True),
                    "pending_allowed": m.get("key", True) is False,
                }
                for m in doc["materials"]
            ],
            "licence_replaced": replaced,
            "time_limit_days": doc["time_limit_days"],
            "places": guide.get("places", []),
            "fees": guide.get("fees"),
            "legal_basis": guide.get("legal_basis"),
            "notes": guide.get("notes", []),
            "order": [{"item": e["item"], "after": e.get("after", [])} for e in doc["items"]],
            "departments": [{"code": k, "name": v} for k, v in sorted(departments.items())],
            "pledge_items": [
                {"item": e["item"], "text": e["pledge"]["text"]}
                for e in doc["items"]
                if e.get("pledge")
            ],
        },
        "form": {
            "fields": [{k: v for k, v in f.items() if k != "maps"} for f in doc["fields"]],
            "materials": [{k: v for k, v in m.items() if k != "maps"} for m in doc["materials"]],
        },
    }


def derived_status(bundle: BundleCase, items: list[BundleItem], cases: dict[int, Case]) -> str:
    """in_progress, supplement_needed, completed or partly_refused, from its cases."""
    if bundle.status != states.IN_PROGRESS:
        return str(bundle.status)
    returned = any(i.case_id and cases[i.case_id].status == case_states.RETURNED for i in items)
    return SUPPLEMENT_NEEDED if returned or any(i.pending for i in items) else states.IN_PROGRESS


def _step_of(item: BundleItem, case: Case | None) -> str:
    if case is None:
        waiting = item.status == states.WAITING
        return "waiting for " + ", ".join(item.after) if waiting else "cancelled"
    return case_states.WAITING_STEP.get(
        case.status, "resident" if case.status == "returned" else "finished"
    )


async def bundle_case_view(bundle: BundleCase) -> dict[str, Any]:
    items = await BundleItem.filter(bundle_case_id=bundle.id).order_by("position")
    cases = {c.id: c for c in await Case.filter(id__in=[i.case_id for i in items if i.case_id])}
    by_no = {c.case_no: c for c in cases.values()}
    open_deadlines = {
        d.subject_ref: d
        for d in await Deadline.filter(
            subject_type="case", subject_ref__in=list(by_no), met_at=None
        ).order_by("id")
    }
    whole = await Deadline.filter(
        subject_type="bundle", subject_ref=bundle.bundle_no, step="whole"
    ).first()
    steps = await CaseStep.filter(case_id__in=list(cases)).order_by("at", "id")
    legal = None
    if bundle.legal_person_id is not None:
        lp = await LegalPerson.get(id=bundle.legal_person_id)
        legal = {"uscc": lp.uscc, "name": lp.name}
    timeline = [{"at": _local(bundle.created_at), "event": "apply", "cases": len(items)}]
    timeline += [
        {
            "at": _local(s.at),
            "event": s.action,
            "case_no": cases[s.case_id].case_no,
            "item_name": cases[s.case_id].item_name,
            "to": s.to_status,
            "actor": s.actor,
        }
        for s in steps
    ]
    if bundle.finished_at is not None:
        timeline.append(
            {"at": _local(bundle.finished_at), "event": "result", "status": bundle.status}
        )
    if bundle.rated_at is not None:
        timeline.append({"at": _local(bundle.rated_at), "event": "rated"})
    return {
        "bundle_no": bundle.bundle_no,
        "bundle_code": bundle.bundle_code,
        "bundle_name": bundle.bundle_name,
        "status": derived_status(bundle, items, cases),
        "channel": bundle.channel,
        "legal_person": legal,
        "created_at": _local(bundle.created_at),
        "due_date": bundle.due_date.isoformat(),
        "deadline": deadline_view(whole) if whole else None,
        "finished_at": _local(bundle.finished_at) if bundle.finished_at else None,
        "cases": [
            {
                "item_code": i.item_code,
                "item_name": i.item_name,
                "department_code": i.department_code,
                "after": i.after,
                "status": cases[i.case_id].status if i.case_id else i.status,
                "case_no": cases[i.case_id].case_no if i.case_id else None,
                "step": _step_of(i, cases.get(i.case_id or 0)),
                "deadline": deadline_view(open_deadlines[cases[i.case_id].case_no])
                if i.case_id and cases[i.case_id].case_no in open_deadlines
                else None,
                "pending": i.pending,
                "pledge": {"text": i.pledge["text"], "signed_at": i.pledge["signed_at"]}
                if i.pledge
                else None,
                "received": [
                    {k: r[k] for k in ("from", "case_no", "licence_id", "material")}
                    for r in i.received
                ],
            }
            for i in items
        ],
        "result": bundle.result,
        "rating": bundle.rating,
        "timeline": timeline,
    }


def bundle_case_summary(bundle: BundleCase) -> dict[str, Any]:
    return {
        "bundle_no": bundle.bundle_no,
        "bundle_name": bundle.bundle_name,
        "status": bundle.status,
        "due_date": bundle.due_date.isoformat(),
        "created_at": _local(bundle.created_at),
    }
