"""A legal person's status: ONE transition table, moved only by the registry.

Deregistration (注销) is final: a USCC is never reissued, so a deregistered legal person does
not come back to life (a registry record that says otherwise is refused).
"""

from __future__ import annotations

from app.errors import LegalPersonDeregistered
from infra.transitions import Transitions

ACTIVE = "active"
DEREGISTERED = "deregistered"
STATUSES = (ACTIVE, DEREGISTERED)

# What each registry action leads to, and the moves allowed. Nothing else moves a legal
# person; "reactivate" names what a registry record may ask for and is always refused.
ACTIONS: dict[str, str] = {"deregister": DEREGISTERED, "reactivate": ACTIVE}
LEGAL_PERSON = Transitions.of("legal person", {ACTIVE: {DEREGISTERED}, DEREGISTERED: set()})


def next_status(status: str, action: str) -> str:
    dst = ACTIONS.get(action, "")
    if not LEGAL_PERSON.may(status, dst):
        raise LegalPersonDeregistered(
            f"A legal person that is {status} cannot be moved by {action}.",
            status=status,
            action=action,
        )
    return dst


def action_towards(status: str, reported: str) -> str | None:
    """The action that brings ``status`` to the registry's ``reported`` one (None: stay)."""
    if status == reported:
        return None
    return "deregister" if reported == DEREGISTERED else "reactivate"
