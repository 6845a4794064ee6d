"""Payment notice states and their one transition table."""

from __future__ import annotations

from enum import StrEnum


class NoticeStatus(StrEnum):
    UNPAID = "UNPAID"
    PAID = "PAID"
    REFUNDED = "REFUNDED"


NOTICE_TRANSITIONS: dict[NoticeStatus, frozenset[NoticeStatus]] = {
    NoticeStatus.UNPAID: frozenset({NoticeStatus.PAID}),
    NoticeStatus.PAID: frozenset({NoticeStatus.REFUNDED}),
    NoticeStatus.REFUNDED: frozenset(),
}


def notice_may_move(src: NoticeStatus, dst: NoticeStatus) -> bool:
    return dst in NOTICE_TRANSITIONS[src]
