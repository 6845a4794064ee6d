"""长辈版 as a per-citizen preference: offered at 60, chosen once, the same on every channel.

Against the live server and the sandbox. Ages are computed from the ID number's birth date
on the business clock's Shanghai date, so the test builds its ID numbers from that date.
"""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from app.identity.id_numbers import age_on, with_check_digit
from app.identity.models import Citizen
from infra import clock
from tests.journeys import bearer, face_verify, new_person, sign_in

pytestmark = pytest.mark.usefixtures("clean")


def born(day: date, serial: str = "123") -> str:
    return with_check_digit("330106" + day.strftime("%Y%m%d") + serial)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def test_age_is_counted_in_full_years_on_the_given_day() -> None:
    number = born(date(1964, 2, 29))
    assert age_on(number, date(2024, 2, 28)) == 59
    assert age_on(number, date(2024, 2, 29)) == 60
    assert age_on(number, date(2025, 2, 28)) == 60
    assert age_on(number, date(2025, 3, 1)) == 61


async def test_a_resident_who_turned_60_today_is_offered_elder_mode_and_one_a_day_younger_is_not(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    today = clock.shanghai_date()
    sixty = years_before(today, 60)
    elder = await new_person(sandbox, id_number=born(sixty, "201"), name="陈桂英")
    younger = await new_person(
        sandbox, id_number=born(sixty + timedelta(days=1), "202"), name="周建国"
    )

    first = await sign_in(api, sandbox, "alipay", elder["alipay"]["user_id"])
    assert first["citizen"]["elder_mode_offer"] is True
    undecided = {"elder_mode": False, "text_scale": 100, "chosen": False}
    assert first["citizen"]["preferences"] == undecided
    me = await api.get("/api/v1/me", headers=bearer(first["token"]))
    assert me.json()["elder_mode_offer"] is True

    other = await sign_in(api, sandbox, "alipay", younger["alipay"]["user_id"])
    assert other["citizen"]["verified"] is True
    assert other["citizen"]["elder_mode_offer"] is False


async def test_an_unverified_citizen_is_not_offered_elder_mode(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    elder = await new_person(sandbox, id_number=born(date(1948, 5, 1), "203"), name="陈桂英")
    wechat = await sign_in(api, sandbox, "wechat", elder["wechat"]["openid"])
    assert wechat["citizen"]["verified"] is False
    assert wechat["citizen"]["elder_mode_offer"] is False


async def test_a_choice_made_on_one_channel_follows_the_citizen_and_ends_the_offer(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    elder = await new_person(sandbox, id_number=born(date(1950, 8, 15), "204"), name="陈桂英")
    alipay = await sign_in(api, sandbox, "alipay", elder["alipay"]["user_id"])
    app = await sign_in(api, sandbox, "app", elder["app"]["user_id"])
    # Both read (and cache) the undecided view first.
    assert (await api.get("/api/v1/me", headers=bearer(app["token"]))).json()["elder_mode_offer"]

    r = await api.put(
        "/api/v1/me/preferences",
        json={"elder_mode": True, "text_scale": 150},
        headers=bearer(alipay["token"]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["preferences"] == {"elder_mode": True, "text_scale": 150, "chosen": True}
    assert r.json()["elder_mode_offer"] is False

    for _ in range(4):  # every worker, at once
        me = (await api.get("/api/v1/me", headers=bearer(app["token"]))).json()
        assert me["preferences"] == {"elder_mode": True, "text_scale": 150, "chosen": True}
        assert me["elder_mode_offer"] is False
    again = await sign_in(api, sandbox, "app", elder["app"]["user_id"])
    assert again["citizen"]["preferences"]["elder_mode"] is True

    # Declining is a choice too: standard mode, no offer, the scale kept when not sent.
    r = await api.put(
        "/api/v1/me/preferences", json={"elder_mode": False}, headers=bearer(app["token"])
    )
    assert r.status_code == 200, r.text
    assert r.json()["preferences"] == {"elder_mode": False, "text_scale": 150, "chosen": True}
    assert r.json()["elder_mode_offer"] is False
    stored = await Citizen.get(id=alipay["citizen"]["id"])
    assert stored.elder_mode is False and stored.preferences_at is not None


async def test_bad_preferences_are_refused_and_change_nothing(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    elder = await new_person(sandbox, id_number=born(date(1950, 8, 15), "205"), name="陈桂英")
    session = await sign_in(api, sandbox, "alipay", elder["alipay"]["user_id"])
    headers = bearer(session["token"])
    for body in (
        {"elder_mode": True, "text_scale": 130},
        {"elder_mode": "yes"},
        {"elder_mode": 1},
        {"elder_mode": True, "text_scale": "150"},
        {"text_scale": 150},
        {"elder_mode": True, "text_scale": 10_000_000_000},
    ):
        r = await api.put("/api/v1/me/preferences", json=body, headers=headers)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == "INVALID_INPUT"
    for raw in (b"{not json", b"[]"):
        r = await api.put("/api/v1/me/preferences", content=raw, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "MALFORMED_JSON", r.text
    r = await api.put("/api/v1/me/preferences", json={"elder_mode": True})
    assert r.status_code == 401
    stored = await Citizen.get(id=session["citizen"]["id"])
    assert stored.elder_mode is None and stored.text_scale == 100
    me = (await api.get("/api/v1/me", headers=headers)).json()
    assert me["elder_mode_offer"] is True


async def test_a_choice_made_before_verification_survives_the_fold_into_the_verified_person(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    elder = await new_person(sandbox, id_number=born(date(1952, 3, 9), "206"), name="陈桂英")
    alipay = await sign_in(api, sandbox, "alipay", elder["alipay"]["user_id"])
    wechat = await sign_in(api, sandbox, "wechat", elder["wechat"]["openid"])
    r = await api.put(
        "/api/v1/me/preferences", json={"elder_mode": True}, headers=bearer(wechat["token"])
    )
    assert r.status_code == 200, r.text
    verified = await face_verify(api, sandbox, wechat["token"], elder["wechat"]["openid"])
    assert verified.status_code == 200, verified.text
    assert verified.json()["id"] == alipay["citizen"]["id"]
    me = (await api.get("/api/v1/me", headers=bearer(alipay["token"]))).json()
    assert me["preferences"]["elder_mode"] is True and me["elder_mode_offer"] is False
