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


def _guide(spec: dict[str, Any]) -> dict[str, Any]:
    """The item's guide in the catalog's shape: it lists every material its form asks for."""
    days = spec["time_limit_days"]
    return {
        "conditions": spec.get("conditions") or [f"符合“{spec['name']}”办理条件的申请人"],
        "materials": [
            {
                "name": m["name"],
                "required": bool(m.get("required")),
                "copies": 1,
                "form": "original",
            }
            for m in spec["materials"]
        ],
        "fees": [],
        "legal_time_limit_days": days,
        "promised_time_limit_days": days,
        "legal_basis": spec.get("legal_basis") or ["《浙江省保障“最多跑一次”改革规定》"],
        "places": [
            {
                "name": "各区政务服务中心“一件事”综合窗口",
                "address": "杭州市各区政务服务中心",
                "hours": "工作日 9:00-12:00 13:30-17:00",
                "phone": "12345",
            }
        ],
        "visits": 1,
        "contact": "12345",
    }


async def _item(spec: dict[str, Any]) -> None:
    if not await ServiceItem.exists(code=spec["code"]):
        await create_item(
            None,
            code=spec["code"],
            name=spec["name"],
            audience=spec.get("audience", "personal"),
            theme=spec["theme"],
            department=spec["department"],
            online_level=4,
            guide=_guide(spec),
            keywords=["一件事", spec["name"]],
        )
    await define_form(spec["code"], spec["fields"], spec["materials"], spec["time_limit_days"])


async def _publish(document: dict[str, Any]) -> None:
    current = await BundleDefinition.get_or_none(code=document["code"], status="published")
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
            await _item(spec)
        await _publish(data["bundle"])
    path.write_text(json.dumps(known, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    return known
