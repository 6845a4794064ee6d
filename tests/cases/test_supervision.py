"""Working-day deadlines across a weekend and a holiday, cards, dashboard and digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from app.config import ServiceRules
from app.supervision.calendar import WorkCalendar, load_calendar, set_holiday
from app.supervision.cards import card_for, sweep
from app.supervision.dashboard import by_department, write_digest
from app.supervision.deadlines import open_deadline
from app.supervision.models import Deadline, Digest
from infra import clock

RULES = ServiceRules()


def test_a_friday_deadline_crosses_the_weekend() -> None:
    cal = WorkCalendar()
    friday = date(2025, 6, 13)
    assert cal.add_working_days(friday, 1) == date(2025, 6, 16)  # Monday
    assert cal.add_working_days(friday, 3) == date(2025, 6, 18)
    assert cal.working_days_between(friday, date(2025, 6, 16)) == 1


async def test_holidays_and_make_up_days_are_data(clean: None) -> None:
    # National Day 2025: Oct 1-8 off, Sunday Sep 28 and Saturday Oct 11 worked.
    for d in (1, 2, 3, 6, 7, 8):
        await set_holiday(date(2025, 10, d), "国庆节")
    await set_holiday(date(2025, 9, 28), "国庆调休", workday=True)
    await set_holiday(date(2025, 10, 11), "国庆调休", workday=True)
    cal = await load_calendar(RULES.weekend_days)
    # Filed Friday Sep 26: Sunday 28 (make-up) then Monday 29, Tuesday 30, Thursday Oct 9.
    assert cal.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert cal.add_working_days(date(2025, 9, 26), 4) == date(2025, 10, 9)
    # Filed on Sep 30: the next working day is Oct 9, then Oct 10, then Saturday Oct 11.
    assert cal.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    assert not cal.is_working_day(date(2025, 10, 6))  # a Monday holiday


def test_cards_escalate_with_working_days() -> None:
    cal = WorkCalendar()
    due = date(2025, 6, 16)  # Monday
    assert card_for(due, date(2025, 6, 11), cal, RULES) == "none"
    assert card_for(due, date(2025, 6, 13), cal, RULES) == "warning"  # Friday, 1 working day left
    assert card_for(due, due, cal, RULES) == "warning"
    assert card_for(due, date(2025, 6, 17), cal, RULES) == "yellow"
    # Three working days late: red (the weekend in between does not count).
    assert card_for(due, date(2025, 6, 19), cal, RULES) == "red"
    assert card_for(date(2025, 6, 13), date(2025, 6, 16), cal, RULES) == "yellow"


async def test_sweep_cards_the_dashboard_and_the_digest(clean: None) -> None:
    start = datetime(2025, 6, 13, 2, 0, tzinfo=UTC)  # Friday 10:00 Shanghai
    clock.travel(start - clock.now())
    async with in_transaction() as tx:
        d = await open_deadline(
            tx,
            subject_type="case",
            subject_ref="C1",
            step="accept",
            department_code="hz-mzj",
            working_days=1,
            weekend_days=RULES.weekend_days,
        )
    assert d.due_date == date(2025, 6, 16)
    assert (await sweep(RULES))["warning"] == 1
    clock.travel(timedelta(days=5))  # Wednesday 18th: 2 working days late
    assert (await sweep(RULES))["yellow"] == 1
    clock.travel(timedelta(days=1))  # Thursday 19th: 3 late
    assert (await sweep(RULES))["red"] == 1
    assert (await sweep(RULES)) == {"warning": 0, "yellow": 0, "red": 0}
    assert (await Deadline.get(id=d.id)).card == "red"
    board = await by_department(("hz-mzj",))
    assert board["departments"] == [
        {"department_code": "hz-mzj", "open": 1, "warning": 0, "yellow": 0, "red": 1}
    ]
    assert (await by_department(("hz-jj",)))["departments"] == []
    assert await write_digest() == 1
    assert await write_digest() == 0  # once a day
    assert (await Digest.get()).counts["red"] == 1
