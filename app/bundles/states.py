"""The ONE transition table per bundle aggregate: definitions, bundle cases, bundle items."""

from __future__ import annotations

from infra.transitions import Transitions

# A definition version: written, reviewed by a second operator, published (the newest
# published version serves; the one it replaces is superseded).
DRAFT, SUBMITTED, APPROVED, REJECTED = "draft", "submitted", "approved", "rejected"
PUBLISHED, SUPERSEDED = "published", "superseded"
DEFINITION = Transitions.of(
    "bundle definition",
    {
        DRAFT: {SUBMITTED},
        SUBMITTED: {APPROVED, REJECTED},
        APPROVED: {PUBLISHED},
        PUBLISHED: {SUPERSEDED},
        REJECTED: set(),
        SUPERSEDED: set(),
    },
)

# A bundle case is in progress until every item is finished; then one final status.
IN_PROGRESS, COMPLETED, PARTLY_REFUSED = "in_progress", "completed", "partly_refused"
BUNDLE_CASE = Transitions.of(
    "bundle case",
    {IN_PROGRESS: {COMPLETED, PARTLY_REFUSED}, COMPLETED: set(), PARTLY_REFUSED: set()},
)

# An item waits for its predecessors, then is filed as a normal case; it is cancelled when
# a predecessor is refused (it can no longer receive what it needs).
WAITING, FILED, CANCELLED = "waiting", "filed", "cancelled"
BUNDLE_ITEM = Transitions.of(
    "bundle item", {WAITING: {FILED, CANCELLED}, FILED: set(), CANCELLED: set()}
)
