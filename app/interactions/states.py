"""The 12345 ticket's ONE transition table."""

from __future__ import annotations

from app.errors import TicketStepForbidden

TRANSITIONS: dict[tuple[str, str], str] = {
    ("dispatched", "dispatch"): "dispatched",  # redirected to another department
    ("dispatched", "reply"): "replied",
    ("reopened", "dispatch"): "reopened",
    ("reopened", "reply"): "replied",
    ("replied", "reopen"): "reopened",
    ("replied", "rate"): "closed",
}
# Statuses in which the department owes a reply (supervised).
AWAITING_REPLY = ("dispatched", "reopened")


def next_status(status: str, step: str) -> str:
    try:
        return TRANSITIONS[(status, step)]
    except KeyError:
        raise TicketStepForbidden(
            f"A {status} ticket cannot take the {step} step.", status=status, step=step
        ) from None
