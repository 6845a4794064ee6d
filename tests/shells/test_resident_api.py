"""The API the issue-27 pages stand on, against the live server (real PostgreSQL + Redis):
我的待缴 (masked, paged, only what is issued to me, nothing before the real name is
verified), my orders, the public apply form, the 12345 categories and my tickets, the
rectification a bad rating answers with, and the messages: a notice issued to a resident
reaches the channel they last signed in on and opens 我的待缴; a 12345 reply reaches the
filer and opens the ticket."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from app.identity.id_numbers import with_check_digit
from app.interactions.models import Ticket
from app.interactions.service import Interactions
from infra import clock
from tests.cases.fixtures import GOOD_FORM, ITEM_CODE, PNG, seed
from tests.journeys import (
    agency_post,
    bearer,
    eventually,
    face_verify,
    new_person,
    sign_in,
    verified_resident,
)

pytestmark = pytest.mark.usefixtures("clean")

FEE = {"item_code": "103009", "name": "证照工本费", "kind_code": "103", "standard_fen": 1000}


async def notice_for(api: httpx.AsyncClient, creds: dict, name: str, id_number: str) -> str:
    r = await agency_post(
        api,
        creds,
        "/api/v1/agency/notices",
        {
            "payer": {"name": name, "id_number": id_number},
            "items": [{**{k: FEE[k] for k in ("item_code", "name", "standard_fen")},
                       "quantity": 1, "amount_fen": 1000}],
            "due_date": (clock.shanghai_date() + timedelta(days=7)).isoformat(),
            "notice_no": f"N-{id_number[-6:]}-{clock.now().timestamp()}",
        },
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["payment_code"]


async def test_my_payables_are_mine_masked_and_paged_and_my_orders_follow(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, settings, tmp_path: Path
) -> None:
    creds = await seed(settings, tmp_path)
    r = await agency_post(api, creds, "/api/v1/agency/fee-items", FEE)
    assert r.status_code == 201, r.text
    mine_id = with_check_digit("33010619900307123")
    other_id = with_check_digit("33010619880101123")
    who = await new_person(sandbox, id_number=mine_id, name="张三")
    session = await sign_in(api, sandbox, "wechat", who["wechat"]["openid"])
    token = session["token"]
    first = await notice_for(api, creds, "张三", mine_id)
    second = await notice_for(api, creds, "张三", mine_id)
    await notice_for(api, creds, "李四", other_id)

    # Before the real name is verified nothing is listed: an ID number is not proof.
    r = await api.get("/api/v1/me/payables", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["items"] == [] and r.json()["verified"] is False
    assert (await face_verify(api, sandbox, token, who["wechat"]["openid"])).status_code == 200

    r = await api.get("/api/v1/me/payables", headers=bearer(token))
    listing = r.json()
    assert listing["total"] == 2 and listing["verified"] is True
    assert {p["ref"] for p in listing["items"]} == {first, second}
    owed = listing["items"][0]
    assert owed["payer_masked"] == "张*" and owed["amount_fen"] == 1000
    assert owed["title"] == "证照工本费" and owed["overdue"] is False
    assert owed["payable"] == {"type": "notice", "payment_code": owed["ref"]}
    assert mine_id not in r.text and "张三" not in r.text
    paged = (await api.get("/api/v1/me/payables?page=2&page_size=1", headers=bearer(token))).json()
    assert paged["total"] == 2 and len(paged["items"]) == 1 and paged["page"] == 2
    assert paged["items"][0]["ref"] == listing["items"][1]["ref"]
    for bad in ("page=0", "page_size=51", "page=x"):
        r = await api.get(f"/api/v1/me/payables?{bad}", headers=bearer(token))
        assert r.status_code == 422 and r.json()["code"] == "INVALID_INPUT", (bad, r.text)
    r = await api.get("/api/v1/me/payables")
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED"

    # One tap opens the order the list names; it shows under my orders, nobody else's.
    r = await api.post("/api/v1/orders", json={"payable": owed["payable"]}, headers=bearer(token))
    assert r.status_code == 201, r.text
    orders = (await api.get("/api/v1/me/orders", headers=bearer(token))).json()
    assert orders["total"] == 1 and orders["items"][0]["id"] == r.json()["id"]
    assert orders["items"][0]["status"] == "CREATED" and orders["items"][0]["amount_fen"] == 1000
    assert orders["items"][0]["payable"] == {"type": "notice", "ref": owed["ref"]}
    _, other_token = await verified_resident(
        api, sandbox, "alipay", id_number=with_check_digit("33010619900101123"), name="王五"
    )
    assert (await api.get("/api/v1/me/orders", headers=bearer(other_token))).json()["items"] == []
    assert (await api.get("/api/v1/me/payables", headers=bearer(other_token))).json()["items"] == []
    r = await api.get("/api/v1/me/orders?page_size=0", headers=bearer(token))
    assert r.status_code == 422 and r.json()["code"] == "INVALID_INPUT"


async def test_a_notice_issued_to_me_reaches_the_channel_i_last_used(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, settings, tmp_path: Path
) -> None:
    creds = await seed(settings, tmp_path)
    assert (await agency_post(api, creds, "/api/v1/agency/fee-items", FEE)).status_code == 201
    id_number = with_check_digit("33010619900307123")
    who, _ = await verified_resident(api, sandbox, "wechat", id_number=id_number, name="张三")
    code = await notice_for(api, creds, "张三", id_number)

    async def told() -> list:
        r = await sandbox.get(
            "/sandbox/wechat/messages", params={"touser": who["wechat"]["openid"]}
        )
        return [m for m in r.json()["messages"] if m["page"] == "pages/payables/index"]

    sent = await eventually(told, timeout=20)
    due = (clock.shanghai_date() + timedelta(days=7)).isoformat()
    assert sent[0]["data"]["due_date"] == {"value": due}
    assert code not in str(sent[0]["data"]) and id_number not in str(sent[0]["data"])


async def test_the_apply_form_categories_tickets_and_a_bad_ratings_rectification(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, settings, tmp_path: Path
) -> None:
    creds = await seed(settings, tmp_path)
    # The form as residents fill it: public, read fresh.
    r = await api.get(f"/api/v1/items/{ITEM_CODE}/form")
    assert r.status_code == 200, r.text
    form = r.json()
    assert form["audience"] == "personal" and form["version"] >= 1
    assert [f["name"] for f in form["fields"]] == list(GOOD_FORM)
    assert form["materials"][0] == {"name": "身份证", "required": True, "hint": None}
    for code in ("JF-330100-99999-001", "x" * 19):
        r = await api.get(f"/api/v1/items/{code}/form")
        assert r.status_code == 409 and r.json()["code"] == "ITEM_NOT_APPLICABLE", r.text

    who, token = await verified_resident(api, sandbox, "wechat")
    up = await api.post(
        "/api/v1/materials", headers=bearer(token), files={"file": ("id.png", PNG, "image/png")}
    )
    case = await api.post(
        "/api/v1/cases",
        headers=bearer(token),
        json={"item_code": ITEM_CODE, "form": GOOD_FORM,
              "materials": [{"name": "身份证", "material_id": up.json()["id"]}]},
    )  # fmt: skip
    assert case.status_code == 201, case.text
    case_no = case.json()["case_no"]
    listed = (await api.get("/api/v1/me/cases", headers=bearer(token))).json()["cases"]
    assert listed[0]["item_code"] == ITEM_CODE and listed[0]["channel"] == "wechat"
    for action in ("accept", "approve", "complete"):
        r = await agency_post(api, creds, f"/api/v1/agency/cases/{case_no}/{action}", {})
        assert r.status_code == 200, r.text
    rated = await api.post(
        "/api/v1/evaluations",
        headers=bearer(token),
        json={"subject_type": "case", "subject_ref": case_no, "overall": 2, "efficiency": 2,
              "guide_accuracy": 2, "convenience": 2, "ease_of_use": 2, "comment": "太慢"},
    )  # fmt: skip
    assert rated.status_code == 201, rated.text
    fix = rated.json()["rectification"]
    assert fix["id"] == rated.json()["rectification_id"] and fix["status"] == "open"
    assert [d["step"] for d in fix["deadlines"]] == ["reply", "fix"]
    assert all(d["met_at"] is None for d in fix["deadlines"])

    # 12345: categories with their attributes; my tickets, only mine; a reply is told.
    r = await api.get("/api/v1/interactions/categories")
    assert r.status_code == 200
    codes = {c["code"]: c for c in r.json()["categories"]}
    assert {"road", "noise", "service"} <= set(codes)
    assert isinstance(codes["noise"]["attributes"], list)
    filed = await api.post(
        "/api/v1/interactions",
        headers=bearer(token),
        json={"kind": "complaint", "category_code": "noise", "text": "夜里施工太吵",
              "photo_ids": [up.json()["id"]], "lat": 30.27, "long": 120.15},
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    mine = (await api.get("/api/v1/me/interactions", headers=bearer(token))).json()["tickets"]
    assert [t["id"] for t in mine] == [filed.json()["id"]]
    _, other = await verified_resident(
        api, sandbox, "alipay", id_number=with_check_digit("33010619900101123"), name="李四"
    )
    assert (await api.get("/api/v1/me/interactions", headers=bearer(other))).json() == {
        "tickets": []
    }
    assert (await api.get("/api/v1/me/interactions")).status_code == 401

    interactions = Interactions(settings.service_rules, settings.vault())
    ticket = await Ticket.get(id=filed.json()["id"])
    await interactions.reply(ticket, "已责令夜间停工")

    async def told() -> list:
        r = await sandbox.get(
            "/sandbox/wechat/messages", params={"touser": who["wechat"]["openid"]}
        )
        page = f"pages/ticket/index?id={ticket.id}"
        return [m for m in r.json()["messages"] if m["page"] == page]

    await eventually(told, timeout=20)
