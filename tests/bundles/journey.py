"""The 新生儿出生一件事 journey over HTTP, shared by the demo (SQLite, embedded Redis) and the
PostgreSQL live server (--workers 2): apply once on WeChat, the agencies work their cases
through the signed agency API, supplement once on the app, one result, one rating."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.cases.fixtures import PDF, PNG
from tests.journeys import agency_post, bearer, eventually, signed_headers

BIRTH = "YJS-330100-XSECS"
FORM = {
    "child_name": "王小宝",
    "child_gender": "女",
    "birth_date": "2026-11-20",
    "mother_name": "王芳",
    "mother_id_number": "330382199508150025",
    "hospital": "杭州市妇产科医院",
    "address": "杭州市上城区解放路 1 号",
    "phone": "13700137000",
    "pay_bank": "杭州银行",
}
# What the WeChat city-service mini-program's web-view sends with every request.
WECHAT_HEADERS = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI "
    "Language/zh_CN miniProgram/wx3d5fa7f1b1a2c4e6",
    "Referer": "https://servicewechat.com/wx3d5fa7f1b1a2c4e6/12/page-frame.html",
}
LICENCES = {
    "hz-wjw": {"kind": "birth-certificate", "title": "出生医学证明", "number": "P3301002611"},
    "hz-gaj": {"kind": "household-register", "title": "户口簿（新生儿户口页）",
               "number": "HK3301002611"},
    "hz-rsj": {"kind": "social-security-card", "title": "社会保障卡", "number": "SB3301002611"},
}  # fmt: skip


async def _upload(api: httpx.AsyncClient, token: str, name: str, data: bytes) -> int:
    kind = "image/png" if data.startswith(b"\x89PNG") else "application/pdf"
    r = await api.post(
        "/api/v1/materials", headers=bearer(token), files={"file": (name, data, kind)}
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _act(
    api: httpx.AsyncClient, creds: dict, case_no: str, action: str, **body: Any
) -> httpx.Response:
    return await agency_post(api, creds, f"/api/v1/agency/cases/{case_no}/{action}", body)


async def _work(api: httpx.AsyncClient, creds: dict, case_no: str, department: str) -> None:
    for action in ("accept", "approve"):
        r = await _act(api, creds, case_no, action)
        assert r.status_code == 200, r.text
    result = {"licence": LICENCES[department]} if department in LICENCES else {"note": "已参保"}
    r = await _act(api, creds, case_no, "complete", result=result)
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text


async def birth_journey(
    api: httpx.AsyncClient,
    wechat_token: str,
    app_token: str,
    agencies: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """Answers the finished bundle case; asserts every step on the way."""
    wx = {**bearer(wechat_token), **WECHAT_HEADERS}
    listed = (await api.get("/api/v1/bundles")).json()["bundles"]
    assert {b["code"] for b in listed} >= {BIRTH, "YJS-330100-KBCYD"}
    guide = (await api.get(f"/api/v1/bundles/{BIRTH}")).json()
    assert guide["guide"]["time_limit_days"] == 10 and len(guide["items"]) == 4
    ids = await _upload(api, wechat_token, "sfz.png", PNG)
    hukou = await _upload(api, wechat_token, "hkb.pdf", PDF)
    materials = [
        {"name": "父母身份证", "material_id": ids},
        {"name": "监护人户口簿", "material_id": hukou},
    ]
    body = {"bundle_code": BIRTH, "form": FORM, "materials": materials, "pending": ["新生儿照片"]}

    # Bad input: a missing mapped field is named, and nothing is created.
    missing = await api.post(
        "/api/v1/bundle-cases",
        json={**body, "form": {k: v for k, v in FORM.items() if k != "birth_date"}},
        headers=wx,
    )
    assert missing.status_code == 422, missing.text
    assert missing.json()["code"] == "FORM_INVALID"
    assert missing.json()["details"]["fields"] == {"birth_date": "is required"}
    mine = await api.get("/api/v1/me/bundle-cases", headers=wx)
    assert mine.json()["bundle_cases"] == []

    # One submission; the same request again is the same bundle case.
    key = {"Idempotency-Key": "birth-journey-0001"}
    applied = await api.post("/api/v1/bundle-cases", json=body, headers={**wx, **key})
    assert applied.status_code == 201, applied.text
    again = await api.post("/api/v1/bundle-cases", json=body, headers={**wx, **key})
    assert again.status_code == 200 and again.json()["bundle_no"] == applied.json()["bundle_no"]
    bundle = applied.json()
    no = bundle["bundle_no"]
    assert bundle["channel"] == "wechat"
    assert [c["status"] for c in bundle["cases"]] == ["submitted", "waiting", "waiting", "waiting"]
    assert bundle["status"] == "supplement_needed"  # the photo is owed (容缺受理)

    async def view() -> dict[str, Any]:
        r = await api.get(f"/api/v1/bundle-cases/{no}", headers=bearer(app_token))
        assert r.status_code == 200, r.text
        return dict(r.json())

    def case_no(v: dict[str, Any], i: int) -> str:
        return str(v["cases"][i]["case_no"])

    # An agency acting on another agency's case: 404.
    first = case_no(bundle, 0)
    other = await _act(api, agencies["hz-gaj"], first, "accept")
    assert other.status_code == 404 and other.json()["code"] == "CASE_NOT_FOUND"
    path = f"/api/v1/agency/cases/{first}"
    peek = await api.get(
        path, headers=signed_headers(agencies["hz-gaj"]["key"], agencies["hz-gaj"]["secret"],
                                     "GET", path, b"")
    )  # fmt: skip
    assert peek.status_code == 404

    await _work(api, agencies["hz-wjw"], first, "hz-wjw")

    async def started(i: int) -> dict[str, Any] | None:
        v = await view()
        return v if v["cases"][i]["status"] == "submitted" else None

    v = await eventually(lambda: started(1), timeout=30)
    assert v["cases"][1]["received"][0]["material"] == "出生医学证明"
    await _work(api, agencies["hz-gaj"], case_no(v, 1), "hz-gaj")
    v = await eventually(lambda: started(3), timeout=30)
    v = await eventually(lambda: started(2), timeout=30)

    # 医保 asks for a correction; the card's agency accepts with the photo pending.
    back = await _act(api, agencies["hz-ybj"], case_no(v, 2), "request_material",
                      note="请核对监护人联系电话")  # fmt: skip
    assert back.status_code == 200 and back.json()["status"] == "returned"
    card = case_no(v, 3)
    assert (await _act(api, agencies["hz-rsj"], card, "accept")).status_code == 200
    early = await _act(api, agencies["hz-rsj"], card, "approve")
    assert early.status_code == 409 and early.json()["code"] == "BUNDLE_MATERIAL_PENDING"
    assert (await view())["status"] == "supplement_needed"

    # One supplement on the app reaches both cases that need it.
    photo = await _upload(api, app_token, "photo.png", PNG)
    answered = await api.post(
        f"/api/v1/bundle-cases/{no}/supplement",
        json={"form": {"phone": "13900139000"},
              "materials": [{"name": "新生儿照片", "material_id": photo}]},
        headers=bearer(app_token),
    )  # fmt: skip
    assert answered.status_code == 200, answered.text
    v = answered.json()
    assert v["status"] == "in_progress"
    assert [c["status"] for c in v["cases"]][2:] == ["submitted", "accepted"]
    for i in (2, 3):
        seen_path = f"/api/v1/agency/cases/{case_no(v, i)}"
        dept = v["cases"][i]["department_code"]
        creds = agencies[dept]
        seen = await api.get(
            seen_path, headers=signed_headers(creds["key"], creds["secret"], "GET", seen_path, b"")
        )
        assert seen.json()["form"]["guardian_phone"] == "139****9000"
    await _work(api, agencies["hz-ybj"], case_no(v, 2), "hz-ybj")
    # A new decision, so a new signed request (an identical one is refused as a replay).
    r = await _act(api, agencies["hz-rsj"], card, "approve", note="照片已补齐，审核通过")
    assert r.status_code == 200, r.text
    r = await _act(api, agencies["hz-rsj"], card, "complete",
                   result={"licence": LICENCES["hz-rsj"]})  # fmt: skip
    assert r.status_code == 200, r.text

    async def finished() -> dict[str, Any] | None:
        current = await view()
        return current if current["status"] == "completed" else None

    done = await eventually(finished, timeout=30)
    assert {x["number"] for x in done["result"]["licences"]} == {
        x["number"] for x in LICENCES.values()
    }
    wallet = (await api.get("/api/v1/me/licences", headers=bearer(app_token))).json()["licences"]
    assert {x["number"] for x in LICENCES.values()} <= {x["number"] for x in wallet}

    # Rated once.
    scores = {"overall": 5, "efficiency": 5, "guide_accuracy": 5, "convenience": 5,
              "ease_of_use": 4, "comment": "一次申请全部办好"}  # fmt: skip
    rated = await api.post(f"/api/v1/bundle-cases/{no}/rating", json=scores,
                           headers=bearer(app_token))  # fmt: skip
    assert rated.status_code == 201, rated.text
    assert len(rated.json()["evaluations"]) == 4 and rated.json()["rectifications"] == []
    twice = await api.post(f"/api/v1/bundle-cases/{no}/rating", json=scores,
                           headers=bearer(app_token))  # fmt: skip
    assert twice.status_code == 409 and twice.json()["code"] == "ALREADY_RATED"
    final = await view()
    print_timeline(final)
    return final


def print_timeline(bundle: dict[str, Any]) -> None:
    """The closing note's timeline: one submission, N cases, one result."""
    events = bundle["timeline"]
    applies = [e for e in events if e["event"] == "apply" and "case_no" not in e]
    results = [e for e in events if e["event"] == "result"]
    print(f"\n{bundle['bundle_name']} {bundle['bundle_no']}: {len(applies)} submission, "
          f"{len(bundle['cases'])} cases, {len(results)} result "
          f"({len(bundle['result']['licences'])} e-licences), rated "
          f"{bundle['rating']['overall']}/5")  # fmt: skip
    for e in events:
        what = e.get("item_name") or ""
        detail = {k: v for k, v in e.items() if k not in ("at", "event", "item_name")}
        shown = json.dumps(detail, ensure_ascii=False)
        print(f"  {e['at'][11:19]}  {e['event']:<16} {what:<24} {shown}")
