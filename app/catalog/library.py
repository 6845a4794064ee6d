"""The item library's workflow: an operator drafts an item or a new version of it, submits it,
a second operator reviews it, and an operator publishes it to every channel at once.

Each version is a row (``ItemVersion``) moved through ``states.ITEM_VERSION``. A new version
is a compare-and-set on the item's ``latest_version`` (the editor's expected version), so
two editors cannot both build on the same version. Every step writes its audit row (the
version and content before and after) in its transaction; publishing and retiring bump the
catalog version after the commit, so every worker serves the change on its next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.catalog import audit
from app.catalog.codes import parse_code
from app.catalog.guides import CONTENT_KEYS, FormMaterials, References, check_content, problems_of
from app.catalog.items import item_dict, item_in_scope, references, version_dict
from app.catalog.models import Department, ItemVersion, ServiceItem
from app.catalog.regions import load_tree
from app.catalog.scope import require_role, sees_department, sees_regions
from app.catalog.search import index_item
from app.catalog.states import OPEN_VERSION_STATES, move_item_version
from app.catalog.views import CatalogCache
from app.errors import (
    InvalidInput,
    ItemChanged,
    ItemCodeTaken,
    ItemGuideInvalid,
    ItemNotReviewed,
    ItemRetired,
    NotFound,
    SelfReview,
    WorkflowConflict,
)
from app.operators.auth import OperatorPrincipal
from infra import clock
from infra.transitions import move

AUTHORS = ("department_operator",)
REVIEWERS = ("reviewer",)
CREATE_KEYS = CONTENT_KEYS | {"code", "department", "region", "note"}
REVISE_KEYS = CONTENT_KEYS | {"expected_version", "note"}


def _note(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > 500:
        raise InvalidInput("note is a text of at most 500 characters.", field="note")
    return raw.strip() or None


def _unknown(body: dict, allowed: frozenset[str]) -> list[dict[str, str]]:
    return [{"field": k, "problem": "is not a known field"} for k in sorted(set(body) - allowed)]


def _content_of(body: dict) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in CONTENT_KEYS}


def _wanted_number(body: dict) -> int | None:
    raw = body.get("version")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 2**31 - 1:
        raise InvalidInput("version is a whole number from 1.", field="version")
    return raw


@dataclass
class ItemLibrary:
    cache: CatalogCache
    # The cases room's forms, wired by the composition root (None: no agreement check).
    form_materials: FormMaterials | None = None

    async def refs(self, code: str) -> References:
        form = await self.form_materials(code) if self.form_materials else None
        return await references(form)

    # ------------------------------------------------------------------ reading

    async def detail(self, actor: OperatorPrincipal, code: str) -> dict[str, Any]:
        item = await item_in_scope(actor, code)
        versions = await ItemVersion.filter(item_id=item.id).order_by("-number")
        latest = versions[0] if versions else None
        published = next((v for v in versions if v.number == item.published_version), None)
        return {
            **item_dict(item, latest),
            "latest": latest.content if latest else None,
            "published": published.content if published else None,
            "versions": [version_dict(v, with_content=False) for v in versions],
        }

    async def version(self, actor: OperatorPrincipal, code: str, number: int) -> dict[str, Any]:
        item = await item_in_scope(actor, code)
        found = await ItemVersion.get_or_none(item_id=item.id, number=number)
        if found is None:
            raise NotFound(f"Item {item.code} has no version {number}.")
        return version_dict(found, with_content=True)

    async def validate(self, actor: OperatorPrincipal, body: dict) -> dict[str, Any]:
        problems = _unknown(body, CREATE_KEYS | {"expected_version"})
        code = body.get("code")
        refs = await self.refs(code) if isinstance(code, str) else await references(None)
        problems += problems_of(_content_of(body), refs)
        if problems:
            raise ItemGuideInvalid(problems=problems)
        return check_content(_content_of(body), refs)

    async def agreement(self, actor: OperatorPrincipal, code: str) -> dict[str, Any]:
        """The published (or, for a draft, the latest) content against today's case form."""
        item = await item_in_scope(actor, code)
        number = item.published_version or item.latest_version
        version = await ItemVersion.get_or_none(item_id=item.id, number=number)
        if version is None:
            return {"code": item.code, "version": None, "agrees": True, "problems": []}
        problems = problems_of(version.content, await self.refs(item.code))
        return {
            "code": item.code,
            "version": number,
            "agrees": not problems,
            "problems": problems,
        }

    # ------------------------------------------------------------------ writing

    async def create(self, actor: OperatorPrincipal, body: dict) -> ServiceItem:
        require_role(actor, *AUTHORS)
        parsed = parse_code(body.get("code") if isinstance(body.get("code"), str) else "")
        department = body.get("department")
        note = _note(body.get("note"))
        if not isinstance(department, str) or not sees_department(actor, department):
            raise NotFound(f"Unknown department {department}.")
        tree = await load_tree()
        if not await Department.exists(code=department) or not sees_regions(
            actor, tree, [parsed.region]
        ):
            raise NotFound(f"Unknown department {department}.")
        problems = _unknown(body, CREATE_KEYS)
        if body.get("region") != parsed.region:
            problems.append(
                {"field": "region", "problem": f"is the code's region, {parsed.region}"}
            )
        problems += problems_of(_content_of(body), await self.refs(str(parsed)))
        if problems:
            raise ItemGuideInvalid(problems=problems)
        content = check_content(_content_of(body), await self.refs(str(parsed)))
        if await ServiceItem.exists(code=str(parsed)):
            raise ItemCodeTaken(code=str(parsed))
        now = clock.now()
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
                    guide={},
                    status="draft",
                    latest_version=1,
                    created_at=now,
                    using_db=tx,
                )
                version = await ItemVersion.create(
                    item_id=item.id,
                    number=1,
                    status="draft",
                    content=content,
                    note=note,
                    source="operator",
                    author_id=actor.id,
                    author_name=actor.username,
                    created_at=now,
                    using_db=tx,
                )
                await audit.record(
                    actor,
                    "item.create",
                    "item",
                    item.code,
                    department=department,
                    using=tx,
                    after={"version": 1, "status": version.status, "content": content},
                    reason=note,
                )
        except IntegrityError as exc:
            raise ItemCodeTaken(code=str(parsed)) from exc
        return item

    async def revise(self, actor: OperatorPrincipal, code: str, body: dict) -> ServiceItem:
        item = await item_in_scope(actor, code)
        require_role(actor, *AUTHORS)
        if item.status == "retired":
            raise ItemRetired(code=item.code)
        expected = body.get("expected_version")
        if isinstance(expected, bool) or not isinstance(expected, int):
            raise InvalidInput(
                "expected_version is the latest_version you read.", field="expected_version"
            )
        if expected != item.latest_version:
            raise ItemChanged(latest_version=item.latest_version)
        note = _note(body.get("note"))
        refs = await self.refs(item.code)
        problems = _unknown(body, REVISE_KEYS) + problems_of(_content_of(body), refs)
        if problems:
            raise ItemGuideInvalid(problems=problems)
        content = check_content(_content_of(body), refs)
        previous = await ItemVersion.get_or_none(item_id=item.id, number=expected)
        number = expected + 1
        async with in_transaction() as tx:
            claimed = (
                await ServiceItem.filter(id=item.id, latest_version=expected)
                .using_db(tx)
                .update(latest_version=number)
            )
            if claimed != 1:
                fresh = await ServiceItem.get(id=item.id).using_db(tx)
                raise ItemChanged(latest_version=fresh.latest_version)
            for open_version in await ItemVersion.filter(
                item_id=item.id, status__in=OPEN_VERSION_STATES
            ).using_db(tx):
                await move_item_version(open_version, "replaced", using=tx)
            version = await ItemVersion.create(
                item_id=item.id,
                number=number,
                status="draft",
                content=content,
                note=note,
                source="operator",
                author_id=actor.id,
                author_name=actor.username,
                created_at=clock.now(),
                using_db=tx,
            )
            await audit.record(
                actor,
                "item.revise",
                "item",
                item.code,
                department=item.department_code,
                using=tx,
                before={"version": expected, "content": previous.content if previous else None},
                after={"version": number, "status": version.status, "content": content},
                reason=note,
            )
        item.latest_version = number
        return item

    async def _latest(self, item: ServiceItem, wanted: int | None) -> ItemVersion:
        if item.status == "retired":
            raise ItemRetired(code=item.code)
        if wanted is not None and wanted != item.latest_version:
            raise ItemChanged(latest_version=item.latest_version)
        version = await ItemVersion.get_or_none(item_id=item.id, number=item.latest_version)
        if version is None:
            raise NotFound(f"Item {item.code} has no version yet.")
        return version

    async def submit(self, actor: OperatorPrincipal, code: str, body: dict) -> ItemVersion:
        item = await item_in_scope(actor, code)
        require_role(actor, *AUTHORS)
        version = await self._latest(item, _wanted_number(body))
        if version.status != "draft":
            raise WorkflowConflict(f"Version {version.number} is {version.status}, not a draft.")
        # The case form may have changed since the draft was written.
        check_content(version.content, await self.refs(item.code))
        async with in_transaction() as tx:
            await move_item_version(
                version, "submitted", using=tx, submitted_by=actor.id, submitted_at=clock.now()
            )
            await audit.record(
                actor,
                "item.submit",
                "item",
                item.code,
                department=item.department_code,
                using=tx,
                before={"version": version.number, "status": "draft"},
                after={"version": version.number, "status": "submitted"},
            )
        return version

    async def review(self, actor: OperatorPrincipal, code: str, body: dict) -> ItemVersion:
        item = await item_in_scope(actor, code)
        require_role(actor, *REVIEWERS)
        decision = body.get("decision")
        if decision not in ("approve", "reject"):
            raise InvalidInput("decision is approve or reject.", field="decision")
        note = _note(body.get("note"))
        if decision == "reject" and not note:
            raise InvalidInput("A rejection needs a note saying why.", field="note")
        version = await self._latest(item, _wanted_number(body))
        if actor.id in (version.author_id, version.submitted_by):
            raise SelfReview()
        if version.status != "submitted":
            raise WorkflowConflict(
                f"Version {version.number} is {version.status}; only a submitted one is reviewed."
            )
        dst = "approved" if decision == "approve" else "rejected"
        async with in_transaction() as tx:
            await move_item_version(
                version,
                dst,
                using=tx,
                reviewed_by=actor.id,
                reviewer_name=actor.username,
                reviewed_at=clock.now(),
                review_note=note,
            )
            await audit.record(
                actor,
                f"item.{decision}",
                "item",
                item.code,
                department=item.department_code,
                using=tx,
                before={"version": version.number, "status": "submitted"},
                after={"version": version.number, "status": dst},
                reason=note,
            )
        return version

    async def publish(self, actor: OperatorPrincipal, code: str, body: dict) -> ServiceItem:
        item = await item_in_scope(actor, code)
        require_role(actor, *AUTHORS)
        version = await self._latest(item, _wanted_number(body))
        if version.status in ("draft", "submitted", "rejected"):
            raise ItemNotReviewed(version=version.number, status=version.status)
        if version.status != "approved":
            raise WorkflowConflict(f"Version {version.number} is {version.status}.")
        check_content(version.content, await self.refs(item.code))
        before = await served(item)
        async with in_transaction() as tx:
            await publish_version(item, version, actor.username, tx)
            await audit.record(
                actor,
                "item.publish",
                "item",
                item.code,
                department=item.department_code,
                using=tx,
                before=before,
                after={"version": version.number, "content": version.content},
            )
        await self.cache.bump()
        return item


