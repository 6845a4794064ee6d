"""What a channel shows: the same service set on app, WeChat and Alipay for a region.

Nothing is dropped per channel. An entry a channel cannot serve is listed with
``available: false`` and the reason. Views are cached per (catalog version, channel,
region). The version is one Redis counter that every publish bumps, so each worker notices
on its next request. The ETag is a hash of the body, so If-None-Match is exact.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from app.catalog.channels import CHANNELS, lack_reason, missing_capabilities
from app.catalog.models import Department, MiniApp, MiniAppVersion, ServiceItem, Theme
from app.catalog.regions import RegionTree, load_tree
from app.errors import InvalidInput

VERSION_KEY = "catalog:version"


@dataclass(frozen=True)
class Snapshot:
    """Everything a view is built from, loaded in a handful of queries."""

    tree: RegionTree
    items: list[ServiceItem]
    themes: dict[str, str]
    departments: dict[str, str]
    miniapps: list[MiniApp]
    manifests: dict[tuple[str, int], dict]


async def load_snapshot() -> Snapshot:
    apps = await MiniApp.filter(release__in=("grey", "full")).order_by("id")
    wanted = {(a.id, n) for a in apps for n in (a.live_version, a.stable_version) if n}
    manifests: dict[tuple[str, int], dict] = {}
    if wanted:
        rows = await MiniAppVersion.filter(
            miniapp_id__in=[a for a, _ in wanted], number__in=[n for _, n in wanted]
        ).values("miniapp_id", "number", "manifest")
        manifests = {
            (r["miniapp_id"], r["number"]): r["manifest"]
            for r in rows
            if (r["miniapp_id"], r["number"]) in wanted
        }
    return Snapshot(
        tree=await load_tree(),
        items=await ServiceItem.filter(status="active").order_by("code"),
        themes=dict(await Theme.all().values_list("code", "name")),
        departments=dict(await Department.all().values_list("code", "name")),
        miniapps=list(apps),
        manifests=manifests,
    )


def serving_version(app: MiniApp, tree: RegionTree, region: str) -> int | None:
    """Which version of the mini-app a resident in ``region`` gets, if any.

    In a grey release the new version serves the grey regions and the stable one the rest.
    """
    if app.release == "full":
        return app.live_version
    if app.release == "grey":
        if any(tree.covers(g, region) for g in app.grey_regions):
            return app.live_version
        return app.stable_version
    return None


def item_entry(item: ServiceItem, snap: Snapshot, channel: str) -> dict[str, Any]:
    missing = missing_capabilities(channel, item.needs)
    return {
        "code": item.code,
        "basic_code": item.basic_code,
        "name": item.name,
        "audience": item.audience,
        "theme": snap.themes.get(item.theme_code, item.theme_code),
        "department": snap.departments.get(item.department_code, item.department_code),
        "region": item.region_code,
        "online_level": item.online_level,
        "available": not missing,
        "reason": lack_reason(channel, missing) if missing else None,
        "href": item_href(item.code),
    }


def item_href(code: str) -> str:
    """Where a channel reads the item's guide (GET /api/v1/items/{code})."""
    return f"/api/v1/items/{code}"


def miniapp_reason(manifest: dict, channel: str) -> str | None:
    if channel in manifest["channels"]:
        return None
    missing = missing_capabilities(channel, manifest.get("capabilities", []))
    if missing:
        return lack_reason(channel, missing)
    return manifest.get("exclusions", {}).get(channel) or None


def miniapp_entry(manifest: dict, number: int, channel: str) -> dict[str, Any]:
    reason = miniapp_reason(manifest, channel)
    return {
        "id": manifest["id"],
        "name": manifest["name"],
        "icon": manifest["icon"],
        "entry": manifest["entry"],
        "version": number,
        "items": manifest["items"],
        "verification": manifest.get("verification", "login"),
        "available": channel in manifest["channels"],
        "reason": reason,
    }


def visible_miniapps(snap: Snapshot, region: str) -> list[tuple[dict, int]]:
    out: list[tuple[dict, int]] = []
    for app in snap.miniapps:
        number = serving_version(app, snap.tree, region)
        manifest = snap.manifests.get((app.id, number)) if number else None
        if manifest and any(snap.tree.covers(r, region) for r in manifest["regions"]):
            out.append((manifest, number))  # type: ignore[arg-type]
    return out


def build_view(snap: Snapshot, channel: str, region: str) -> dict[str, Any]:
    chain = snap.tree.chain(region)
    apps = visible_miniapps(snap, region)
    offered: dict[str, list[str]] = {}
    for manifest, _ in apps:
        for code in manifest["items"]:
            offered.setdefault(code, []).append(manifest["id"])
    items = []
    for item in snap.items:
        if item.region_code in chain:
            entry = item_entry(item, snap, channel)
            entry["miniapps"] = offered.get(item.code, [])
            items.append(entry)
    return {
        "channel": channel,
        "region": {"code": region, "name": snap.tree.names[region]},
        "items": items,
        "miniapps": [miniapp_entry(m, n, channel) for m, n in apps],
    }


def check_channel(channel: str | None) -> str:
    if channel not in CHANNELS:
        raise InvalidInput(
            "channel must be one of app, wechat, alipay.", fields={"channel": str(channel)}
        )
    return channel


@dataclass(frozen=True)
class RenderedView:
    etag: str
    body: bytes


@dataclass
class CatalogCache:
    """Per-process memo of rendered views, keyed by the shared catalog version."""

    redis: aioredis.Redis
    _memo: dict[tuple[str, ...], RenderedView] = field(default_factory=dict)
    _memo_version: int = -1

    async def version(self) -> int:
        """The shared version. A lost key (Redis flushed or restarted) restarts at a random
        value, so no worker can mistake its memo of an earlier incarnation for current."""
        raw = await self.redis.get(VERSION_KEY)
        if raw is None:
            await self.redis.set(VERSION_KEY, secrets.randbits(48), nx=True)
            raw = await self.redis.get(VERSION_KEY)
        return int(raw)

    async def bump(self) -> int:
        """Called after every committed catalog change; all workers see it on the next read."""
        await self.version()
        return int(await self.redis.incr(VERSION_KEY))

    async def view(self, channel: str, region: str) -> RenderedView:
        channel = check_channel(channel)

        async def build(version: int) -> dict[str, Any] | None:
            snap = await load_snapshot()
            if region not in snap.tree.parents:
                snap.tree.chain(region)  # raises UnknownRegion
            return {**build_view(snap, channel, region), "catalog_version": version}

        rendered = await self.rendered(("view", channel, region), build)
        assert rendered is not None  # a view always renders (or raises)
        return rendered

    async def rendered(
        self,
        key: tuple[str, ...],
        build: Callable[[int], Awaitable[dict[str, Any] | None]],
    ) -> RenderedView | None:
        """The body for ``key`` at the current catalog version, rendered once per worker
        and version; ``build`` answering None (nothing to show) is not memoised."""
        version = await self.version()
        if version != self._memo_version:
            self._memo = {}
            self._memo_version = version
        rendered = self._memo.get(key)
        if rendered is None:
            shown = await build(version)
            if shown is None:
                return None
            body = json.dumps(shown, ensure_ascii=False, separators=(",", ":")).encode()
            etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            rendered = RenderedView(etag, body)
            if len(self._memo) < 1024:
                self._memo[key] = rendered
        return rendered
