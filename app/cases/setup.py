"""Defining an item's form and binding agencies to a department's cases, by operators (HTTP),
the CLI and the demo seed alike.

Both are scoped like the catalog: a department operator touches only their departments'
items and desks, a platform admin every one, a reviewer reads only. Each change writes its
audit row (``catalog_audit``) in the same transaction. Forms are versioned: a change bumps
``CaseForm.version`` by compare-and-set and keeps the new version in ``case_form_version``,
so a case filed under an older form can still be read against it.
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.agency.models import Agency
from app.cases.forms import check_spec
from app.cases.models import CaseDesk, CaseForm, CaseFormVersion
from app.catalog import audit
from app.catalog.items import item_in_scope
from app.catalog.models import Department, ServiceItem
from app.catalog.scope import require_role, sees_department
from app.errors import (
    AgencyUnknown,
    CaseDeskNotFound,
    CaseFormChanged,
    CaseFormNotFound,
    DepartmentUnknown,
    NotFound,
)
from app.operators.auth import OperatorPrincipal
from infra import clock

DEFAULT_TIME_LIMIT_DAYS = 10


# ---------------------------------------------------------------------------- forms


def _spec(form: CaseForm | CaseFormVersion) -> dict[str, Any]:
    return {
        "fields": form.fields_spec,
        "materials": form.materials_spec,
        "time_limit_days": form.time_limit_days,
    }


def form_view(form: CaseForm, versions: list[CaseFormVersion]) -> dict[str, Any]:
    return {
        "item_code": form.item_code,
        "version": form.version,
        **_spec(form),
        "updated_at": form.updated_at.isoformat(),
        "versions": [
            {"version": v.version, "defined_at": v.defined_at.isoformat(), "by": v.defined_by}
            for v in versions
        ],
    }


def version_view(v: CaseFormVersion) -> dict[str, Any]:
    return {
        "item_code": v.item_code,
        "version": v.version,
        **_spec(v),
        "defined_at": v.defined_at.isoformat(),
        "by": v.defined_by,
    }


async def _item(actor: OperatorPrincipal | None, item_code: str) -> ServiceItem:
    """The item, within the operator's scope (``actor`` None: the CLI or the seed)."""
    if actor is not None:
        return await item_in_scope(actor, item_code)
    item = await ServiceItem.get_or_none(code=item_code.strip().upper())
    if item is None:
        raise NotFound("No such service item.", item_code=item_code)
    return item


async def read_form(actor: OperatorPrincipal | None, item_code: str) -> dict[str, Any]:
    item = await _item(actor, item_code)
    form = await CaseForm.get_or_none(item_code=item.code)
    if form is None:
        raise CaseFormNotFound(item_code=item.code)
    versions = await CaseFormVersion.filter(item_code=item.code).order_by("version")
    return form_view(form, versions)


async def read_version(
    actor: OperatorPrincipal | None, item_code: str, version: int
) -> dict[str, Any]:
    item = await _item(actor, item_code)
    found = await CaseFormVersion.get_or_none(item_code=item.code, version=version)
    if found is None:
        raise CaseFormNotFound(item_code=item.code, version=version)
    return version_view(found)


async def form_version(item_code: str, version: int | None) -> CaseFormVersion | None:
    """The form a case was filed under (None for cases older than versioned forms)."""
    if version is None:
        return None
    return await CaseFormVersion.get_or_none(item_code=item_code, version=version)


