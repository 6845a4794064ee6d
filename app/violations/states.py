"""The transition tables of a violation, moved by :func:`infra.transitions.move`.

A violation has two independent statuses: handling (the penalty decision) and payment, so
each has its own table, named with its column; a move not in a table is refused and one
that loses a race answers False.
"""

from __future__ import annotations

from app.violations.models import DECIDED, PAID, UNDECIDED, UNPAID
from infra.transitions import Transitions

# A decision is made once; it is never withdrawn through this API.
HANDLING = Transitions.of(
    "violation handling", {UNDECIDED: {DECIDED}, DECIDED: set()}, field="handling_status"
)
# Paid online or at a bank; back to unpaid only when an online payment is fully refunded.
PAYMENT = Transitions.of(
    "violation payment", {UNPAID: {PAID}, PAID: {UNPAID}}, field="payment_status"
)
