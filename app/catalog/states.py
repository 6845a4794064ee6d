"""The ONE transition table per aggregate: mini-app versions and mini-app releases.

Every move is a compare-and-set update that must change exactly one row; a concurrent
reviewer or publisher who got there first makes the other lose with WORKFLOW_CONFLICT.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.catalog.models import MiniApp, MiniAppVersion
from app.errors import WorkflowConflict

VERSION_TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"approved", "rejected"}),
    "approved": frozenset({"live"}),
    # superseded: a newer version went live (it may still serve outside grey regions).
    "live": frozenset({"superseded", "rolled_back"}),
    "superseded": frozenset({"live"}),  # a rollback restores it
    "rejected": frozenset(),
    "rolled_back": frozenset(),
}

RELEASE_TRANSITIONS: dict[str, frozenset[str]] = {
    "none": frozenset({"grey", "full", "disabled"}),
    "grey": frozenset({"grey", "full", "disabled"}),
    "full": frozenset({"grey", "full", "disabled"}),
    "disabled": frozenset({"grey", "full"}),
}


async def move_version(
    version: MiniAppVersion, dst: str, using: BaseDBAsyncClient, **changes: Any
) -> None:
    src = version.status
    if dst not in VERSION_TRANSITIONS[src]:
        raise WorkflowConflict(f"Version {version.number} is {src}; it cannot become {dst}.")
    changed = (
        await MiniAppVersion.filter(id=version.id, status=src)
        .using_db(using)
        .update(status=dst, **changes)
    )
    if changed != 1:
        raise WorkflowConflict("Someone else changed this version first; reload and retry.")
    version.status = dst


async def move_release(app: MiniApp, dst: str, using: BaseDBAsyncClient, **changes: Any) -> None:
    """Move the release state; the live version takes part in the check, so two publishers
    racing on the same mini-app cannot both win."""
    src = app.release
    if dst not in RELEASE_TRANSITIONS[src]:
        raise WorkflowConflict(f"Mini-app {app.id} is {src}; it cannot become {dst}.")
    changed = (
        await MiniApp.filter(id=app.id, release=src, live_version=app.live_version)
        .using_db(using)
        .update(release=dst, **changes)
    )
    if changed != 1:
        raise WorkflowConflict("Someone else changed this mini-app first; reload and retry.")
    app.release = dst
    for name, value in changes.items():
        setattr(app, name, value)
