"""The region tree. Something placed at a region is visible in that region and below it: a
county resident sees provincial, city and county entries; a provincial query sees only
provincial ones."""

from __future__ import annotations

from dataclasses import dataclass

from app.catalog.models import Region
from app.errors import UnknownRegion


@dataclass(frozen=True)
class RegionTree:
    parents: dict[str, str | None]
    names: dict[str, str]

    def chain(self, code: str) -> list[str]:
        """The region and its ancestors up to the province (UnknownRegion if not in the tree)."""
        if code not in self.parents:
            raise UnknownRegion(region=code)
        out = [code]
        parent = self.parents[code]
        while parent is not None and parent not in out:
            out.append(parent)
            parent = self.parents.get(parent)
        return out

    def covers(self, placed: str, query: str) -> bool:
        """Whether something placed at ``placed`` is visible to a query for ``query``."""
        return placed in self.chain(query)

    def within(self, code: str, scope: str) -> bool:
        """Whether ``code`` lies inside ``scope`` (itself or a descendant)."""
        return code in self.parents and scope in self.chain(code)


async def load_tree() -> RegionTree:
    rows = await Region.all().values("code", "parent_code", "name")
    return RegionTree(
        {r["code"]: r["parent_code"] for r in rows}, {r["code"]: r["name"] for r in rows}
    )
