"""Defining an item's form and binding an agency to a department's cases (seeding, CLI)."""

from __future__ import annotations

from typing import Any

from app.cases.forms import check_spec
from app.cases.models import CaseDesk, CaseForm
from app.catalog.models import ServiceItem
from app.errors import NotFound
from infra import clock


async def define_form(
    item_code: str,
    fields_spec: list[dict[str, Any]],
    materials_spec: list[dict[str, Any]],
    time_limit_days: int | None = None,
) -> CaseForm:
    item = await ServiceItem.get_or_none(code=item_code)
    if item is None:
        raise NotFound("No such service item.", item_code=item_code)
    check_spec(fields_spec, materials_spec)
    limit = time_limit_days or int(item.guide.get("time_limit_days") or 0) or 10
    form, _ = await CaseForm.update_or_create(
        item_code=item_code,
        defaults={
            "fields_spec": fields_spec,
            "materials_spec": materials_spec,
            "time_limit_days": limit,
            "updated_at": clock.now(),
        },
    )
    return form


async def bind_desk(agency_id: int, department_code: str) -> None:
    await CaseDesk.get_or_create(agency_id=agency_id, department_code=department_code)
