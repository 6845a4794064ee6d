"""The work calendar from the console: a platform admin loads a year's holiday arrangement
(the shipped one or one pasted in), audited with their name and reason; anyone else is
refused, and a wrong arrangement is refused field by field and changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from app.catalog.demo import seed_catalog
from app.catalog.models import AuditEntry
from app.supervision.calendar import load_calendar
from app.supervision.models import Holiday
from tests.catalog.conftest import make_operator
from tests.console.test_console_api import token
from tests.journeys import bearer

pytestmark = pytest.mark.usefixtures("clean")
URL = "/api/v1/operator/calendar"


def arrangement_2027(**change: Any) -> dict[str, Any]:
    return {
        "year": 2027,
        "source": "国务院办公厅关于2027年部分节假日安排的通知",
        "days_off": [{"name": "春节", "from": "2027-02-06", "to": "2027-02-12"}],
        "workdays": [{"name": "春节调休", "day": "2027-02-14"}],
    } | change


@pytest.fixture
async def people(api: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    await seed_catalog()
    await make_operator("root", "platform_admin", [])
    await make_operator("hz-health", "department_operator", ["hz-wjw"], ["330100"])
    return {name: bearer(await token(api, name)) for name in ("root", "hz-health")}


async def test_an_admin_loads_the_shipped_year_and_deadlines_follow_it(
    api: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    root = people["root"]
    r = await api.get(URL, params={"year": 2026}, headers=root)
    assert r.status_code == 200, r.text
    assert r.json()["loaded"] is False and r.json()["days_off"] == []
    assert r.json()["shipped_years"] == [2025, 2026]
    # Before: Friday Feb 13 + 2 working days counts weekends only.
    assert (await load_calendar((5, 6))).add_working_days(date(2026, 2, 13), 2) == date(
        2026, 2, 17
    )
    r = await api.put(
        f"{URL}/2026", json={"arrangement": None, "reason": "国办通知已发布"}, headers=root
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["loaded"] is True and len(got["days_off"]) == 33 and len(got["workdays"]) == 6
    assert {"day": "2026-02-17", "name": "春节"} in got["days_off"]
    assert {"day": "2026-02-14", "name": "春节调休"} in got["workdays"]
    assert (await api.get(URL, params={"year": 2026}, headers=root)).json() == got
    # After: Saturday Feb 14 is worked, then the holiday runs to Feb 23.
    assert (await load_calendar((5, 6))).add_working_days(date(2026, 2, 13), 2) == date(
        2026, 2, 24
    )
    entry = await AuditEntry.get(action="load_work_calendar", subject_id="2026")
    assert (entry.operator_name, entry.reason) == ("root", "国办通知已发布")
    assert entry.operator_id is not None and entry.after["days_off"] == 33


async def test_an_admin_loads_a_pasted_year(
    api: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    r = await api.put(
        f"{URL}/2027",
        json={"arrangement": arrangement_2027(), "reason": "2027年安排"},
        headers=people["root"],
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["days_off"]) == 7 and r.json()["workdays"] == [
        {"day": "2027-02-14", "name": "春节调休"}
    ]
    assert await Holiday.filter(day__year=2027).count() == 8


async def test_only_a_platform_admin_may_load(
    api: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    other = people["hz-health"]
    r = await api.get(URL, params={"year": 2026}, headers=other)
    assert r.status_code == 200  # reading is for every operator
    body = {"arrangement": None, "reason": "想改日历"}
    r = await api.put(f"{URL}/2026", json=body, headers=other)
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    r = await api.put(f"{URL}/2026", json={"arrangement": None, "reason": "无凭据"})
    assert r.status_code == 401
    assert await Holiday.all().count() == 0
    assert not await AuditEntry.filter(action="load_work_calendar").exists()


@pytest.mark.parametrize(
    ("year", "body", "field"),
    [
        (2027, {"arrangement": arrangement_2027(), "reason": "短"}, "reason"),
        (2027, {"arrangement": arrangement_2027()}, "reason"),
        (2027, {"arrangement": arrangement_2027(), "reason": "x" * 201}, "reason"),
        (2026, {"arrangement": arrangement_2027(), "reason": "年份不符"}, "arrangement.year"),
        (2027, {"arrangement": arrangement_2027(days_off=[]), "reason": "没有假日"},
         "arrangement.days_off"),
        (2027, {"arrangement": arrangement_2027(days_off=[{"name": "春节", "from": "2027-02-31",
          "to": "2027-02-12"}]), "reason": "日期错误"}, "arrangement.days_off.0.from"),
        (2027, {"arrangement": arrangement_2027(workdays=[{"name": "调休", "day": "2027-02-08"}]),
          "reason": "既休又班"}, "arrangement"),
        (2027, {"arrangement": arrangement_2027(source=""), "reason": "没有来源"},
         "arrangement.source"),
        (2030, {"arrangement": None, "reason": "没有随版"}, "arrangement"),
        (2027, {"arrangement": [1, 2], "reason": "不是对象"}, "arrangement"),
    ],
)  # fmt: skip
async def test_a_wrong_load_is_refused_with_its_field_and_changes_nothing(
    api: httpx.AsyncClient,
    people: dict[str, dict[str, str]],
    year: int,
    body: dict[str, Any],
    field: str,
) -> None:
    root = people["root"]
    ok = await api.put(
        f"{URL}/2026", json={"arrangement": None, "reason": "先载入安排"}, headers=root
    )
    assert ok.status_code == 200
    before = sorted(await Holiday.all().values_list("day", "name", "workday"))
    audits = await AuditEntry.all().count()
    r = await api.put(f"{URL}/{year}", json=body, headers=root)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "INVALID_INPUT"
    assert field in r.json()["details"]["fields"], r.json()
    assert sorted(await Holiday.all().values_list("day", "name", "workday")) == before
    assert await AuditEntry.all().count() == audits


async def test_a_year_out_of_range_is_a_clear_4xx(
    api: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    r = await api.get(URL, params={"year": "abc"}, headers=people["root"])
    assert r.status_code == 422 and "year" in r.json()["details"]["fields"]
    r = await api.get(URL, params={"year": 1999}, headers=people["root"])
    assert r.status_code == 422
