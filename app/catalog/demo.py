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

from app.catalog.items import create_item
from app.catalog.models import Department, Region, ServiceItem, Synonym, Theme
from app.catalog.seed_data import demo_items, demo_operators, reference
from app.operators.auth import create_operator
from app.operators.models import Operator


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
