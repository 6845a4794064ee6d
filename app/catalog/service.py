"""The catalog as one service object: channel views, resident search, publishing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from app.catalog import search
from app.catalog.feeds import ItemFeeds
from app.catalog.guides import FormMaterials
from app.catalog.library import ItemLibrary
from app.catalog.models import ServiceItem
from app.catalog.public import public_item
from app.catalog.publishing import Publishing
from app.catalog.seed_data import reference
from app.catalog.views import (
    CatalogCache,
    RenderedView,
    check_channel,
    item_entry,
    load_snapshot,
    visible_miniapps,
)
from app.errors import InvalidInput


@dataclass
class Catalog:
    redis: aioredis.Redis
    online_levels: dict[int, str] = field(default_factory=lambda: dict(reference().online_levels))
    # The cases room's forms, for the guide's agreement check (wired by the composition root).
    form_materials: FormMaterials | None = None
    cache: CatalogCache = field(init=False)
    publishing: Publishing = field(init=False)
    items: ItemLibrary = field(init=False)
    feeds: ItemFeeds = field(init=False)

    def __post_init__(self) -> None:
        self.cache = CatalogCache(self.redis)
        self.publishing = Publishing(self.cache)
        self.items = ItemLibrary(self.cache, self.form_materials)
        self.feeds = ItemFeeds(self.items)

    async def item(self, code: str) -> RenderedView:
        """The published item and its guide; ITEM_NOT_FOUND for a draft, retired or
        unknown code."""
        return await public_item(self.cache, code)

    def licence_types(self) -> list[dict[str, str]]:
        return [{"code": t.code, "name": t.name} for t in reference().licence_types]

    async def view(self, channel: str, region: str) -> RenderedView:
        return await self.cache.view(channel, region)

    async def search(
        self, query: str, channel: str | None = None, region: str | None = None
    ) -> dict[str, Any]:
        """Ranked items for a resident's keyword; every search is logged for analytics."""
        query = (query or "").strip()
        if not query or len(query) > 64:
            raise InvalidInput("q is 1 to 64 characters.", fields={"q": query[:80]})
        if channel is not None:
            check_channel(channel)
        snap = await load_snapshot()
        chain = snap.tree.chain(region) if region else None
        visible = {i.id: i for i in snap.items if chain is None or i.region_code in chain}
        hits = await search.rank(query, set(visible))
        offered: dict[str, list[str]] = {}
        if region:
            for manifest, _ in visible_miniapps(snap, region):
                for code in manifest["items"]:
                    offered.setdefault(code, []).append(manifest["id"])
        results = []
        for hit in hits:
            item: ServiceItem = visible[hit.item_id]
            entry = item_entry(item, snap, channel or "app")
            if channel is None:
                entry.pop("available")
                entry.pop("reason")
            entry["score"] = hit.score
            entry["miniapps"] = offered.get(item.code, [])
            results.append(entry)
        await search.record(query, len(results), channel, region)
        return {"q": query, "channel": channel, "region": region, "results": results}

    async def bump(self) -> int:
        return await self.cache.bump()
