"""Operators define a 12345 category's Open311 service definition (its typed attributes).

Scoped like the rest of the operators' work: a department's operators define the categories
their department answers, platform admins every one, reviewers only read; a category outside
the scope is CATEGORY_NOT_FOUND, exactly like an unknown one. Each change is checked whole
(``attributes.check_definition``), stamps ``changed_at`` (discovery's changeset) and writes
its audit row in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from app.catalog import audit
from app.catalog.scope import require_role, sees_department
from app.errors import CategoryNotFound
from app.interactions.attributes import check_definition
from app.interactions.models import Category
from app.operators.auth import OperatorPrincipal
from infra import clock


async def category_in_scope(actor: OperatorPrincipal | None, code: str) -> Category:
    """The category, if the operator's departments answer it (``actor`` None: anyone)."""
    known = len(code) <= 32 and code.isprintable()  # nothing else can be a code
    category = await Category.get_or_none(code=code) if known else None
    if category is None or (
        actor is not None and not sees_department(actor, category.department_code)
    ):
        raise CategoryNotFound(service_code=code[:32])
    return category


def definition_view(category: Category) -> dict[str, Any]:
    """GeoReport's service definition: the code and its attributes in display order."""
    return {"service_code": category.code, "attributes": list(category.attributes or [])}


def operator_view(category: Category) -> dict[str, Any]:
    return {
        **definition_view(category),
        "department_code": category.department_code,
        "changed_at": category.changed_at.isoformat() if category.changed_at else None,
    }


async def define_attributes(
    actor: OperatorPrincipal | None, code: str, spec: Any, *, reason: str | None = None
) -> tuple[Category, bool]:
    """Define or change the category's attributes; answers (category, changed). Defining
    the same attributes again changes nothing (no stamp, no audit row)."""
    category = await category_in_scope(actor, code)
    if actor is not None:
        require_role(actor, "department_operator")
    attributes = check_definition(spec)
    if attributes == (category.attributes or []):
        return category, False
    async with in_transaction() as tx:
        current = await Category.select_for_update().using_db(tx).get(code=category.code)
        await (
            Category.filter(code=category.code)
            .using_db(tx)
            .update(attributes=attributes, changed_at=clock.now())
        )
        await audit.record(
            actor,
            "define_service_attributes",
            "category",
            category.code,
            department=category.department_code,
            using=tx,
            before=current.attributes or [],
            after=attributes,
            reason=reason,
        )
    return await Category.get(code=category.code), True


async def changeset() -> datetime | None:
    """When any service definition last changed (None: never, since the categories were
    seeded)."""
    latest = await Category.filter(changed_at__not_isnull=True).order_by("-changed_at").first()
    return latest.changed_at if latest else None
