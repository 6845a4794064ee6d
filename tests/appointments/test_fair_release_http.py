"""Fair release against the live ``yiwang serve --workers 2``: the per-citizen polling
throttle, and staff booking kept seats through the signed agency API."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from app.agency.signing import create_agency
from app.appointments.models import Booking, Slot
from app.catalog.models import AuditEntry
from app.config import Settings
from app.identity.id_numbers import with_check_digit
from app.identity.models import Citizen
from app.identity.sessions import SessionStore
from infra.masking import mask_id_number, mask_name
from tests.agency.test_signing import signed_headers
from tests.appointments.helpers import in_days, person
from tests.appointments.live import fresh_ids
from tests.appointments.test_http import INSTITUTION, schedule, signed_post

pytestmark = pytest.mark.usefixtures("clean")


@pytest.fixture
async def two_hospitals(live_server, settings):  # type: ignore[no-untyped-def]
    await fresh_ids()
    vault = settings.vault()
    first = await create_agency(
        vault, name="杭州市第一人民医院", kind="health", region_code="330100"
    )
    second = await create_agency(
        vault, name="杭州市第二人民医院", kind="health", region_code="330100"
    )
    return (first[0].key, first[1]), (second[0].key, second[1])


async def _publish(
    api: httpx.AsyncClient, key: str, secret: str, schedules: list[dict]
) -> tuple[int, list[int]]:
    r = await signed_post(api, key, secret, "/api/v1/agency/institutions", INSTITUTION)
    assert r.status_code == 201, r.text
    institution_id = r.json()["id"]
    path = f"/api/v1/agency/institutions/{institution_id}/schedules"
    r = await signed_post(api, key, secret, path, {"schedules": schedules})
    assert r.status_code == 201, r.text
    return institution_id, r.json()["slot_ids"]


async def test_a_citizen_polling_or_booking_too_often_gets_429_and_changes_nothing(
    api: httpx.AsyncClient, two_hospitals, redis, settings: Settings
) -> None:
    (key, secret), _ = two_hospitals
    day = in_days(3)
    institution_id, slot_ids = await _publish(api, key, secret, [schedule(day, count=2)])
    sessions = SessionStore(redis, timedelta(days=1))
    taker, script, neighbour = [await person(sessions) for _ in range(3)]
    r = await api.post(
        "/api/v1/appointments",
        json={"slot_id": slot_ids[0]},
        headers={"Authorization": f"Bearer {taker.token}"},
    )
    assert r.status_code == 201, r.text

    auth = {"Authorization": f"Bearer {script.token}"}
    budget = settings.abuse.booking_attempts_per_minute_citizen
    for _ in range(budget):  # hammering the full slot: refused, but counted
        r = await api.post("/api/v1/appointments", json={"slot_id": slot_ids[0]}, headers=auth)
        assert (r.status_code, r.json()["code"]) == (409, "SLOT_FULL")
    r = await api.post("/api/v1/appointments", json={"slot_id": slot_ids[1]}, headers=auth)
    assert (r.status_code, r.json()["code"]) == (429, "POLLING_THROTTLED")
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json()["details"]["retry_after"] == int(r.headers["Retry-After"])
    # Nothing was booked and the free place is still there for someone else.
    assert not await Booking.filter(citizen_id=script.citizen_id).exists()
    assert (await Slot.get(id=slot_ids[1])).remaining == 1
    r = await api.post(
        "/api/v1/appointments",
        json={"slot_id": slot_ids[1]},
        headers={"Authorization": f"Bearer {neighbour.token}"},
    )
    assert r.status_code == 201, r.text

    # Reads: the slot page and my bookings share one budget per citizen.
    path = f"/api/v1/institutions/{institution_id}/slots"
    reads = settings.abuse.slot_polls_per_minute_citizen
    for i in range(reads):
        target = "/api/v1/me/appointments" if i % 2 else path
        r = await api.get(
            target, params={"date": day.isoformat()} if target == path else None, headers=auth
        )
        assert r.status_code == 200, r.text
    r = await api.get(path, params={"date": day.isoformat()}, headers=auth)
    assert (r.status_code, r.json()["code"]) == (429, "POLLING_THROTTLED")
    r = await api.get("/api/v1/me/appointments", headers=auth)
    assert r.status_code == 429 and "Retry-After" in r.headers
    # Another resident, and the page without a token, are not held to this citizen's budget.
    r = await api.get(
        path, params={"date": day.isoformat()}, headers={"Authorization": f"Bearer {taker.token}"}
    )
    assert r.status_code == 200
    r = await api.get(path, params={"date": day.isoformat()})
    assert r.status_code == 200
    # A stale token on the public page reads as anonymous, not as an error.
    r = await api.get(
        path, params={"date": day.isoformat()}, headers={"Authorization": "Bearer stale"}
    )
    assert r.status_code == 200
    metrics = (await api.get("/metrics")).text
    assert 'yiwang_bookings_total{outcome="SLOT_FULL"}' in metrics
    assert "yiwang_rate_limit_hits_total" in metrics


async def _signed(
    api: httpx.AsyncClient, method: str, key: str, secret: str, path: str, body: dict | None = None
) -> httpx.Response:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {**signed_headers(key, secret, method, path, raw), "Content-Type": "application/json"}
    return await api.request(method, path, content=raw, headers=headers)


async def test_staff_book_a_kept_seat_for_a_named_resident_and_others_cannot(
    api: httpx.AsyncClient, two_hospitals, redis, settings: Settings
) -> None:
    (key, secret), (other_key, other_secret) = two_hospitals
    day = in_days(3)
    kept = {**schedule(day, count=1, capacity=4), "kept_percent": 50}
    institution_id, slot_ids = await _publish(api, key, secret, [kept])
    listed = (
        await api.get(
            f"/api/v1/institutions/{institution_id}/slots", params={"date": day.isoformat()}
        )
    ).json()["slots"][0]
    assert (listed["capacity"], listed["remaining"], listed["kept"]) == (4, 2, 2)
    assert listed["kept_until"] is not None

    id_number = with_check_digit("33010619400101123")
    body = {
        "slot_id": slot_ids[0],
        "resident": {"name": "王秀英", "id_number": id_number},
        "channel": "hall",
        "staff_ref": "W007",
    }
    path = f"/api/v1/agency/institutions/{institution_id}/appointments"
    audits = await AuditEntry.all().count()

    # Another agency: the institution does not exist for it, and nothing changes.
    r = await _signed(api, "POST", other_key, other_secret, path, body)
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")
    assert await Citizen.all().count() == 0 and await Booking.all().count() == 0
    assert (await Slot.get(id=slot_ids[0])).kept == 2 and await AuditEntry.all().count() == audits
    # Unsigned, or a malformed ID number: refused before anything.
    r = await api.post(path, json=body)
    assert r.status_code == 401
    r = await _signed(
        api,
        "POST",
        key,
        secret,
        path,
        {
            **body,
            "resident": {
                "name": "王秀英",
                "id_number": id_number[:-1] + ("0" if id_number[-1] != "0" else "1"),
            },
        },
    )
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_ID_NUMBER")
    r = await _signed(api, "POST", key, secret, path, {**body, "channel": "app"})
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_INPUT")
    assert await Citizen.all().count() == 0 and await Booking.all().count() == 0

    r = await _signed(api, "POST", key, secret, path, body)
    assert r.status_code == 201, r.text
    booked = r.json()
    assert (
        booked["status"] == "booked" and booked["channel"] == "hall" and booked["booked_by_staff"]
    )
    assert booked["resident"] == {
        "name_masked": mask_name("王秀英"),
        "id_number_masked": mask_id_number(id_number),
    }
    assert id_number not in r.text and len(booked["desk_code"]) == 8
    assert (await Slot.get(id=slot_ids[0])).kept == 1
    assert await AuditEntry.filter(action="appointments.staff_booking").count() == 1

    # The same person again (same session): the per-person rule holds for staff too.
    # (Another clerk's request: the same signed bytes again would be refused as a replay.)
    r = await _signed(api, "POST", key, secret, path, {**body, "staff_ref": "W008"})
    assert (r.status_code, r.json()["code"]) == (409, "ALREADY_BOOKED")
    # The record is now verified under that name: a wrong name is refused.
    wrong = {**body, "resident": {"name": "王秀", "id_number": id_number}}
    r = await _signed(api, "POST", key, secret, path, wrong)
    assert (r.status_code, r.json()["code"]) == (422, "RESIDENT_NAME_MISMATCH")
    second = {
        **body,
        "resident": {"name": "李桂兰", "id_number": with_check_digit("33010219380502224")},
    }
    assert (await _signed(api, "POST", key, secret, path, second)).status_code == 201
    third = {
        **body,
        "resident": {"name": "赵大海", "id_number": with_check_digit("33010219360309331")},
    }
    r = await _signed(api, "POST", key, secret, path, third)
    assert (r.status_code, r.json()["code"]) == (409, "NO_KEPT_SEAT")
    assert await Citizen.all().count() == 2  # the refused one left no record

    # Staff cancel their own booking: the seat returns to the kept share. Not another's.
    cancel = f"{path}/{booked['id']}"
    r = await _signed(api, "DELETE", other_key, other_secret, cancel)
    assert r.status_code == 404
    r = await _signed(api, "DELETE", key, secret, cancel)
    assert (r.status_code, r.json()["status"]) == (200, "cancelled")
    assert (await Slot.get(id=slot_ids[0])).kept == 1


async def test_the_h5_shell_serves_the_release_screen_from_the_shared_core(
    api: httpx.AsyncClient,
) -> None:
    view = await api.get("/h5/release-view.js")
    assert view.status_code == 200 and "releaseModel" in view.text
    core = await api.get("/h5/core/release.js")
    assert core.status_code == 200 and "export function releaseModel" in core.text
    # The router loads the screen on first use, so the home page does not carry it.
    router = await api.get("/h5/app.js")
    assert 'import("./release-view.js")' in router.text
    assert "release-view.js" not in (await api.get("/h5/views.js")).text
    assert (await api.get("/h5/core/not-there.js")).status_code == 404
