"""A deadline's card and its ONE transition table: it only escalates (none → warning →
yellow → red), so two sweeps running at once never step a card back."""

from __future__ import annotations

from infra.transitions import Transitions

CARD_ORDER = ("none", "warning", "yellow", "red")
CARD = Transitions.of(
    "deadline card",
    {
        "none": {"warning", "yellow", "red"},
        "warning": {"yellow", "red"},
        "yellow": {"red"},
        "red": set(),
    },
    field="card",
)
