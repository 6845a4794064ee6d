"""Warning, yellow card, red card: what the electronic supervisor shows for each deadline.

A card only escalates (none → warning → yellow → red), each move a compare-and-set, so two
sweeps running at once never step a card back.
"""

from __future__ import annotations

from datetime import date

from app.config import ServiceRules
from app.supervision.calendar import WorkCalendar, load_calendar
from app.supervision.models import Deadline
from app.supervision.states import CARD
from infra import clock
from infra.transitions import move


def card_for(due: date, today: date, calendar: WorkCalendar, rules: ServiceRules) -> str:
    if today > due:
        late = calendar.working_days_between(due, today)
        return "red" if late >= rules.red_after_working_days else "yellow"
    if calendar.working_days_between(today, due) <= rules.warn_working_days:
        return "warning"
    return "none"


async def sweep(rules: ServiceRules, *, limit: int = 5000) -> dict[str, int]:
    """Card every open deadline as of today (Shanghai); answers how many moved to each card."""
    calendar = await load_calendar(rules.weekend_days)
    today = clock.shanghai_date()
    moved = {"warning": 0, "yellow": 0, "red": 0}
    horizon = calendar.add_working_days(today, rules.warn_working_days)
    open_ones = await Deadline.filter(met_at=None, due_date__lte=horizon).limit(limit)
    for d in open_ones:
        card = card_for(d.due_date, today, calendar, rules)
        if CARD.may(d.card, card) and await move(d, card, carded_at=clock.now()):
            moved[card] += 1
    return moved
