"""Seeding the catalog from its data files (``app/catalog/data/``, read by ``seed_data``):
the reference data (16 provincial themes, a Zhejiang region tree, departments, search
synonyms), then the demo's service items (挂号, 违章/罚款, 学费/考试费, 社保, ...) and operators.

Idempotent: reference rows are upserted and items created only when their code is absent,
so ``yiwang serve --demo`` can run it on every start and tests can call it after ``clean``.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from tortoise.transactions import in_transaction

from app.catalog import audit
from app.catalog.guides import check_content
from app.catalog.items import create_item, references
from app.catalog.library import publish_version
from app.catalog.models import Department, ItemVersion, Region, ServiceItem, Synonym, Theme
from app.catalog.seed_data import ItemRow, demo_items, demo_operators, reference
from app.operators.auth import create_operator
from app.operators.models import Operator
from infra import clock


async def seed_reference() -> None:
    ref = reference()
    for position, theme in enumerate(ref.themes, start=1):
        await Theme.update_or_create(
            code=theme.code, defaults={"name": theme.name, "position": position}
        )
    for region in ref.regions:
        await Region.update_or_create(
            code=region.code,
            defaults={"name": region.name, "parent_code": region.parent, "level": region.level},
        )
    for dept in ref.departments:
        await Department.update_or_create(
            code=dept.code, defaults={"name": dept.name, "region_code": dept.region}
        )
    for synonym in ref.synonyms:
        await Synonym.get_or_create(term=synonym.term, means=synonym.means)


async def seed_catalog() -> int:
    """Reference data and items; returns how many items were created."""
    await seed_reference()
    created = 0
    existing = set(await ServiceItem.all().values_list("code", flat=True))
    for item in demo_items():
        if item.code in existing:
            await refresh_seeded(item)
            continue
        await create_item(
            None,
            code=item.code,
            name=item.name,
            audience=item.audience,
            theme=item.theme,
            department=item.department,
            online_level=item.online_level,
            guide=item.guide,
            needs=item.needs,
            keywords=item.keywords,
        )
        created += 1
    return created


async def refresh_seeded(row: ItemRow) -> None:
    """A seeded item whose serving version the seed itself wrote follows its data file (an
    install from before guides were structured gets them); an item an operator or agency
    has changed since is theirs, and left alone."""
    item = await ServiceItem.get(code=row.code)
    latest = await ItemVersion.get_or_none(item_id=item.id, number=item.latest_version)
    if item.status != "active" or latest is None or latest.source != "system":
        return
    doc = row.model_dump(include={"name", "audience", "theme", "online_level", "needs",
                                  "keywords", "guide"})  # fmt: skip
    content = check_content(doc, await references(None))
    if content == latest.content:
        return
    now = clock.now()
    async with in_transaction() as tx:
        number = item.latest_version + 1
        claimed = (
            await ServiceItem.filter(id=item.id, latest_version=item.latest_version)
            .using_db(tx)
            .update(latest_version=number)
        )
        if claimed != 1:
            return  # someone is editing it right now: theirs
        version = await ItemVersion.create(
            item_id=item.id, number=number, status="approved", content=content,
            source="system", author_name="system", created_at=now, using_db=tx,
        )  # fmt: skip
        await publish_version(item, version, "system", tx)
        await audit.record(
            None, "item.seed", "item", item.code, department=item.department_code, using=tx,
            before={"version": number - 1, "content": latest.content},
            after={"version": number, "content": content},
        )  # fmt: skip


async def seed_demo_operators(var_dir: Path) -> None:
    """Demo operator accounts; their passwords are written once to var/demo-operators.json."""
    path = var_dir / "demo-operators.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    for op in demo_operators():
        if op.username in known and await Operator.exists(username=op.username):
            continue
        await Operator.filter(username=op.username).delete()
        password = secrets.token_urlsafe(12)
        await create_operator(
            username=op.username,
            password=password,
            role=op.role,
            departments=op.departments,
            regions=op.regions,
        )
        known[op.username] = {
            "password": password,
            "role": op.role,
            "departments": op.departments,
        }
    path.write_text(json.dumps(known, ensure_ascii=False, indent=2))
    path.chmod(0o600)


async def seed(var_dir: Path) -> None:
    await seed_catalog()
    await seed_demo_operators(var_dir)
