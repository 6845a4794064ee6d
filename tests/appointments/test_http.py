"""The public contract against the live ``yiwang serve --workers 2``: agencies publish and
check in with signed requests; residents list, book, see their QR, cancel, wait."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

import httpx
import pytest
import zxingcpp
from PIL import Image

from app.agency.signing import create_agency
from app.appointments import checkin
from app.appointments.models import Booking, Rerelease, Slot, Standing
from app.config import Settings
from app.identity.sessions import SessionStore
from infra import clock
from infra.clock import SHANGHAI
from tests.agency.test_signing import signed_headers
from tests.appointments.helpers import in_days, person
from tests.appointments.live import fresh_ids

pytestmark = pytest.mark.usefixtures("clean")

INSTITUTION = {
    "ref": "HZ1H",
    "name": "杭州市第一人民医院",
    "kind": "clinic",
    "region_code": "330100",
    "address": "浣纱路261号",
    "departments": [
        {
            "code": "NK",
            "name": "内科",
            "resources": [{"code": "D1", "name": "王建国", "title": "主任医师"}],
        },
        {
            "code": "EK",
            "name": "儿科",
            "resources": [{"code": "D3", "name": "陈晓", "title": "副主任医师"}],
        },
    ],
}


def schedule(day, resource="D1", dept="NK", count=2, capacity=1, fee_fen=0) -> dict:  # type: ignore[no-untyped-def]
    first = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=8)
    return {
        "department_code": dept,
        "resource_code": resource,
        "date": day.isoformat(),
        "session": "morning",
        "slots": [
            {
                "starts_at": (first + timedelta(minutes=30 * i)).isoformat(),
                "ends_at": (first + timedelta(minutes=30 * (i + 1))).isoformat(),
                "capacity": capacity,
                "fee_fen": fee_fen,
            }
            for i in range(count)
        ],
    }


async def signed_post(
    api: httpx.AsyncClient, key: str, secret: str, path: str, body: dict
) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {**signed_headers(key, secret, "POST", path, raw), "Content-Type": "application/json"}
    return await api.post(path, content=raw, headers=headers)


@pytest.fixture
async def hospital(live_server, settings):  # type: ignore[no-untyped-def]
    await fresh_ids()
    vault = settings.vault()
    agency, secret = await create_agency(
        vault, name="杭州市第一人民医院", kind="health", region_code="330100"
    )
    return agency.key, secret


async def test_agency_publishes_and_residents_book_see_their_qr_and_cancel(
    api: httpx.AsyncClient, hospital, redis, settings: Settings
) -> None:
    key, secret = hospital
    r = await signed_post(api, key, secret, "/api/v1/agency/institutions", INSTITUTION)
    assert r.status_code == 201, r.text
    institution_id = r.json()["id"]
    assert [d["code"] for d in r.json()["departments"]] == ["NK", "EK"]
    day = in_days(3)
    path = f"/api/v1/agency/institutions/{institution_id}/schedules"
    r = await signed_post(
        api,
        key,
        secret,
        path,
        {"schedules": [schedule(day), schedule(day, "D3", "EK", 1, 2, 1500)]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 3
    # Sending the same schedule again updates; nothing is duplicated.
    r = await signed_post(api, key, secret, path, {"schedules": [schedule(day)]})
    assert r.json() == {**r.json(), "created": 0, "updated": 2}
    assert await Slot.filter(institution_id=institution_id).count() == 3

    listed = (
        await api.get("/api/v1/institutions", params={"kind": "clinic", "region": "330100"})
    ).json()
    assert [i["id"] for i in listed["institutions"]] == [institution_id]
    assert (await api.get("/api/v1/institutions", params={"kind": "hall"})).json()[
        "institutions"
    ] == []
    slots = (
        await api.get(
            f"/api/v1/institutions/{institution_id}/slots", params={"date": day.isoformat()}
        )
    ).json()
    first = slots["slots"][0]
    assert {"id", "starts_at", "capacity", "remaining", "bookable"} <= set(first)
    assert first["bookable"] is True and first["remaining"] == 1

    sessions = SessionStore(redis, timedelta(days=1))
    alice, bob = await person(sessions), await person(sessions, verified=False)
    auth = {"Authorization": f"Bearer {alice.token}"}
    r = await api.post("/api/v1/appointments", json={"slot_id": first["id"]}, headers=auth)
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["status"] == "booked" and booking["check_in_code"].startswith("YWCI2.")

    r = await api.post("/api/v1/appointments", json={"slot_id": first["id"]}, headers=auth)
    assert (r.status_code, r.json()["code"]) == (409, "ALREADY_BOOKED")
    assert set(r.json()) >= {"code", "message", "request_id"}
    r = await api.post(
        "/api/v1/appointments",
        json={"slot_id": first["id"]},
        headers={"Authorization": f"Bearer {bob.token}"},
    )
    assert (r.status_code, r.json()["code"]) == (403, "NOT_VERIFIED")
    r = await api.post("/api/v1/appointments", json={"slot_id": "x"}, headers=auth)
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_INPUT")
    r = await api.post("/api/v1/appointments", json={"slot_id": 1}, headers={})
    assert r.status_code == 401
    assert await Booking.all().count() == 1

    slots = (
        await api.get(
            f"/api/v1/institutions/{institution_id}/slots", params={"date": day.isoformat()}
        )
    ).json()
    assert slots["slots"][0]["remaining"] == 0 and slots["slots"][0]["bookable"] is False

    code = (
        await api.get(f"/api/v1/appointments/{booking['id']}/check-in-code", headers=auth)
    ).json()
    # The same signed message (booking, institution, nonce); SM2 signatures are randomised,
    # so each rendering carries a fresh signature over it, and check-in accepts any of them.
    assert code["code"].rsplit(".", 1)[0] == booking["check_in_code"].rsplit(".", 1)[0]
    assert code["code"].startswith(f"YWCI2.{booking['id']}.{institution_id}.")
    mine = (await api.get("/api/v1/me/appointments", headers=auth)).json()["appointments"]
    assert [m["id"] for m in mine] == [booking["id"]]
    # The list says where to go, not only ids.
    assert (mine[0]["institution_name"], mine[0]["department_name"]) == (
        "杭州市第一人民医院",
        "内科",
    )
    assert (mine[0]["resource_name"], mine[0]["resource_title"]) == ("王建国", "主任医师")
    assert mine[0]["address"] == "浣纱路261号"
    # The check-in QR image carries the signed code (its own fresh SM2 signature over the
    # same message), readable by a real decoder.
    qr = await api.get(f"/api/v1/appointments/{booking['id']}/check-in-qr.png", headers=auth)
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png"
    assert "no-store" in qr.headers["cache-control"]
    [read] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.content)))
    assert read.text.rsplit(".", 1)[0] == code["code"].rsplit(".", 1)[0]
    assert checkin.verify(settings.appointments.checkin_key, read.text).booking_id == booking["id"]
    stranger_qr = await api.get(
        f"/api/v1/appointments/{booking['id']}/check-in-qr.png",
        headers={"Authorization": f"Bearer {bob.token}"},
    )
    assert (stranger_qr.status_code, stranger_qr.json()["code"]) == (404, "APPOINTMENT_NOT_FOUND")
    other = await api.get(
        f"/api/v1/appointments/{booking['id']}", headers={"Authorization": f"Bearer {bob.token}"}
    )
    assert (other.status_code, other.json()["code"]) == (404, "APPOINTMENT_NOT_FOUND")

    # Check-in is not for today's date here: refused, and the code stays valid.
    r = await signed_post(
        api,
        key,
        secret,
        f"/api/v1/agency/institutions/{institution_id}/check-ins",
        {"code": code["code"]},
    )
    assert (r.status_code, r.json()["code"]) == (409, "CHECKIN_NOT_ALLOWED")
    r = await signed_post(
        api,
        key,
        secret,
        f"/api/v1/agency/institutions/{institution_id}/check-ins",
        {"code": code["code"][:-3] + "xyz"},
    )
    assert (r.status_code, r.json()["code"]) == (422, "CHECKIN_CODE_INVALID")
    assert len(code["desk_code"]) == 8 and code["desk_code"].isdigit()
    for bad in ({}, {"code": code["code"], "desk_code": code["desk_code"]}, {"desk_code": "12ab"}):
        r = await signed_post(
            api, key, secret, f"/api/v1/agency/institutions/{institution_id}/check-ins", bad
        )
        assert (r.status_code, r.json()["code"]) == (422, "INVALID_INPUT"), bad

    r = await api.delete(f"/api/v1/appointments/{booking['id']}", headers=auth)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    # Nobody waits: the seat returns at a drawn moment, not now (docs/appointments.md).
    held = await Rerelease.get(slot_id=first["id"])
    assert held.status == "pending" and held.release_at > clock.now()
    assert (await Slot.get(id=first["id"])).remaining == 0
    r = await api.delete(f"/api/v1/appointments/{booking['id']}", headers=auth)
    assert (r.status_code, r.json()["code"]) == (409, "APPOINTMENT_NOT_ACTIVE")
    r = await api.get(f"/api/v1/appointments/{booking['id']}/check-in-qr.png", headers=auth)
    assert (r.status_code, r.json()["code"]) == (409, "APPOINTMENT_NOT_ACTIVE")


async def test_waitlist_and_refusals_over_http(api: httpx.AsyncClient, hospital, redis) -> None:
    key, secret = hospital
    institution_id = (
        await signed_post(api, key, secret, "/api/v1/agency/institutions", INSTITUTION)
    ).json()["id"]
    path = f"/api/v1/agency/institutions/{institution_id}/schedules"
    far, near = in_days(9), in_days(3)
    r = await signed_post(
        api, key, secret, path, {"schedules": [schedule(far, count=1), schedule(near, count=1)]}
    )
    ids = r.json()["slot_ids"]
    sessions = SessionStore(redis, timedelta(days=1))
    alice, bob = await person(sessions), await person(sessions)
    a = {"Authorization": f"Bearer {alice.token}"}
    b = {"Authorization": f"Bearer {bob.token}"}
    r = await api.post("/api/v1/appointments", json={"slot_id": ids[0]}, headers=a)
    assert (r.status_code, r.json()["code"]) == (409, "NOT_YET_RELEASED")
    assert "opens_at" in r.json()["details"]
    assert (
        await api.post("/api/v1/appointments", json={"slot_id": ids[1]}, headers=a)
    ).status_code == 201
    r = await api.post("/api/v1/appointments", json={"slot_id": ids[1]}, headers=b)
    assert (r.status_code, r.json()["code"]) == (409, "SLOT_FULL")
    r = await api.post(f"/api/v1/slots/{ids[1]}/waitlist", headers=b)
    assert r.status_code == 201 and r.json()["status"] == "waiting"
    r = await api.post(f"/api/v1/slots/{ids[1]}/waitlist", headers=b)
    assert (r.status_code, r.json()["code"]) == (409, "WAITLIST_ALREADY_JOINED")

    # A ban answers 403 with the date it ends (workers remember "not banned" for a few
    # seconds, so this person is new to them; the database refuses a banned person anyway).
    carol = await person(sessions)
    until = clock.now() + timedelta(days=30)
    await Standing.create(citizen_id=carol.citizen_id, banned_until=until, updated_at=clock.now())
    r = await api.post(
        "/api/v1/appointments",
        json={"slot_id": ids[1]},
        headers={"Authorization": f"Bearer {carol.token}"},
    )
    assert (r.status_code, r.json()["code"]) == (403, "BOOKING_BANNED")
    assert r.json()["details"]["banned_until"] == until.astimezone(SHANGHAI).date().isoformat()

    # Unknown resource codes are refused and change nothing.
    before = await Slot.all().count()
    r = await signed_post(
        api, key, secret, path, {"schedules": [{**schedule(near), "resource_code": "NOPE"}]}
    )
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_INPUT")
    assert await Slot.all().count() == before


async def test_operator_commands_report_drift_rebuild_and_lift_bans(
    api: httpx.AsyncClient, hospital, redis, env
) -> None:
    key, secret = hospital
    institution_id = (
        await signed_post(api, key, secret, "/api/v1/agency/institutions", INSTITUTION)
    ).json()["id"]
    r = await signed_post(
        api,
        key,
        secret,
        f"/api/v1/agency/institutions/{institution_id}/schedules",
        {"schedules": [schedule(in_days(3), count=2)]},
    )
    ids = r.json()["slot_ids"]
    sessions = SessionStore(redis, timedelta(days=1))
    alice = await person(sessions)
    assert (
        await api.post(
            "/api/v1/appointments",
            json={"slot_id": ids[0]},
            headers={"Authorization": f"Bearer {alice.token}"},
        )
    ).status_code == 201

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", "appointments", *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    clean_run = cli("drift")
    assert clean_run.returncode == 0, clean_run.stderr
    assert json.loads(clean_run.stdout)["drifted"] == []
    # Someone corrupts the gate: the report names the slot, exit status 1.
    group = (await Slot.get(id=ids[1])).group_key
    await redis.hset(f"appt:{{{group}}}:left", str(ids[1]), 7)
    drifted = cli("drift")
    assert drifted.returncode == 1
    assert json.loads(drifted.stdout)["drifted"][0]["left"][str(ids[1])] == {"redis": 7, "db": 1}
    rebuilt = cli("rebuild-gate")
    assert rebuilt.returncode == 0 and json.loads(rebuilt.stdout)["groups_rebuilt"] == 1
    assert cli("drift").returncode == 0

    await Standing.filter(citizen_id=alice.citizen_id).update(
        banned_until=clock.now() + timedelta(days=9)
    )
    lifted = cli("lift-ban", "--citizen", str(alice.citizen_id), "--reason", "appeal accepted")
    assert lifted.returncode == 0, lifted.stderr
    assert json.loads(lifted.stdout)["reason"] == "appeal accepted"
    assert (await Standing.get(citizen_id=alice.citizen_id)).banned_until is None
