"""Agencies syncing items from the provincial library (``POST /api/v1/agency/items``).

An operator names which agency feeds which department (``ItemFeed``). Records come in the
one batch shape of every agency import (``app.agency.batch``): each checked and applied on
its own, a bad one reported by index and field while the good ones land. A record is a
new version of its item: submitted for a second operator's review, or published at once
when the feed is trusted for the department. Content equal to the latest version is
``unchanged``, so a batch sent twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.agency.batch import CREATED, UNCHANGED, UPDATED, BatchImport, Outcome, RecordRefused
from app.agency.models import Agency
from app.catalog import audit
from app.catalog.codes import ItemCode, parse_code
from app.catalog.guides import CONTENT_KEYS, check_content
from app.catalog.library import ItemLibrary, publish_version, served
from app.catalog.models import Department, ItemFeed, ItemVersion, ServiceItem
from app.catalog.regions import load_tree
from app.catalog.scope import require_role, sees_department
from app.catalog.states import OPEN_VERSION_STATES, move_item_version
from app.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    ItemFeedMissing,
    ItemGuideInvalid,
    ItemRetired,
    NotFound,
)
from app.operators.auth import OperatorPrincipal
from infra import clock

MAX_RECORDS = 200
RECORD_KEYS = CONTENT_KEYS | {"item_code", "department"}


@dataclass(frozen=True)
class Record:
    code: ItemCode
    department: str
    content: dict[str, Any]


def check(raw: Any) -> Record:
    """The record's shape; the guide is checked whole when it is applied (it needs the
    item's case form)."""
    if not isinstance(raw, dict):
        raise RecordRefused("", InvalidInput.code, "A record is a JSON object.")
    unknown = sorted(set(raw) - RECORD_KEYS)
    if unknown:
        raise RecordRefused(unknown[0], InvalidInput.code, "Not a known field.")
    try:
        code = parse_code(raw.get("item_code") if isinstance(raw.get("item_code"), str) else "")
    except DomainError as exc:
        raise RecordRefused("item_code", exc.code, exc.message) from None
    department = raw.get("department")
    if not isinstance(department, str) or not 1 <= len(department) <= 32:
        raise RecordRefused("department", InvalidInput.code, "department is a department code.")
    return Record(code, department, {k: v for k, v in raw.items() if k in CONTENT_KEYS})


IMPORT = BatchImport(
    key="item_code",
    max_records=MAX_RECORDS,
    duplicate_message="This item code appears twice in the batch.",
    check=check,
    key_of=lambda record: str(record.code),
)


def feed_dict(feed: ItemFeed, agency: Agency) -> dict[str, Any]:
    return {
        "id": feed.id,
        "agency_key": agency.key,
        "agency_name": agency.name,
        "department": feed.department_code,
        "trusted": feed.trusted,
    }


@dataclass
class _Tally:
    published: int = 0
    awaiting_review: int = 0
    published_codes: list[str] = field(default_factory=list)


