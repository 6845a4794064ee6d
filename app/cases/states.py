"""The case flow: ONE transition table, and the deadline each waiting state starts."""

from __future__ import annotations

from app.errors import CaseTransitionForbidden
from infra.transitions import Transitions

SUBMITTED = "submitted"
ACCEPTED = "accepted"
RETURNED = "returned"  # 补正: sent back for more material
APPROVED = "approved"
REJECTED = "rejected"
COMPLETED = "completed"
FINISHED = (REJECTED, COMPLETED)

# What each action leads to, and which moves the case flow allows. Nothing else moves a case.
ACTIONS: dict[str, str] = {
    "accept": ACCEPTED,
    "request_material": RETURNED,
    "reject": REJECTED,
    "approve": APPROVED,
    "supplement": SUBMITTED,
    "complete": COMPLETED,
}
CASE = Transitions.of(
    "case",
    {
        SUBMITTED: {ACCEPTED, RETURNED, REJECTED},
        ACCEPTED: {RETURNED, APPROVED, REJECTED},
        RETURNED: {SUBMITTED},
        APPROVED: {COMPLETED},
        REJECTED: set(),
        COMPLETED: set(),
    },
)
RESIDENT_ACTIONS = frozenset({"supplement"})
AGENCY_ACTIONS = frozenset({"accept", "request_material", "approve", "reject", "complete"})

# The step the department owes while a case waits in a status (supervised in working days).
WAITING_STEP: dict[str, str] = {SUBMITTED: "accept", ACCEPTED: "decide", APPROVED: "deliver"}


def next_status(status: str, action: str) -> str:
    dst = ACTIONS.get(action)
    if dst is None or not CASE.may(status, dst):
        raise CaseTransitionForbidden(
            f"A case that is {status} cannot be moved by {action}.",
            status=status,
            action=action,
        )
    return dst
