"""The parity report: every difference between the three channels, each with its reason.

The service set itself never differs (views list everything everywhere). What may differ is
availability; each such difference must carry a reason, and one without is "unexplained",
which is a bug the report makes loud (the CLI exits non-zero).
"""

from __future__ import annotations

from typing import Any

from app.catalog.channels import CHANNELS
from app.catalog.views import Snapshot, build_view, load_snapshot


def _entries(view: dict[str, Any]) -> dict[tuple[str, str], dict]:
    out = {("item", i["code"]): i for i in view["items"]}
    out.update({("miniapp", m["id"]): m for m in view["miniapps"]})
    return out


def region_report(snap: Snapshot, region: str) -> dict[str, Any]:
    per_channel = {c: _entries(build_view(snap, c, region)) for c in CHANNELS}
    differences: list[dict[str, Any]] = []
    unexplained: list[dict[str, Any]] = []
    every = set().union(*(set(e) for e in per_channel.values()))
    for kind, ident in sorted(every):
        present = {c: per_channel[c].get((kind, ident)) for c in CHANNELS}
        if any(v is None for v in present.values()):
            unexplained.append(
                {
                    "kind": kind,
                    "id": ident,
                    "problem": "missing on "
                    + ", ".join(c for c, v in present.items() if v is None),
                }
            )
            continue
        if len({v["available"] for v in present.values()}) == 1:  # type: ignore[index]
            continue
        unavailable = {c: v for c, v in present.items() if not v["available"]}  # type: ignore[union-attr]
        name = next(iter(present.values()))["name"]  # type: ignore[index]
        for channel, entry in unavailable.items():
            row = {
                "kind": kind,
                "id": ident,
                "name": name,
                "channel": channel,
                "reason": entry["reason"],
            }
            (differences if entry["reason"] else unexplained).append(row)
    return {"region": region, "differences": differences, "unexplained": unexplained}


async def parity_report(region: str | None = None) -> dict[str, Any]:
    """One region, or every region of the tree (the CLI's default)."""
    snap = await load_snapshot()
    regions = [region] if region else sorted(snap.tree.parents)
    if region:
        snap.tree.chain(region)  # UnknownRegion for a bad code
    reports = [region_report(snap, r) for r in regions]
    return {
        "channels": list(CHANNELS),
        "regions": reports,
        "differences": sum(len(r["differences"]) for r in reports),
        "unexplained": sum(len(r["unexplained"]) for r in reports),
        "ok": all(not r["unexplained"] for r in reports),
    }
