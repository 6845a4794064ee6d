"""Service items: created with a checked code, retired but never deleted or reused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.catalog import audit
from app.catalog.codes import parse_code
from app.catalog.guides import FeeStandard, References, check_content
from app.catalog.models import Department, ItemVersion, ServiceItem, Theme
from app.catalog.regions import load_tree
from app.catalog.scope import require_role, sees_department, sees_regions
from app.catalog.search import index_item
from app.catalog.seed_data import reference
from app.catalog.states import OPEN_VERSION_STATES, move_item_version
from app.errors import InvalidInput, ItemCodeTaken, ItemRetired, NotFound
from app.operators.auth import OperatorPrincipal
from infra import clock
from infra.transitions import move


def item_dict(item: ServiceItem, latest: ItemVersion | None = None) -> dict[str, Any]:
    """The item as operators see it: what serves (``guide`` is the published guide, ``{}``
    while a draft) and where its newest version stands."""
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
        "latest_version": item.latest_version,
        "latest_status": latest.status if latest else None,
        "published_version": item.published_version,
    }


async def latest_versions(items: list[ServiceItem]) -> dict[int, ItemVersion]:
    """Each item's newest version, by item id, in one query."""
    if not items:
        return {}
    wanted = {(i.id, i.latest_version) for i in items}
    rows = await ItemVersion.filter(item_id__in=[item_id for item_id, _ in wanted])
    return {v.item_id: v for v in rows if (v.item_id, v.number) in wanted}


def version_dict(v: ItemVersion, *, with_content: bool) -> dict[str, Any]:
    def at(value: Any) -> str | None:
        return value.isoformat() if value else None

    shown: dict[str, Any] = {
        "number": v.number,
        "status": v.status,
        "source": v.source,
        "author": v.author_name,
        "note": v.note,
        "created_at": at(v.created_at),
        "submitted_by": v.submitted_by,
        "submitted_at": at(v.submitted_at),
        "reviewed_by": v.reviewer_name,
        "reviewed_at": at(v.reviewed_at),
        "review_note": v.review_note,
        "published_by": v.published_by,
        "published_at": at(v.published_at),
    }
    if with_content:
        shown["content"] = v.content
    return shown


RegisteredFees = Callable[[], Awaitable[dict[str, FeeStandard]]]


async def _none_registered() -> dict[str, FeeStandard]:
    return {}


_registered_fees: RegisteredFees = _none_registered


def use_registered_fees(lookup: RegisteredFees) -> None:
    """The fee items agencies registered live in the fees room, which imports the catalog;
    the composition root hands their lookup in here, so the catalog never imports fees."""
    global _registered_fees
    _registered_fees = lookup


async def references(form_materials: list[dict[str, Any]] | None) -> References:
    """Themes, e-licence types and fee items (the province's fee catalogue, then what
    agencies registered), as a guide is checked against."""
    fees = {
        row.item_code: FeeStandard(row.standard_fen, row.min_fen, row.max_fen)
        for row in reference().fee_catalogue
    }
    for code, standard in (await _registered_fees()).items():
        fees.setdefault(code, standard)
    return References(
        themes=frozenset(await Theme.all().values_list("code", flat=True)),
        licence_types=frozenset(t.code for t in reference().licence_types),
        fee_items=fees,
        form_materials=form_materials,
    )


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
    """The seed's way in (``actor`` None is the system): the item is checked like any
    operator's and published at once as version 1. Operators go through the library's
    review (``app.catalog.library``)."""
    parsed = parse_code(code)
    tree = await load_tree()
    tree.chain(parsed.region)  # UnknownRegion
    if not await Department.exists(code=department):
        raise InvalidInput(f"Unknown department {department}.", fields={"department": department})
    if actor is not None:
        require_role(actor, "department_operator")
        if not sees_department(actor, department) or not sees_regions(actor, tree, [parsed.region]):
            raise NotFound(f"Unknown department {department}.")
    doc = {
        "name": name,
        "audience": audience,
        "theme": theme,
        "online_level": online_level,
        "needs": list(needs or []),
        "keywords": list(keywords or []),
        "guide": guide,
    }
    content = check_content(doc, await references(None))
    now = clock.now()
    by = actor.username if actor else "system"
    try:
        async with in_transaction() as tx:
            item = await ServiceItem.create(
                code=str(parsed),
                basic_code=parsed.basic,
                name=content["name"],
                audience=content["audience"],
                theme_code=content["theme"],
                department_code=department,
                region_code=parsed.region,
                online_level=content["online_level"],
                needs=content["needs"],
                keywords=content["keywords"],
                guide=content["guide"],
                status="active",
                latest_version=1,
                published_version=1,
                created_at=now,
                using_db=tx,
            )
            await ItemVersion.create(
                item_id=item.id,
                number=1,
                status="published",
                content=content,
                source="system" if actor is None else "operator",
                author_id=actor.id if actor else None,
                author_name=by,
                created_at=now,
                published_by=by,
                published_at=now,
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
                after={"version": 1, "content": content},
            )
    except IntegrityError as exc:
        raise ItemCodeTaken(code=str(parsed)) from exc
    return item


async def retire_item(actor: OperatorPrincipal, code: str, reason: str) -> ServiceItem:
    """Off every channel at once (the caller bumps the catalog version after the commit);
    the code stays taken forever."""
    item = await item_in_scope(actor, code)
    require_role(actor, "department_operator")
    if item.status == "retired":
        raise ItemRetired(code=item.code)
    before = item.status
    async with in_transaction() as tx:
        if not await move(item, "retired", using=tx, retired_at=clock.now()):
            raise ItemRetired(code=item.code)
        for open_version in await ItemVersion.filter(
            item_id=item.id, status__in=OPEN_VERSION_STATES
        ).using_db(tx):
            await move_item_version(open_version, "replaced", using=tx)
        await audit.record(
            actor,
            "retire_item",
            "item",
            item.code,
            department=item.department_code,
            using=tx,
            before={"status": before, "published_version": item.published_version},
            after={"status": "retired", "published_version": item.published_version},
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
