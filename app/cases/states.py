"""The case flow: ONE transition table, and the deadline each waiting state starts."""

from __future__ import annotations

from app.errors import CaseTransitionForbidden

SUBMITTED = "submitted"
ACCEPTED = "accepted"
RETURNED = "returned"  # 补正: sent back for more material
APPROVED = "approved"
REJECTED = "rejected"
COMPLETED = "completed"
FINISHED = (REJECTED, COMPLETED)

# (from status, action) → to status. Nothing else moves a case.
TRANSITIONS: dict[tuple[str, str], str] = {
    (SUBMITTED, "accept"): ACCEPTED,
    (SUBMITTED, "request_material"): RETURNED,
    (SUBMITTED, "reject"): REJECTED,
    (ACCEPTED, "request_material"): RETURNED,
    (ACCEPTED, "approve"): APPROVED,
    (ACCEPTED, "reject"): REJECTED,
    (RETURNED, "supplement"): SUBMITTED,
    (APPROVED, "complete"): COMPLETED,
}
RESIDENT_ACTIONS = frozenset({"supplement"})
AGENCY_ACTIONS = frozenset({"accept", "request_material", "approve", "reject", "complete"})

# The step the department owes while a case waits in a status (supervised in working days).
WAITING_STEP: dict[str, str] = {SUBMITTED: "accept", ACCEPTED: "decide", APPROVED: "deliver"}


def next_status(status: str, action: str) -> str:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise CaseTransitionForbidden(
            f"A case that is {status} cannot be moved by {action}.",
            status=status,
            action=action,
        ) from None
