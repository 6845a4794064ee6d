"""The rectification ticket's ONE transition table."""

from __future__ import annotations

from app.errors import RectificationStepForbidden
from infra.transitions import Transitions

# What each step leads to (each stores its text and time: reply / fix / visit).
STEPS: dict[str, str] = {"reply": "replied", "fix": "fixed", "visit": "visited"}
RECTIFICATION = Transitions.of(
    "rectification",
    {"open": {"replied"}, "replied": {"fixed"}, "fixed": {"visited"}, "visited": set()},
)
# The supervised deadline each step meets.
DEADLINE_OF: dict[str, str] = {"reply": "reply", "fix": "fix"}


def next_status(status: str, step: str) -> str:
    dst = STEPS.get(step, "")
    if not RECTIFICATION.may(status, dst):
        raise RectificationStepForbidden(
            f"A {status} rectification cannot take the {step} step.", status=status, step=step
        )
    return dst