async def define_form(
    item_code: str,
    fields_spec: list[dict[str, Any]],
    materials_spec: list[dict[str, Any]],
    time_limit_days: int | None = None,
    *,
    actor: OperatorPrincipal | None = None,
    expected_version: int | None = None,
    attachments_limit: int | None = None,
    reason: str | None = None,
) -> tuple[CaseForm, bool]:
    """Define or change the form; answers (form, changed).

    Defining the same form again changes nothing (no new version, no audit row), so seeding
    is idempotent. ``expected_version`` (0: not defined yet) refuses a change made on top
    of a form someone else has changed meanwhile.
    """
    item = await _item(actor, item_code)
    if actor is not None:
        require_role(actor, "department_operator")
    check_spec(fields_spec, materials_spec, time_limit_days, attachments_limit=attachments_limit)
    limit = (
        time_limit_days
        or int(item.guide.get("promised_time_limit_days") or 0)
        or DEFAULT_TIME_LIMIT_DAYS
    )
    current = await CaseForm.get_or_none(item_code=item.code)
    if expected_version is not None and expected_version != (current.version if current else 0):
        raise CaseFormChanged(version=current.version if current else 0)
    wanted = {"fields": fields_spec, "materials": materials_spec, "time_limit_days": limit}
    if current is not None and _spec(current) == wanted:
        return current, False
    version = current.version + 1 if current else 1
    now = clock.now()
    values = {
        "fields_spec": fields_spec,
        "materials_spec": materials_spec,
        "time_limit_days": limit,
        "updated_at": now,
    }
    try:
        async with in_transaction() as tx:
            if current is None:
                await CaseForm.create(item_code=item.code, version=1, using_db=tx, **values)
            else:
                moved = (
                    await CaseForm.filter(item_code=item.code, version=current.version)
                    .using_db(tx)
                    .update(version=version, **values)
                )
                if moved != 1:
                    raise CaseFormChanged(version=current.version)
            await CaseFormVersion.create(
                item_code=item.code,
                version=version,
                fields_spec=fields_spec,
                materials_spec=materials_spec,
                time_limit_days=limit,
                defined_at=now,
                defined_by=actor.username if actor else "system",
                using_db=tx,
            )
            await audit.record(
                actor,
                "define_case_form",
                "case_form",
                item.code,
                department=item.department_code,
                using=tx,
                before={"version": current.version, **_spec(current)} if current else None,
                after={"version": version, **wanted},
                reason=reason,
            )
    except IntegrityError as exc:  # two first definitions racing: the primary key decides
        raise CaseFormChanged(version=0) from exc
    return await CaseForm.get(item_code=item.code), True


# ---------------------------------------------------------------------------- desks


def desk_view(desk: CaseDesk, agency: Agency) -> dict[str, Any]:
    return {
        "id": desk.id,
        "agency_key": agency.key,
        "agency_name": agency.name,
        "agency_active": agency.active,
        "department_code": desk.department_code,
    }


def _desk_snapshot(desk: CaseDesk, agency: Agency) -> dict[str, Any]:
    return {"agency_key": agency.key, "department_code": desk.department_code}


async def list_desks(actor: OperatorPrincipal | None) -> list[dict[str, Any]]:
    query = CaseDesk.all().order_by("department_code", "id")
    if actor is not None and not actor.is_admin:
        query = query.filter(department_code__in=list(actor.departments))
    desks = await query
    agencies = {a.id: a for a in await Agency.filter(id__in=[d.agency_id for d in desks])}
    return [desk_view(d, agencies[d.agency_id]) for d in desks if d.agency_id in agencies]


async def bind_desk(
    agency_key: str,
    department_code: str,
    *,
    actor: OperatorPrincipal | None = None,
    reason: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Let the agency work the department's cases; answers (desk, created). Idempotent."""
    if actor is not None:
        require_role(actor, "department_operator")
        if not sees_department(actor, department_code):
            raise DepartmentUnknown(department_code=department_code)
    if not await Department.exists(code=department_code):
        raise DepartmentUnknown(department_code=department_code)
    agency = await Agency.get_or_none(key=agency_key, active=True)
    if agency is None:
        raise AgencyUnknown(agency_key=agency_key)
    existing = await CaseDesk.get_or_none(agency_id=agency.id, department_code=department_code)
    if existing is not None:
        return desk_view(existing, agency), False
    try:
        async with in_transaction() as tx:
            desk = await CaseDesk.create(
                agency_id=agency.id, department_code=department_code, using_db=tx
            )
            await audit.record(
                actor,
                "bind_case_desk",
                "case_desk",
                str(desk.id),
                department=department_code,
                using=tx,
                after=_desk_snapshot(desk, agency),
                reason=reason,
            )
    except IntegrityError:  # bound meanwhile by someone else: the unique key decides
        desk = await CaseDesk.get(agency_id=agency.id, department_code=department_code)
        return desk_view(desk, agency), False
    return desk_view(desk, agency), True


async def unbind_desk(
    desk_id: int, *, actor: OperatorPrincipal | None = None, reason: str | None = None
) -> None:
    """The agency stops seeing the department's cases at once (every request looks it up)."""
    if actor is not None:
        require_role(actor, "department_operator")
    desk = await CaseDesk.get_or_none(id=desk_id)
    if desk is None or (actor is not None and not sees_department(actor, desk.department_code)):
        raise CaseDeskNotFound(id=desk_id)
    agency = await Agency.get_or_none(id=desk.agency_id)
    async with in_transaction() as tx:
        removed = await CaseDesk.filter(id=desk.id).using_db(tx).delete()
        if removed != 1:
            raise CaseDeskNotFound(id=desk_id)
        await audit.record(
            actor,
            "unbind_case_desk",
            "case_desk",
            str(desk.id),
            department=desk.department_code,
            using=tx,
            before={
                "agency_key": agency.key if agency else None,
                "department_code": desk.department_code,
            },
            reason=reason,
        )
