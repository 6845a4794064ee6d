"""Mini-app manifests: the shape (pydantic) and the rules that need the catalog.

Every problem is collected and reported at once, each with the field it concerns, so an
operator fixes a manifest in one pass: ``{"field": "items[1]", "problem": "..."}``.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.catalog.channels import CAPABILITIES, CHANNEL_CAPABILITIES, CHANNELS
from app.catalog.codes import parse_code
from app.catalog.models import Department, ServiceItem
from app.catalog.regions import RegionTree
from app.errors import InvalidItemCode, ManifestInvalid

_NATIVE_PAGE = re.compile(r"^pages/[a-z0-9_\-/]+$")


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["native", "h5"]
    page: str | None = Field(default=None, max_length=128)
    url: str | None = Field(default=None, max_length=512)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9\-]{2,47}$")
    name: str = Field(min_length=2, max_length=64)
    icon: str = Field(min_length=1, max_length=512)
    department: str = Field(min_length=1, max_length=32)
    entry: Entry
    items: list[str] = Field(min_length=1, max_length=50)
    regions: list[str] = Field(min_length=1, max_length=100)
    channels: list[Literal["app", "wechat", "alipay"]] = Field(min_length=1)
    verification: Literal["none", "login", "verified"] = "login"
    capabilities: list[str] = Field(default_factory=list)
    # Why a channel that could serve the mini-app is left out (parity must explain it).
    exclusions: dict[str, str] = Field(default_factory=dict)


def _pydantic_problems(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "manifest", "problem": err["msg"]}
        for err in exc.errors()
    ]


def parse_manifest(data: object) -> Manifest:
    if not isinstance(data, dict):
        raise ManifestInvalid(problems=[{"field": "manifest", "problem": "must be a mapping"}])
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise ManifestInvalid(problems=_pydantic_problems(exc)) from exc


def _entry_problems(entry: Entry) -> list[dict[str, str]]:
    if entry.type == "native":
        if not entry.page or not _NATIVE_PAGE.match(entry.page):
            return [
                {"field": "entry.page", "problem": "a native entry is a page like pages/x/index"}
            ]
        return []
    url = urlsplit(entry.url or "")
    if url.scheme != "https" or not url.hostname:
        return [
            {
                "field": "entry.url",
                "problem": f"an H5 entry must be an https:// URL (got {entry.url!r})",
            }
        ]
    return []


def _channel_problems(m: Manifest) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    for i, cap in enumerate(m.capabilities):
        if cap not in CAPABILITIES:
            problems.append(
                {
                    "field": f"capabilities[{i}]",
                    "problem": f"unknown capability {cap!r}; known: {', '.join(CAPABILITIES)}",
                }
            )
    for channel in m.channels:
        lacking = sorted(set(m.capabilities) & set(CAPABILITIES) - CHANNEL_CAPABILITIES[channel])
        if lacking:
            problems.append(
                {
                    "field": "channels",
                    "problem": f"channel {channel} lacks {', '.join(lacking)}; "
                    "drop the channel or the capability",
                }
            )
    for channel in CHANNELS:
        if channel in m.channels:
            continue
        lacking = set(m.capabilities) - CHANNEL_CAPABILITIES[channel]
        if not lacking and not m.exclusions.get(channel, "").strip():
            problems.append(
                {
                    "field": f"exclusions.{channel}",
                    "problem": f"channel {channel} could serve this mini-app; say why it is "
                    "left out, or add it to channels",
                }
            )
    return problems


async def validate_manifest(
    data: object, tree: RegionTree, *, department_scope: tuple[str, ...] | None = None
) -> Manifest:
    """The manifest if it is publishable, else ManifestInvalid with every problem listed.

    ``department_scope`` (an operator's departments) makes another department's manifest a
    problem too; None means any department (platform admins).
    """
    manifest = parse_manifest(data)
    problems = _entry_problems(manifest.entry) + _channel_problems(manifest)
    department = await Department.get_or_none(code=manifest.department)
    if department is None or (
        department_scope is not None and manifest.department not in department_scope
    ):
        problems.append(
            {"field": "department", "problem": f"unknown department {manifest.department!r}"}
        )
    for i, region in enumerate(manifest.regions):
        if region not in tree.parents:
            problems.append({"field": f"regions[{i}]", "problem": f"unknown region {region!r}"})
    known = {
        row["code"]: row
        for row in await ServiceItem.filter(code__in=manifest.items).values(
            "code", "status", "department_code", "region_code"
        )
    }
    for i, code in enumerate(manifest.items):
        try:
            parse_code(code)
        except InvalidItemCode as exc:
            problems.append({"field": f"items[{i}]", "problem": exc.message})
            continue
        row = known.get(code)
        if row is None or (
            department_scope is not None and row["department_code"] not in department_scope
        ):
            problems.append({"field": f"items[{i}]", "problem": f"unknown service item {code}"})
        elif row["status"] != "active":
            problems.append({"field": f"items[{i}]", "problem": f"service item {code} is retired"})
    if problems:
        raise ManifestInvalid(problems=problems)
    return manifest