@dataclass
class ItemFeeds:
    library: ItemLibrary

    # ------------------------------------------------------------ operators manage feeds

    async def list(self, actor: OperatorPrincipal) -> list[dict[str, Any]]:
        feeds = await ItemFeed.all().order_by("id")
        agencies = {a.id: a for a in await Agency.filter(id__in=[f.agency_id for f in feeds])}
        return [
            feed_dict(f, agencies[f.agency_id])
            for f in feeds
            if sees_department(actor, f.department_code) and f.agency_id in agencies
        ]

    async def bind(
        self, actor: OperatorPrincipal, agency_key: str, department: str, trusted: bool
    ) -> tuple[dict[str, Any], bool]:
        """Answers (feed, created). Trusting a feed (publishing without review) is for
        platform admins only."""
        require_role(actor, "department_operator")
        if trusted and not actor.is_admin:
            raise Forbidden("Only a platform admin may trust a feed.", role=actor.role)
        if not sees_department(actor, department) or not await Department.exists(code=department):
            raise NotFound(f"Unknown department {department}.")
        agency = await Agency.get_or_none(key=agency_key, active=True)
        if agency is None:
            raise NotFound("No active agency has this key.")
        async with in_transaction() as tx:
            feed = await ItemFeed.get_or_none(
                agency_id=agency.id, department_code=department
            ).using_db(tx)
            created = feed is None
            before = None if feed is None else {"trusted": feed.trusted}
            if feed is None:
                feed = await ItemFeed.create(
                    agency_id=agency.id,
                    department_code=department,
                    trusted=trusted,
                    created_at=clock.now(),
                    using_db=tx,
                )
            elif feed.trusted != trusted:
                await ItemFeed.filter(id=feed.id).using_db(tx).update(trusted=trusted)
                feed.trusted = trusted
            else:
                return feed_dict(feed, agency), False
            await audit.record(
                actor,
                "item_feed.bind",
                "item_feed",
                f"{agency.key}:{department}",
                department=department,
                using=tx,
                before=before,
                after={"agency_key": agency.key, "trusted": trusted},
            )
        return feed_dict(feed, agency), created

    async def unbind(self, actor: OperatorPrincipal, feed_id: int) -> None:
        require_role(actor, "department_operator")
        feed = await ItemFeed.get_or_none(id=feed_id)
        if feed is None or not sees_department(actor, feed.department_code):
            raise NotFound("No such item feed.")
        agency = await Agency.get_or_none(id=feed.agency_id)
        async with in_transaction() as tx:
            await ItemFeed.filter(id=feed.id).using_db(tx).delete()
            await audit.record(
                actor,
                "item_feed.unbind",
                "item_feed",
                f"{agency.key if agency else feed.agency_id}:{feed.department_code}",
                department=feed.department_code,
                using=tx,
                before={"trusted": feed.trusted},
            )

    # ------------------------------------------------------------ agencies push items

    async def upsert(self, agency: Agency, raw_records: Any) -> dict[str, Any]:
        tally = _Tally()
        outcome: Outcome = await IMPORT.run(
            raw_records, lambda record: self._apply(agency, record, tally)
        )
        if tally.published:
            await self.library.cache.bump()
        return {
            **outcome.as_dict(),
            "published": tally.published,
            "awaiting_review": tally.awaiting_review,
        }

    async def _apply(self, agency: Agency, record: Record, tally: _Tally) -> str:
        code = str(record.code)
        feed = await ItemFeed.get_or_none(agency_id=agency.id, department_code=record.department)
        if feed is None:
            raise RecordRefused("department", ItemFeedMissing.code, ItemFeedMissing.message)
        tree = await load_tree()
        if record.code.region not in tree.parents:
            raise RecordRefused("item_code", "UNKNOWN_REGION", "The code's region is unknown.")
        try:
            content = check_content(record.content, await self.library.refs(code))
        except ItemGuideInvalid as refused:
            problems = refused.details["problems"]
            named = "; ".join(f"{p['field']} {p['problem']}" for p in problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise RecordRefused(problems[0]["field"], ItemGuideInvalid.code, named + more) from None
        item = await ServiceItem.get_or_none(code=code)
        if item is not None and item.department_code != record.department:
            raise RecordRefused("department", ItemFeedMissing.code, ItemFeedMissing.message)
        if item is not None and item.status == "retired":
            raise RecordRefused("item_code", ItemRetired.code, ItemRetired.message)
        if item is not None:
            latest = await ItemVersion.get_or_none(item_id=item.id, number=item.latest_version)
            if latest is not None and latest.content == content:
                return UNCHANGED
        try:
            result = await self._land(agency, feed, record, content, item, tally)
        except IntegrityError as exc:
            raise RecordRefused(
                "item_code", "CONFLICT", "A concurrent change won; send the record again."
            ) from exc
        return result

    async def _land(
        self,
        agency: Agency,
        feed: ItemFeed,
        record: Record,
        content: dict[str, Any],
        item: ServiceItem | None,
        tally: _Tally,
    ) -> str:
        now = clock.now()
        by = f"agency:{agency.key}"
        before = await served(item) if item is not None else None
        async with in_transaction() as tx:
            if item is None:
                item = await ServiceItem.create(
                    code=str(record.code),
                    basic_code=record.code.basic,
                    name=content["name"],
                    audience=content["audience"],
                    theme_code=content["theme"],
                    department_code=record.department,
                    region_code=record.code.region,
                    online_level=content["online_level"],
                    needs=content["needs"],
                    keywords=content["keywords"],
                    guide={},
                    status="draft",
                    latest_version=1,
                    created_at=now,
                    using_db=tx,
                )
                number, result = 1, CREATED
            else:
                number, result = item.latest_version + 1, UPDATED
                claimed = (
                    await ServiceItem.filter(id=item.id, latest_version=item.latest_version)
                    .using_db(tx)
                    .update(latest_version=number)
                )
                if claimed != 1:
                    raise RecordRefused(
                        "item_code", "ITEM_CHANGED", "The item changed meanwhile; send it again."
                    )
                item.latest_version = number
                for open_version in await ItemVersion.filter(
                    item_id=item.id, status__in=OPEN_VERSION_STATES
                ).using_db(tx):
                    await move_item_version(open_version, "replaced", using=tx)
            version = await ItemVersion.create(
                item_id=item.id,
                number=number,
                status="submitted" if not feed.trusted else "approved",
                content=content,
                source=by,
                author_name=by,
                created_at=now,
                submitted_at=now,
                using_db=tx,
            )
            if feed.trusted:
                await publish_version(item, version, by, tx)
                tally.published += 1
            else:
                tally.awaiting_review += 1
            await audit.record(
                None,
                "item.sync",
                "item",
                item.code,
                department=item.department_code,
                using=tx,
                before=before,
                after={"version": number, "status": version.status, "content": content},
                by=by,
            )
        return result
