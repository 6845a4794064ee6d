"""The late fee (滞纳金 / 加处罚款) of a decided violation.

For a decision dated day D (its Shanghai date), nothing is due through day D+15. On day
D+15+k the late fee is 3 % of the fine per day, ``min(fine × 3 % × k, fine)``. It is computed
in integers and rounded DOWN to the whole fen — ``fine_fen * 3 * k // 100`` — so rounding
never makes a resident pay more than the law's figure (see docs/violations.md).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from infra.clock import shanghai_date

GRACE_DAYS = 15
PERCENT_PER_DAY = 3


def first_fee_day(decided_at: datetime) -> date:
    """The first Shanghai day on which a late fee is due."""
    return shanghai_date(decided_at) + timedelta(days=GRACE_DAYS + 1)


def late_fee_fen(fine_fen: int, decided_at: datetime | None, today: date) -> int:
    if decided_at is None or fine_fen <= 0:
        return 0
    days_late = (today - shanghai_date(decided_at)).days - GRACE_DAYS
    if days_late <= 0:
        return 0
    return min(fine_fen * PERCENT_PER_DAY * days_late // 100, fine_fen)
