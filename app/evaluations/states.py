"""The rectification ticket's ONE transition table."""

from __future__ import annotations

from app.errors import RectificationStepForbidden

# (from, step) → to; each step stores its text and time (reply / fix / visit).
TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "reply"): "replied",
    ("replied", "fix"): "fixed",
    ("fixed", "visit"): "visited",
}
# The supervised deadline each step meets.
DEADLINE_OF: dict[str, str] = {"reply": "reply", "fix": "fix"}


def next_status(status: str, step: str) -> str:
    try:
        return TRANSITIONS[(status, step)]
    except KeyError:
        raise RectificationStepForbidden(
            f"A {status} rectification cannot take the {step} step.", status=status, step=step
        ) from None
