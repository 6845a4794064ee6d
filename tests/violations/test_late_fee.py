"""The late-fee rule at its edges, in Shanghai days, in whole fen rounded down."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.violations.late_fee import first_fee_day, late_fee_fen

FINE = 20_000  # 200 yuan
DECIDED = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # 10:00 Shanghai, 2025-03-03


def day(n: int) -> date:
    return date(2025, 3, 3) + timedelta(days=n)


def test_nothing_is_due_through_day_15() -> None:
    for n in range(16):
        assert late_fee_fen(FINE, DECIDED, day(n)) == 0
    assert first_fee_day(DECIDED) == day(16)


def test_day_16_is_three_percent_and_each_day_adds_three_percent() -> None:
    assert late_fee_fen(FINE, DECIDED, day(16)) == 600
    assert late_fee_fen(FINE, DECIDED, day(17)) == 1200
    assert late_fee_fen(FINE, DECIDED, day(15 + 33)) == 19_800


def test_the_late_fee_is_capped_at_the_fine() -> None:
    assert late_fee_fen(FINE, DECIDED, day(15 + 34)) == FINE  # 102 % would exceed the fine
    assert late_fee_fen(FINE, DECIDED, day(400)) == FINE


def test_odd_fines_round_down_to_the_whole_fen() -> None:
    # 3 % of 333 fen is 9.99 fen: the payer owes 9 fen, never 10.
    assert late_fee_fen(333, DECIDED, day(16)) == 9
    assert late_fee_fen(333, DECIDED, day(17)) == 19  # 19.98
    assert late_fee_fen(1, DECIDED, day(16)) == 0


def test_a_decision_late_in_the_evening_counts_from_its_shanghai_date() -> None:
    # 23:30 Shanghai on 2025-03-03 is 15:30 UTC the same day; 00:30 Shanghai on 03-04 is
    # still 03-03 in UTC, but it is a 03-04 decision.
    evening = datetime(2025, 3, 3, 15, 30, tzinfo=UTC)
    after_midnight = datetime(2025, 3, 3, 16, 30, tzinfo=UTC)
    assert late_fee_fen(FINE, evening, day(16)) == 600
    assert late_fee_fen(FINE, after_midnight, day(16)) == 0
    assert late_fee_fen(FINE, after_midnight, day(17)) == 600
    assert first_fee_day(after_midnight) == day(17)


@pytest.mark.parametrize(
    ("decided_on", "free_through", "first_fee"),
    [
        (date(2024, 2, 14), date(2024, 2, 29), date(2024, 3, 1)),  # day 15 is the leap day
        (date(2024, 2, 29), date(2024, 3, 15), date(2024, 3, 16)),  # decided on the leap day
        (date(2023, 2, 14), date(2023, 3, 1), date(2023, 3, 2)),  # no leap day that year
    ],
)
def test_leap_days_are_ordinary_days(decided_on: date, free_through: date, first_fee: date) -> None:
    decided_at = datetime(decided_on.year, decided_on.month, decided_on.day, 4, tzinfo=UTC)
    assert late_fee_fen(FINE, decided_at, free_through) == 0
    assert late_fee_fen(FINE, decided_at, first_fee) == 600
    assert first_fee_day(decided_at) == first_fee


def test_undecided_or_free_violations_have_no_late_fee() -> None:
    assert late_fee_fen(FINE, None, day(100)) == 0
    assert late_fee_fen(0, DECIDED, day(100)) == 0
