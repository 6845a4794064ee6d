"""The ONE transition table per aggregate: service items, mini-app versions and releases.

Every move is :func:`infra.transitions.move`, a compare-and-set update that must change
exactly one row. Here an operator's request to make a move the table refuses, or to make
one a concurrent reviewer or publisher already made, is a WORKFLOW_CONFLICT for that
operator, not a bug, so this room turns both into that answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.errors import WorkflowConflict
from infra.transitions import Transitions, move

if TYPE_CHECKING:
    from app.catalog.models import ItemVersion, MiniApp, MiniAppVersion

# draft: created, never published (residents get 404); a first publish makes it active.
ITEM = Transitions.of(
    "service item",
    {"draft": {"active", "retired"}, "active": {"retired"}, "retired": set()},
)

# One version of an item's content. A new version replaces the open one (draft, submitted
# or approved); publishing supersedes the version that served before.
ITEM_VERSION = Transitions.of(
    "item version",
    {
        "draft": {"submitted", "replaced"},
        "submitted": {"approved", "rejected", "replaced"},
        "approved": {"published", "replaced"},
        "published": {"superseded"},
        "rejected": set(),
        "replaced": set(),
        "superseded": set(),
    },
)
OPEN_VERSION_STATES = ("draft", "submitted", "approved")

VERSION = Transitions.of(
    "mini-app version",
    {
        "submitted": {"approved", "rejected"},
        "approved": {"live"},
        # superseded: a newer version went live (it may still serve outside grey regions).
        "live": {"superseded", "rolled_back"},
        "superseded": {"live"},  # a rollback restores it
        "rejected": set(),
        "rolled_back": set(),
    },
)

# The live version takes part in the check, so two publishers racing on the same mini-app
# cannot both win.
RELEASE = Transitions.of(
    "mini-app release",
    {
        "none": {"grey", "full", "disabled"},
        "grey": {"grey", "full", "disabled"},
        "full": {"grey", "full", "disabled"},
        "disabled": {"grey", "full"},
    },
    field="release",
    guard=("live_version",),
)


async def move_version(
    version: MiniAppVersion, dst: str, using: BaseDBAsyncClient, **changes: Any
) -> None:
    if not VERSION.may(version.status, dst):
        raise WorkflowConflict(
            f"Version {version.number} is {version.status}; it cannot become {dst}."
        )
    if not await move(version, dst, using=using, **changes):
        raise WorkflowConflict("Someone else changed this version first; reload and retry.")


async def move_release(app: MiniApp, dst: str, using: BaseDBAsyncClient, **changes: Any) -> None:
    if not RELEASE.may(app.release, dst):
        raise WorkflowConflict(f"Mini-app {app.id} is {app.release}; it cannot become {dst}.")
    if not await move(app, dst, using=using, **changes):
        raise WorkflowConflict("Someone else changed this mini-app first; reload and retry.")


async def move_item_version(
    version: ItemVersion, dst: str, using: BaseDBAsyncClient, **changes: Any
) -> None:
    if not ITEM_VERSION.may(version.status, dst):
        raise WorkflowConflict(
            f"Version {version.number} is {version.status}; it cannot become {dst}."
        )
    if not await move(version, dst, using=using, **changes):
        raise WorkflowConflict("Someone else changed this version first; reload and retry.")
