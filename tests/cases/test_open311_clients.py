"""Open311 GeoReport v2 for outside tools: api_keys of registered clients, the requester's
contact sealed, media_url for a report's photo (metadata stripped) and never a complaint's."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image, PngImagePlugin
from tortoise import connections
from tortoise.exceptions import IntegrityError

from app.errors import TicketNotFound, TicketStepForbidden
from app.interactions.models import Open311Client, Ticket
from app.interactions.photos import strip_metadata
from app.interactions.service import Interactions
from infra import clock
from tests.cases.fixtures import person, seed
from tests.journeys import bearer, verified_resident

REQUEST_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
REQUESTER = {
    "email": "zhangsan@example.com",
    "first_name": "三",
    "last_name": "张",
    "phone": "13800138000",
    "device_id": "ios-7F3A",
}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "open311", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _jpeg_with_metadata() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x010E] = "GPS 30.2741N 120.1551E home"  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (16, 8), (200, 30, 30)).save(
        out, "JPEG", exif=exif.tobytes(), comment=b"taken at home"
    )
    return out.getvalue()


def _png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "30.2741,120.1551")
    out = io.BytesIO()
    Image.new("RGB", (8, 16), (10, 90, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def test_photos_lose_their_metadata_and_keep_their_picture() -> None:
    jpeg = _jpeg_with_metadata()
    assert b"PhoneMaker" in jpeg and b"taken at home" in jpeg
    clean = strip_metadata(jpeg, "image/jpeg")
    for secret in (b"PhoneMaker", b"30.2741N", b"taken at home", b"Exif"):
        assert secret not in clean
    shown = Image.open(io.BytesIO(clean))
    shown.load()
    assert shown.size == (16, 8) and not shown.getexif()
    assert shown.getpixel((4, 4))[0] > 150  # still the red picture

    png = _png_with_metadata()
    clean_png = strip_metadata(png, "image/png")
    assert b"Location" in png and b"Location" not in clean_png
    drawn = Image.open(io.BytesIO(clean_png))
    drawn.load()
    assert drawn.size == (8, 16) and drawn.getpixel((1, 1)) == (10, 90, 200)

    # Broken or foreign bytes yield nothing beyond what was checked.
    assert strip_metadata(b"GIF89a...", "image/gif") == b""
    assert strip_metadata(jpeg[:40], "image/jpeg").startswith(b"\xff\xd8")
    assert b"PhoneMaker" not in strip_metadata(jpeg[:200], "image/jpeg")


async def test_a_client_files_with_its_api_key_and_the_requester_is_sealed(
    clean: None, api: httpx.AsyncClient, env: dict[str, str], settings, tmp_path: Path
) -> None:
    await seed(settings, tmp_path)
    made = _cli(env, "create-client", "--name", "城市随手拍")
    assert made.returncode == 0, made.stderr
    lines = made.stdout.strip().splitlines()
    assert len(lines) == 1
    client = json.loads(lines[0])
    key = client["api_key"]
    assert key.startswith("o311_") and len(key) > 40 and client["revoked_at"] is None
    row = await Open311Client.get(id=client["client_id"])
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest() and row.key_prefix == key[:12]
    assert key not in json.dumps(await Open311Client.all().values(), default=str)

    posted = await api.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "road",
            "lat": "30.25",
            "long": "120.17",
            "address_string": "解放路 1 号",
            "description": "路灯不亮，联系 13800138000",
            "media_url": "https://img.example.com/lamp.jpg",
            **REQUESTER,
        },
    )
    assert posted.status_code == 200, posted.text
    [created] = posted.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] is None
    assert created["service_notice"] == "已派发至杭州市公安局交通警察支队，5个工作日内答复。"

    ticket = await Ticket.get(id=int(created["service_request_id"]))
    assert (ticket.citizen_id, ticket.account_id, ticket.client_id) == (None, None, row.id)
    assert ticket.channel == "open311" and ticket.kind == "report"
    assert ticket.media_url == "https://img.example.com/lamp.jpg"
    assert ticket.requester["masked"] == {
        "name": "张*",
        "email": "z***@example.com",
        "phone": "138****8000",
    }
    stored = json.dumps(ticket.requester, ensure_ascii=False)
    assert "zhangsan" not in stored and "13800138000" not in stored and "ios-7F3A" not in stored
    vault = settings.vault()
    assert json.loads(vault.decrypt("open311_requester", ticket.requester["enc"])) == REQUESTER

    [public] = (await api.get(f"/open311/v2/requests/{ticket.id}.json")).json()
    assert set(public) == REQUEST_KEYS
    assert public["media_url"] == "https://img.example.com/lamp.jpg"
    assert public["description"] == "路灯不亮，联系 138****8000"
    assert public["agency_responsible"] == "杭州市公安局交通警察支队" and public["status"] == "open"
    assert public["service_notice"] == created["service_notice"]
    shown = json.dumps(public, ensure_ascii=False)
    assert "zhangsan" not in shown and "张" not in shown and "ios-7F3A" not in shown

    # JSON with the key in the query string, as some tools send it.
    as_json = await api.post(
        "/open311/v2/requests.json",
        params={"api_key": key},
        json={"service_code": "noise", "description": "夜间施工", "address_string": "文三路"},
    )
    assert as_json.status_code == 200, as_json.text

    count = await Ticket.all().count()
    for headers, data in (
        ({}, {"service_code": "road", "description": "x", "address_string": "y"}),
        ({}, {"api_key": "o311_wrong", "service_code": "road", "address_string": "y"}),
        ({}, {"api_key": key.upper(), "service_code": "road", "address_string": "y"}),
    ):
        refused = await api.post("/open311/v2/requests.json", data=data, headers=headers)
        assert refused.status_code == 403
        assert refused.json() == [{"code": 403, "description": refused.json()[0]["description"]}]
    for bad, field in (
        ({"description": "x", "address_string": "y"}, "service_code"),
        ({"service_code": "road", "description": "x"}, "location"),
        ({"service_code": "nope", "description": "x", "address_string": "y"}, "service_code"),
        ({"service_code": "road", "address_string": "y"}, "description"),
        ({"service_code": "road", "description": "x", "address_string": "y",
          "media_url": "javascript:alert(1)"}, "media_url"),
        ({"service_code": "road", "description": "x", "address_string": "y",
          "media_url": "https://user:pw@img.example.com/a.jpg"}, "media_url"),
        ({"service_code": "road", "description": "x", "address_string": "y",
          "media_url": "https://img.example.com/" + "a" * 500}, "media_url"),
        ({"service_code": "road", "description": "x", "address_string": "y",
          "email": "not-an-email"}, "email"),
        ({"service_code": "road", "description": "x", "address_string": "y",
          "phone": "call me"}, "phone"),
        ({"service_code": "road", "description": "x", "lat": "91", "long": "120"}, "lat"),
    ):  # fmt: skip
        r = await api.post("/open311/v2/requests.json", data={"api_key": key, **bad})
        assert r.status_code == 400, (field, r.text)
        assert list(r.json()[0]) == ["code", "description"] and r.json()[0]["code"] == 400
    assert await Ticket.all().count() == count

    revoked = _cli(env, "revoke-client", "--id", str(row.id))
    assert revoked.returncode == 0 and json.loads(revoked.stdout)["revoked_at"]
    after = await api.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "road", "description": "x", "address_string": "y"},
    )
    assert after.status_code == 403 and await Ticket.all().count() == count
    listed = _cli(env, "list-clients")
    assert key not in listed.stdout
    assert [c["revoked_at"] is not None for c in json.loads(listed.stdout)] == [True]
    unknown = _cli(env, "revoke-client", "--id", "999999")
    assert unknown.returncode == 1
    assert json.loads(unknown.stderr)["code"] == "OPEN311_CLIENT_NOT_FOUND"


async def test_a_client_filed_ticket_has_no_resident_to_reopen_or_rate_it(
    clean: None, settings, tmp_path: Path
) -> None:
    await seed(settings, tmp_path)
    vault = settings.vault()
    svc = Interactions(settings.service_rules, vault)
    client = await Open311Client.create(
        name="t", key_hash=uuid.uuid4().hex, key_prefix="o311_t", created_at=clock.now()
    )
    ticket = await svc.file_for_client(
        client, {"phone": "13800138000"}, kind="report", category_code="road",
        text="井盖缺失", address="延安路",
    )  # fmt: skip
    assert ticket.requester["masked"] == {"phone": "138****8000"}
    with pytest.raises(TicketNotFound):
        await svc.owned(await person(), ticket.id)
    replied = await svc.reply(ticket, "已补装井盖")  # the department still answers it
    assert replied.status == "replied"
    with pytest.raises(TicketStepForbidden):
        await svc.reopen(replied)
    with pytest.raises(TicketStepForbidden):
        await svc.rate(replied, 5)
    assert (await Ticket.get(id=ticket.id)).status == "replied"

    who = await person()
    with pytest.raises(IntegrityError):  # one filer: never a resident and a client at once
        await Ticket.create(
            citizen_id=who.citizen_id, account_id=who.account_id, client_id=client.id,
            channel="wechat", kind="report", category_code="road", department_code="hz-jj",
            text="x", status="dispatched", created_at=clock.now(), updated_at=clock.now(),
        )  # fmt: skip
    found = await connections.get("default").execute_query_dict(
        "SELECT conname FROM pg_constraint WHERE conname = 'interaction_ticket_one_filer'"
    )
    assert len(found) == 1


async def test_media_url_shows_a_reports_photo_and_never_a_complaints(
    clean: None,
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    settings,
    tmp_path: Path,
) -> None:
    await seed(settings, tmp_path)
    _, token = await verified_resident(api, sandbox, "wechat")
    jpeg = _jpeg_with_metadata()
    up = await api.post(
        "/api/v1/materials",
        headers=bearer(token),
        files={"file": ("lamp.jpg", jpeg, "image/jpeg")},
    )
    assert up.status_code == 201, up.text
    filed = {}
    for kind in ("report", "complaint"):
        r = await api.post(
            "/api/v1/interactions",
            headers=bearer(token),
            json={
                "kind": kind,
                "category_code": "road",
                "text": "路灯不亮",
                "address": "解放路 1 号",
                "photo_ids": [up.json()["id"]],
            },
        )
        assert r.status_code == 201, r.text
        filed[kind] = r.json()["id"]

    [report] = (await api.get(f"/open311/v2/requests/{filed['report']}.json")).json()
    assert set(report) == REQUEST_KEYS
    media = f"/open311/v2/media/{filed['report']}"
    assert report["media_url"] == settings.public_base_url + media
    photo = await api.get(media)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert b"PhoneMaker" not in photo.content and b"taken at home" not in photo.content
    shown = Image.open(io.BytesIO(photo.content))
    shown.load()
    assert shown.size == (16, 8) and not shown.getexif()

    [complaint] = (await api.get(f"/open311/v2/requests/{filed['complaint']}.json")).json()
    assert complaint["media_url"] is None
    # A complaint is between the resident and the department: listed, never its content.
    assert set(complaint) == REQUEST_KEYS and complaint["service_code"] == "road"
    assert (complaint["description"], complaint["address"], complaint["lat"]) == (None, None, None)
    assert report["description"] == "路灯不亮" and report["address"] == "解放路 1 号"
    hidden = await api.get(f"/open311/v2/media/{filed['complaint']}")
    assert hidden.status_code == 404 and hidden.json()[0]["code"] == 404
    assert (await api.get("/open311/v2/media/999999")).status_code == 404
    listed = (await api.get("/open311/v2/requests.json", params={"service_code": "road"})).json()
    assert {r["service_request_id"]: r["media_url"] for r in listed} == {
        str(filed["report"]): settings.public_base_url + media,
        str(filed["complaint"]): None,
    }
    # The resident's own view carries the filer; a client-filed ticket is not theirs.
    mine = (await api.get(f"/api/v1/interactions/{filed['report']}", headers=bearer(token))).json()
    assert mine["filed_by"] == "resident" and mine["requester"] is None


async def test_the_department_reads_a_requesters_contact_only_with_a_reason_on_record(
    clean: None, api: httpx.AsyncClient, env: dict[str, str], settings, tmp_path: Path
) -> None:
    from app.catalog.models import AuditEntry
    from app.operators.auth import create_operator

    await seed(settings, tmp_path)
    key = json.loads(_cli(env, "create-client", "--name", "随手拍").stdout)["api_key"]
    posted = await api.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "road", "description": "井盖缺失",
              "address_string": "解放路 1 号", **REQUESTER},
    )  # fmt: skip
    ticket_id = int(posted.json()[0]["service_request_id"])
    tokens = {}
    for name, role, departments in (
        ("jj-op", "department_operator", ["hz-jj"]),
        ("mz-op", "department_operator", ["hz-mzj"]),
        ("jj-reviewer", "reviewer", ["hz-jj"]),
    ):
        await create_operator(
            username=name, password="a-long-password-1", role=role, departments=departments
        )
        signed = await api.post(
            "/api/v1/operator/sessions", json={"username": name, "password": "a-long-password-1"}
        )
        tokens[name] = signed.json()["token"]
    path = f"/api/v1/operator/interactions/{ticket_id}/requester"
    # Another department's operator: the ticket does not exist for them. A reviewer may not.
    other = await api.post(path, headers=bearer(tokens["mz-op"]), json={"reason": "回访核实"})
    assert (other.status_code, other.json()["code"]) == (404, "TICKET_NOT_FOUND")
    reviewer = await api.post(
        path, headers=bearer(tokens["jj-reviewer"]), json={"reason": "回访核实"}
    )
    assert (reviewer.status_code, reviewer.json()["code"]) == (403, "FORBIDDEN")
    no_reason = await api.post(path, headers=bearer(tokens["jj-op"]), json={})
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "INVALID_INPUT")
    assert not await AuditEntry.filter(action="reveal_requester").exists()

    shown = await api.post(
        path, headers=bearer(tokens["jj-op"]), json={"reason": "电话回访处理结果"}
    )
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert shown.json() == {"ticket_id": ticket_id, "requester": REQUESTER}
    [entry] = await AuditEntry.filter(action="reveal_requester")
    assert (entry.operator_name, entry.subject_id, entry.reason) == (
        "jj-op",
        str(ticket_id),
        "电话回访处理结果",
    )
    assert "13800138000" not in json.dumps([entry.before, entry.after], ensure_ascii=False)
