"""The 12345 ticket's ONE transition table."""

from __future__ import annotations

from app.errors import TicketStepForbidden
from infra.transitions import Transitions

# What each step leads to; "dispatch" (to another department) keeps the status.
STEPS: dict[str, str | None] = {
    "dispatch": None,
    "reply": "replied",
    "reopen": "reopened",
    "rate": "closed",
}
TICKET = Transitions.of(
    "12345 ticket",
    {
        "dispatched": {"dispatched", "replied"},
        "reopened": {"reopened", "replied"},
        "replied": {"reopened", "closed"},
        "closed": set(),
    },
)
# Statuses in which the department owes a reply (supervised).
AWAITING_REPLY = ("dispatched", "reopened")


def next_status(status: str, step: str) -> str:
    dst = (STEPS[step] or status) if step in STEPS else ""
    if not TICKET.may(status, dst):
        raise TicketStepForbidden(
            f"A {status} ticket cannot take the {step} step.", status=status, step=step
        )
    return dst