async def served(item: ServiceItem) -> dict[str, Any]:
    """What residents were served before a change: the published version and its content."""
    if item.published_version is None:
        return {"version": None, "content": None, "status": item.status}
    version = await ItemVersion.get_or_none(item_id=item.id, number=item.published_version)
    return {
        "version": item.published_version,
        "content": version.content if version else None,
        "status": item.status,
    }


async def publish_version(
    item: ServiceItem, version: ItemVersion, by: str, tx: BaseDBAsyncClient
) -> None:
    """Serve ``version``: the previous published one is superseded, the item mirrors the
    content, and the search index follows, all in the caller's transaction."""
    content = version.content
    await move_item_version(
        version, "published", using=tx, published_by=by, published_at=clock.now()
    )
    if item.published_version is not None:
        previous = await ItemVersion.get_or_none(
            item_id=item.id, number=item.published_version
        ).using_db(tx)
        if previous is not None and previous.status == "published":
            await move_item_version(previous, "superseded", using=tx)
    mirrored = {
        "name": content["name"],
        "audience": content["audience"],
        "theme_code": content["theme"],
        "online_level": content["online_level"],
        "needs": content["needs"],
        "keywords": content["keywords"],
        "guide": content["guide"],
        "published_version": version.number,
    }
    if item.status == "draft":
        if not await move(item, "active", using=tx, **mirrored):
            raise WorkflowConflict("Someone else changed this item first; reload and retry.")
    else:
        changed = (
            await ServiceItem.filter(id=item.id, published_version=item.published_version)
            .using_db(tx)
            .update(**mirrored)
        )
        if changed != 1:
            raise WorkflowConflict("Someone else published this item first; reload and retry.")
        for name, value in mirrored.items():
            setattr(item, name, value)
    await index_item(item)
