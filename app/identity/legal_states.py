"""A legal person's status: ONE transition table, moved only by the registry.

Deregistration (注销) is final: a USCC is never reissued, so a deregistered legal person does
not come back to life (a registry record that says otherwise is refused).
"""

from __future__ import annotations

from app.errors import LegalPersonDeregistered

ACTIVE = "active"
DEREGISTERED = "deregistered"
STATUSES = (ACTIVE, DEREGISTERED)

# (from status, registry action) → to status. Nothing else moves a legal person.
TRANSITIONS: dict[tuple[str, str], str] = {(ACTIVE, "deregister"): DEREGISTERED}


def next_status(status: str, action: str) -> str:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise LegalPersonDeregistered(
            f"A legal person that is {status} cannot be moved by {action}.",
            status=status,
            action=action,
        ) from None


def action_towards(status: str, reported: str) -> str | None:
    """The action that brings ``status`` to the registry's ``reported`` one (None: stay)."""
    if status == reported:
        return None
    return "deregister" if reported == DEREGISTERED else "reactivate"
