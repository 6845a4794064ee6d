"""Payment notice states and their one transition table."""

from __future__ import annotations

from enum import StrEnum

from infra.transitions import Transitions


class NoticeStatus(StrEnum):
    UNPAID = "UNPAID"
    PAID = "PAID"
    REFUNDED = "REFUNDED"


NOTICE = Transitions.of(
    "payment notice",
    {
        NoticeStatus.UNPAID: {NoticeStatus.PAID},
        NoticeStatus.PAID: {NoticeStatus.REFUNDED},
        NoticeStatus.REFUNDED: set(),
    },
)
