"""The one transition mechanism: a compare-and-set that changes exactly one row, keeps the
loaded object in sync, loses a race cleanly and refuses a move its table does not list.

Real PostgreSQL; the subject is a supervised deadline's card (a table with its own column).
"""

from __future__ import annotations

from datetime import date

import pytest

from app.supervision.models import Deadline
from app.supervision.states import CARD
from infra import clock
from infra.transitions import IllegalTransition, Transitions, move


async def _deadline(ref: str = "1") -> Deadline:
    return await Deadline.create(
        subject_type="case",
        subject_ref=ref,
        step="accept",
        department_code="hz-mzj",
        started_at=clock.now(),
        due_date=date(2026, 3, 2),
    )


async def test_a_move_changes_one_row_and_the_loaded_object(clean: None) -> None:
    deadline, other = await _deadline("1"), await _deadline("2")
    at = clock.now()
    assert await move(deadline, "yellow", carded_at=at) is True
    assert (deadline.card, deadline.carded_at) == ("yellow", at)
    stored = await Deadline.get(id=deadline.id)
    assert (stored.card, stored.carded_at) == ("yellow", at)
    assert (await Deadline.get(id=other.id)).card == "none"


async def test_a_move_decided_on_a_stale_object_loses_and_changes_nothing(clean: None) -> None:
    deadline = await _deadline()
    stale = await Deadline.get(id=deadline.id)
    assert await move(deadline, "warning")
    assert await move(stale, "red", carded_at=clock.now()) is False
    assert (stale.card, stale.carded_at) == ("none", None)
    stored = await Deadline.get(id=deadline.id)
    assert (stored.card, stored.carded_at) == ("warning", None)


async def test_a_move_the_table_does_not_list_is_refused_before_any_write(clean: None) -> None:
    deadline = await _deadline()
    assert await move(deadline, "red")
    with pytest.raises(IllegalTransition, match=r"deadline card .*red -> warning"):
        await move(deadline, "warning", carded_at=clock.now())
    stored = await Deadline.get(id=deadline.id)
    assert (stored.card, stored.carded_at) == ("red", None)


def test_a_table_that_reaches_an_unlisted_status_is_refused() -> None:
    with pytest.raises(ValueError, match="archived"):
        Transitions.of("thing", {"open": {"closed", "archived"}, "closed": set()})
    assert CARD.may("none", "red") and not CARD.may("red", "none")
