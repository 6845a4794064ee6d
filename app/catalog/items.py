"""Service items: created with a checked code, retired but never deleted or reused."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.catalog import audit
from app.catalog.codes import parse_code
from app.catalog.models import Department, ServiceItem, Theme
from app.catalog.regions import load_tree
from app.catalog.scope import require_role, sees_department, sees_regions
from app.catalog.search import index_item
from app.errors import InvalidInput, ItemCodeTaken, NotFound
from app.operators.auth import OperatorPrincipal
from infra import clock
from infra.transitions import move

AUDIENCES = ("personal", "legal")


def item_dict(item: ServiceItem) -> dict[str, Any]:
    return {
        "code": item.code,
        "basic_code": item.basic_code,
        "name": item.name,
        "audience": item.audience,
        "theme": item.theme_code,
        "department": item.department_code,
        "region": item.region_code,
        "online_level": item.online_level,
        "needs": list(item.needs),
        "keywords": list(item.keywords),
        "guide": item.guide,
        "status": item.status,
    }


async def create_item(
    actor: OperatorPrincipal | None,
    *,
    code: str,
    name: str,
    audience: str,
    theme: str,
    department: str,
    online_level: int,
    guide: dict[str, Any],
    needs: list[str] | None = None,
    keywords: list[str] | None = None,
) -> ServiceItem:
    """``actor`` None is the seeding system; an operator must own the department and region."""
    parsed = parse_code(code)
    if audience not in AUDIENCES:
        raise InvalidInput("audience is personal or legal.", fields={"audience": audience})
    if not 1 <= online_level <= 5:
        raise InvalidInput("online_level is 1 to 5.", fields={"online_level": str(online_level)})
    tree = await load_tree()
    tree.chain(parsed.region)  # UnknownRegion
    if not await Theme.exists(code=theme):
        raise InvalidInput(f"Unknown theme {theme}.", fields={"theme": theme})
    if not await Department.exists(code=department):
        raise InvalidInput(f"Unknown department {department}.", fields={"department": department})
    if actor is not None:
        require_role(actor, "department_operator")
        if not sees_department(actor, department) or not sees_regions(actor, tree, [parsed.region]):
            raise NotFound(f"Unknown department {department}.")
    try:
        async with in_transaction() as tx:
            item = await ServiceItem.create(
                code=str(parsed),
                basic_code=parsed.basic,
                name=name,
                audience=audience,
                theme_code=theme,
                department_code=department,
                region_code=parsed.region,
                online_level=online_level,
                needs=list(needs or []),
                keywords=list(keywords or []),
                guide=guide,
                created_at=clock.now(),
                using_db=tx,
            )
            await index_item(item)
            await audit.record(
                actor,
                "create_item",
                "item",
                item.code,
                department=department,
                using=tx,
                after=item_dict(item),
            )
    except IntegrityError as exc:
        raise ItemCodeTaken(code=str(parsed)) from exc
    return item


async def retire_item(actor: OperatorPrincipal, code: str, reason: str) -> ServiceItem:
    item = await item_in_scope(actor, code)
    require_role(actor, "department_operator")
    async with in_transaction() as tx:
        retired = item.status == "active" and await move(
            item, "retired", using=tx, retired_at=clock.now()
        )
        if not retired:
            raise InvalidInput(f"Item {code} is already retired.")
        await audit.record(
            actor,
            "retire_item",
            "item",
            item.code,
            department=item.department_code,
            using=tx,
            before={"status": "active"},
            after={"status": "retired"},
            reason=reason or None,
        )
    return item


async def item_in_scope(actor: OperatorPrincipal, code: str) -> ServiceItem:
    item = await ServiceItem.get_or_none(code=code.strip().upper())
    if item is None or not sees_department(actor, item.department_code):
        raise NotFound(f"No service item {code}.")
    if not sees_regions(actor, await load_tree(), [item.region_code]):
        raise NotFound(f"No service item {code}.")
    return item


async def items_in_scope(actor: OperatorPrincipal) -> list[ServiceItem]:
    query = ServiceItem.all().order_by("code")
    if not actor.is_admin:
        query = query.filter(department_code__in=list(actor.departments))
    tree = await load_tree()
    return [i for i in await query if sees_regions(actor, tree, [i.region_code])]
