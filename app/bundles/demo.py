"""The demo's bundles (一件事), loaded from ``app/bundles/data/*.yaml`` (idempotent).

Each file holds a bundle's departments (with the agency that works each one's cases), its
items with their forms, and the bundle definition itself, which goes through the same
check, review and publication as an operator's (the seeding system as author and
reviewer). Agency keys and secrets are written to ``var/demo-bundle-agencies.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from app.agency.models import Agency
from app.agency.signing import create_agency
from app.bundles import definitions
from app.bundles.models import BundleDefinition
from app.cases.setup import bind_desk, define_form
from app.catalog.items import create_item
from app.catalog.models import Department, ServiceItem
from infra.pii import PiiVault

DATA = Path(__file__).parent / "data"
REGION = "330100"


def shipped() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(DATA.glob("*.yaml"))]


# Where the demo's bundles are handled in person (the 一件事 windows of the city).
HALL = {
    "name": "杭州市民中心“一件事”综合窗口",
    "address": "杭州市上城区解放东路 18 号市民中心",
    "hours": "工作日 9:00-12:00 13:30-17:00",
    "phone": "12345",
}


def item_guide(spec: dict[str, Any], bundle: dict[str, Any]) -> dict[str, Any]:
    """The item's own guide (一次告知), listing every material its form requires."""
    return {
        "conditions": list(bundle["guide"]["conditions"]),
        "materials": [
            {"name": m["name"], "required": m.get("required", True), "copies": 1,
             "form": "original"}
            for m in spec["materials"]
        ],
        "fees": [],
        "legal_time_limit_days": spec["time_limit_days"] * 2,
        "promised_time_limit_days": spec["time_limit_days"],
        "legal_basis": [bundle["guide"]["legal_basis"]],
        "places": [HALL],
        "visits": 0,
        "contact": "12345",
    }  # fmt: skip


async def _item(spec: dict[str, Any], bundle: dict[str, Any]) -> None:
    if not await ServiceItem.exists(code=spec["code"]):
        await create_item(
            None,
            code=spec["code"],
            name=spec["name"],
            audience=spec.get("audience", "personal"),
            theme=spec["theme"],
            department=spec["department"],
            online_level=4,
            guide=item_guide(spec, bundle),
            keywords=["一件事", spec["name"]],
        )
    await define_form(spec["code"], spec["fields"], spec["materials"], spec["time_limit_days"])


async def _publish(document: dict[str, Any]) -> None:
    current = await BundleDefinition.get_or_none(
        code=document["code"], status="published"
    )
    if current is not None and current.document == document:
        return
    await definitions.create_definition(None, document)
    await definitions.submit(None, document["code"])
    await definitions.review(None, document["code"], "approve", "demo seed")
    await definitions.publish(None, document["code"])


async def seed(vault: PiiVault, var_dir: Path) -> dict[str, Any]:
    path = var_dir / "demo-bundle-agencies.json"
    known: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    for data in shipped():
        for d in data["departments"]:
            await Department.get_or_create(
                code=d["code"], defaults={"name": d["name"], "region_code": REGION}
            )
            entry = known.get(d["code"])
            if not (entry and await Agency.exists(key=entry["key"])):
                agency, secret = await create_agency(
                    vault, name=d["agency"], kind=d["kind"], region_code=REGION
                )
                known[d["code"]] = {"key": agency.key, "secret": secret, "name": d["agency"]}
            await bind_desk(known[d["code"]]["key"], d["code"])
        for spec in data["items"]:
            await _item(spec, data["bundle"])
        await _publish(data["bundle"])
    path.write_text(json.dumps(known, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    return known
