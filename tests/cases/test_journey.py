"""The issue's journey against the live server (yiwang serve --workers 2, real PG + Redis):
apply on WeChat with an upload, sent back, supplemented on the app, completed, rated 2, the
rectification ticket shows on the operator dashboard, and the e-licence the case issued is
attached to the next case by licence_id."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.agency.models import Agency
from app.catalog.models import AuditEntry
from app.identity.id_numbers import with_check_digit
from app.operators.auth import create_operator
from infra import clock
from tests.cases.fixtures import GOOD_FORM, ITEM_CODE, PNG, seed
from tests.journeys import (
    agency_post,
    bearer,
    eventually,
    sign_in,
    signed_headers,
    verified_resident,
)


async def _agency_get(api: httpx.AsyncClient, creds: dict, path: str) -> httpx.Response:
    return await api.get(
        path, headers=signed_headers(creds["key"], creds["secret"], "GET", path, b"")
    )


async def test_apply_send_back_supplement_complete_rate_rectify_then_reuse_the_licence(
    clean: None,
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    settings,
    tmp_path: Path,
) -> None:
    creds = await seed(settings, tmp_path)
    who, wx_token = await verified_resident(api, sandbox, "wechat")

    # Uploads are typed by content: an HTML file named .png is refused and stores nothing.
    bad = await api.post(
        "/api/v1/materials",
        headers=bearer(wx_token),
        files={"file": ("id.png", b"<html>hi</html>", "image/png")},
    )
    assert bad.status_code == 415 and bad.json()["code"] == "UPLOAD_TYPE_NOT_ALLOWED"
    up = await api.post(
        "/api/v1/materials", headers=bearer(wx_token), files={"file": ("id.png", PNG, "image/png")}
    )
    assert up.status_code == 201, up.text
    material_id = up.json()["id"]
    assert up.json()["content_type"] == "image/png"

    # A form failing its schema: FORM_INVALID naming the field, and no case.
    wrong = await api.post(
        "/api/v1/cases",
        headers=bearer(wx_token),
        json={
            "item_code": ITEM_CODE,
            "form": {**GOOD_FORM, "applicant_phone": "12345"},
            "materials": [{"name": "身份证", "material_id": material_id}],
        },
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "FORM_INVALID"
    assert "applicant_phone" in wrong.json()["details"]["fields"]
    assert (await api.get("/api/v1/me/cases", headers=bearer(wx_token))).json()["cases"] == []

    applied = await api.post(
        "/api/v1/cases",
        headers=bearer(wx_token),
        json={
            "item_code": ITEM_CODE,
            "form": GOOD_FORM,
            "materials": [{"name": "身份证", "material_id": material_id}],
        },
    )
    assert applied.status_code == 201, applied.text
    case = applied.json()
    case_no = case["case_no"]
    assert case["status"] == "submitted" and len(case_no) == 16
    assert case["form"]["applicant_phone"] == "138****8000"  # sealed at rest, masked out

    # The agency sees the material and sends the case back for more.
    seen = await _agency_get(api, creds, f"/api/v1/agency/cases/{case_no}/materials/{material_id}")
    assert seen.status_code == 200 and seen.content == PNG
    # The scan of an ID card is personal data in the clear: the look is on the audit chain.
    looked = await AuditEntry.filter(action="reveal.case_material", subject_id=case_no)
    assert len(looked) == 1 and looked[0].seq is not None
    assert looked[0].operator_name == f"agency:{creds['key']}"
    assert looked[0].after == {"fields": [f"material:{material_id}"]}
    back = await agency_post(
        api, creds, f"/api/v1/agency/cases/{case_no}/request_material", {"note": "请补充银行卡照片"}
    )
    assert back.status_code == 200 and back.json()["status"] == "returned", back.text

    async def wechat_told() -> list:
        r = await sandbox.get(
            "/sandbox/wechat/messages", params={"touser": who["wechat"]["openid"]}
        )
        return [
            m
            for m in r.json()["messages"]
            if m["data"].get("case_no") == {"value": case_no} and "补正" in str(m["data"])
        ]

    await eventually(wechat_told, timeout=20)

    # The same citizen supplements on the provincial app; the case resumes, same number.
    app_session = await sign_in(api, sandbox, "app", who["app"]["user_id"])
    app_token = app_session["token"]
    card = await api.post(
        "/api/v1/materials",
        headers=bearer(app_token),
        files={"file": ("card.jpg", b"\xff\xd8\xff\xe0" + b"1" * 40, "image/jpeg")},
    )
    assert card.status_code == 201
    resumed = await api.post(
        f"/api/v1/cases/{case_no}/supplement",
        headers=bearer(app_token),
        json={"materials": [{"name": "银行卡", "material_id": card.json()["id"]}]},
    )
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "submitted"
    assert {m["name"] for m in resumed.json()["materials"]} == {"身份证", "银行卡"}

    # An agency transition the table forbids: approve before accept.
    early = await agency_post(api, creds, f"/api/v1/agency/cases/{case_no}/approve", {})
    assert early.status_code == 409 and early.json()["code"] == "CASE_TRANSITION_FORBIDDEN"
    for step, (action, payload) in enumerate(
        (
            ("accept", {}),
            ("approve", {}),
            (
                "complete",
                {
                    "result": {
                        "licence": {
                            "kind": "gaoling",
                            "title": "高龄津贴核定通知",
                            "number": "GL-2025-0001",
                        }
                    },
                    "express_no": "SF1234567890",
                },
            ),
        )
    ):
        # The refused approve above had the same body: a retry needs a new timestamp.
        r = await agency_post(
            api,
            creds,
            f"/api/v1/agency/cases/{case_no}/{action}",
            payload,
            ts=int(clock.now().timestamp()) + 1 + step,
        )
        assert r.status_code == 200, (action, r.text)
    done = (await api.get(f"/api/v1/cases/{case_no}", headers=bearer(app_token))).json()
    assert done["status"] == "completed" and done["express_no"] == "SF1234567890"
    assert [s["action"] for s in done["timeline"]] == [
        "apply",
        "request_material",
        "supplement",
        "accept",
        "approve",
        "complete",
    ]

    async def app_told() -> list:
        r = await sandbox.get("/sandbox/app/messages", params={"user_id": who["app"]["user_id"]})
        return [m for m in r.json()["messages"] if m["data"].get("express_no") == "SF1234567890"]

    await eventually(app_told, timeout=20)

    # Someone else cannot see it, and cannot rate it.
    _, other = await verified_resident(
        api, sandbox, "alipay", id_number=with_check_digit("33010619900101123"), name="李四"
    )
    assert (await api.get(f"/api/v1/cases/{case_no}", headers=bearer(other))).json()["code"] == (
        "CASE_NOT_FOUND"
    )
    scores = {
        "overall": 2,
        "efficiency": 2,
        "guide_accuracy": 3,
        "convenience": 2,
        "ease_of_use": 3,
    }
    stranger = await api.post(
        "/api/v1/evaluations",
        headers=bearer(other),
        json={"subject_type": "case", "subject_ref": case_no, **scores},
    )
    assert stranger.status_code == 409 and stranger.json()["code"] == "NOT_RATEABLE"

    rated = await api.post(
        "/api/v1/evaluations",
        headers=bearer(app_token),
        json={
            "subject_type": "case",
            "subject_ref": case_no,
            **scores,
            "comment": "材料要求不清楚",
        },
    )
    assert rated.status_code == 201, rated.text
    assert rated.json()["bad"] is True and rated.json()["rectification_id"]
    again = await api.post(
        "/api/v1/evaluations",
        headers=bearer(app_token),
        json={"subject_type": "case", "subject_ref": case_no, **scores},
    )
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_RATED"

    # The department's operator sees the rectification ticket on the dashboard.
    await create_operator(
        username="mzj-op",
        password="a-long-password-1",
        role="department_operator",
        departments=["hz-mzj"],
    )
    op = await api.post(
        "/api/v1/operator/sessions", json={"username": "mzj-op", "password": "a-long-password-1"}
    )
    assert op.status_code in (200, 201), op.text
    op_token = op.json()["token"]
    board = (
        await api.get("/api/v1/operator/supervision/dashboard", headers=bearer(op_token))
    ).json()
    tickets = [d for d in board["open"] if d["subject_type"] == "rectification"]
    assert {d["step"] for d in tickets} == {"reply", "fix"}
    assert tickets[0]["subject_ref"] == str(rated.json()["rectification_id"])
    listed = (await api.get("/api/v1/operator/rectifications", headers=bearer(op_token))).json()[
        "rectifications"
    ]
    assert [t["status"] for t in listed] == ["open"]
    assert await Agency.exists(key=creds["key"])

    # The completed case issued an e-licence; the next case attaches it instead of a file.
    [licence] = (await api.get("/api/v1/me/licences", headers=bearer(wx_token))).json()[
        "licences"
    ]
    assert (licence["kind"], licence["title"], licence["number"]) == (
        "gaoling",
        "高龄津贴核定通知",
        "GL-2025-0001",
    )
    theirs = await api.get("/api/v1/me/licences", headers=bearer(other))
    assert theirs.json()["licences"] == []
    with_licence = {
        "item_code": ITEM_CODE,
        "form": GOOD_FORM,
        "materials": [{"name": "身份证", "licence_id": licence["id"]}],
    }
    not_theirs = await api.post("/api/v1/cases", headers=bearer(other), json=with_licence)
    assert not_theirs.status_code == 404 and not_theirs.json()["code"] == "MATERIAL_NOT_FOUND"
    assert (await api.get("/api/v1/me/cases", headers=bearer(other))).json()["cases"] == []
    reused = await api.post("/api/v1/cases", headers=bearer(app_token), json=with_licence)
    assert reused.status_code == 201, reused.text
    second = reused.json()
    assert second["case_no"] != case_no
    assert second["materials"] == [{"name": "身份证", "licence_id": licence["id"]}]
    mine = (await api.get("/api/v1/me/cases", headers=bearer(wx_token))).json()["cases"]
    assert {c["case_no"] for c in mine} == {case_no, second["case_no"]}


async def test_open311_georeport_v2_formats(
    clean: None,
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    settings,
    tmp_path: Path,
) -> None:
    await seed(settings, tmp_path)
    _, token = await verified_resident(api, sandbox, "wechat")
    services = (await api.get("/open311/v2/services.json")).json()
    road = next(s for s in services if s["service_code"] == "road")
    assert set(road) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert road["metadata"] is False and road["type"] == "realtime"
    # The spec's form-encoded POST (a resident bearer token stands in for api_key).
    posted = await api.post(
        "/open311/v2/requests.json",
        headers=bearer(token),
        data={
            "service_code": "road",
            "lat": "30.25",
            "long": "120.17",
            "address_string": "解放路 1 号",
            "description": "路灯不亮，电话 13800138000",
        },
    )
    assert posted.status_code == 200, posted.text  # the spec's examples: 200, not 201
    [created] = posted.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    rid = created["service_request_id"]
    [one] = (await api.get(f"/open311/v2/requests/{rid}.json")).json()
    assert one["status"] == "open" and one["service_code"] == "road"
    assert one["lat"] == 30.25 and one["long"] == 120.17 and one["address"] == "解放路 1 号"
    assert "138****8000" in one["description"]  # public listings are redacted
    assert {
        "status_notes",
        "agency_responsible",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "media_url",
        "zipcode",
        "address_id",
    } <= set(one)
    listed = (
        await api.get(
            "/open311/v2/requests.json", params={"service_code": "road", "status": "open"}
        )
    ).json()
    assert [r["service_request_id"] for r in listed] == [rid]
    missing = await api.get("/open311/v2/requests/999999.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    unknown = await api.post(
        "/open311/v2/requests.json",
        headers=bearer(token),
        data={"service_code": "nope", "description": "x", "address_string": "y"},
    )
    assert unknown.status_code == 400  # GeoReport's status for a bad field, not our 422
    assert unknown.json() == [{"code": 400, "description": unknown.json()[0]["description"]}]
