"""The work calendar is current: the published arrangements ship as data, an operator loads
a year's (audited, replacing what the year had), and a year with none loaded is warned
about instead of silently counting weekends only."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from prometheus_client import REGISTRY

from app.catalog.models import AuditEntry
from app.cli import main
from app.errors import InvalidInput
from app.supervision import arrangements, calendar
from app.supervision.calendar import load_calendar
from app.supervision.models import Holiday

METRIC = "yiwang_work_calendar_unarranged_days_total"


def test_the_shipped_arrangements_are_the_published_ones() -> None:
    assert arrangements.shipped_years() == [2025, 2026]
    spring = arrangements.shipped(2026)
    off = spring.off_days()
    # 2026: Spring Festival Feb 15-23 off, Saturdays Feb 14 and Feb 28 worked.
    assert all(date(2026, 2, d) in off for d in range(15, 24))
    assert {w.day for w in spring.workdays} >= {date(2026, 2, 14), date(2026, 2, 28)}
    assert len(off) == 33 and len(arrangements.shipped(2025).off_days()) == 28


async def test_loading_a_year_replaces_it_and_is_audited(clean: None) -> None:
    await Holiday.create(day=date(2026, 3, 2), name="stale", workday=False)
    await Holiday.create(day=date(2025, 3, 3), name="another year", workday=False)
    summary = await arrangements.load(arrangements.shipped(2026), reason="国办通知")
    assert summary["days_off"] == 33 and summary["workdays"] == 6
    assert not await Holiday.exists(day=date(2026, 3, 2))
    assert await Holiday.exists(day=date(2025, 3, 3))  # other years untouched
    cal = await load_calendar((5, 6))
    # Filed Friday Feb 13: Saturday Feb 14 is worked, then Tuesday Feb 24 after the holiday.
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    entry = await AuditEntry.get(action="load_work_calendar", subject_id="2026")
    assert (entry.operator_name, entry.reason, entry.before) == ("system", "国办通知", {"days": 1})


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"year": 2027, "source": "x", "days_off": [{"name": "元旦", "from": "2026-12-31",
          "to": "2027-01-01"}]}, "not in 2027"),
        ({"year": 2027, "source": "x", "days_off": [{"name": "春节", "from": "2027-02-06",
          "to": "2027-02-12"}], "workdays": [{"name": "调休", "day": "2027-02-08"}]},
         "both a day off and a working day"),
        ({"year": 2027, "source": "x", "days_off": []}, "days_off"),
    ],
)  # fmt: skip
async def test_a_wrong_arrangement_is_refused_and_changes_nothing(
    clean: None, document: dict, problem: str
) -> None:
    with pytest.raises(InvalidInput, match=problem):
        await arrangements.load(arrangements.parse(document))
    assert await Holiday.all().count() == 0
    assert await AuditEntry.all().count() == 0


async def test_a_deadline_in_a_year_without_an_arrangement_warns_once(
    clean: None, caplog: pytest.LogCaptureFixture
) -> None:
    await arrangements.load(arrangements.shipped(2026))
    calendar._warned_years.discard(2027)
    counted = REGISTRY.get_sample_value(METRIC, {"year": "2027"}) or 0.0
    counted_2026 = REGISTRY.get_sample_value(METRIC, {"year": "2026"}) or 0.0
    cal = await load_calendar((5, 6))
    with caplog.at_level(logging.WARNING, logger="yiwang.supervision"):
        cal.add_working_days(date(2026, 6, 1), 3)
        assert caplog.records == []
        cal.add_working_days(date(2026, 12, 30), 5)
        cal.add_working_days(date(2027, 3, 1), 5)
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and "2027" in warned[0] and "calendar load" in warned[0]
    # Every 2027 day looked at is counted for /metrics; 2026's are not.
    assert (REGISTRY.get_sample_value(METRIC, {"year": "2027"}) or 0.0) > counted
    assert (REGISTRY.get_sample_value(METRIC, {"year": "2026"}) or 0.0) == counted_2026


def test_loading_a_year_that_does_not_ship_names_it_and_touches_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("YIWANG_VAR_DIR", str(tmp_path / "var"))
    with pytest.raises(SystemExit) as stopped:
        main(["calendar", "load", "--year", "2027", "--demo"])
    assert stopped.value.code == 1
    assert "2027" in capsys.readouterr().err
    assert not (tmp_path / "var" / "yiwang.sqlite3").exists()
