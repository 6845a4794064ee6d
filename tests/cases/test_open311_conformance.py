"""Open311 GeoReport v2 conformance: discovery, services, service definitions with typed
attributes, requests filed and read back, and errors, each in JSON and in XML.

JSON is held to the community's schema rules and XML to the spec's documented structure
(``georeport_rules``); a public client (the ``georeport`` package) reads every GET route in
both formats, and requests are filed by a hand-written form POST, as a tool would send it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from georeport import GeoReport

from app.catalog.models import AuditEntry
from app.interactions import clients
from app.interactions.models import Category, Ticket
from app.operators.auth import create_operator
from app.supervision.models import Deadline
from infra import clock
from tests.cases import georeport_rules as rules
from tests.cases.fixtures import seed
from tests.journeys import bearer, verified_resident

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ROAD_ATTRIBUTES = [
    {"code": "LAMP_NO", "datatype": "string", "description": "灯杆编号", "required": True,
     "datatype_description": "杆身铭牌上的编号", "order": 1},
    {"code": "KIND", "datatype": "singlevaluelist", "description": "设施", "required": True,
     "order": 2, "values": [{"key": "lamp", "name": "路灯"}, {"key": "cover", "name": "井盖"}]},
    {"code": "PARTS", "datatype": "multivaluelist", "description": "损坏部位", "order": 3,
     "values": [{"key": "pole", "name": "灯杆"}, {"key": "bulb", "name": "灯泡"},
                {"key": "wire", "name": "电线"}]},
    {"code": "HEIGHT", "datatype": "number", "description": "离地高度（米）", "order": 4},
    {"code": "SEEN_AT", "datatype": "datetime", "description": "发现时间", "order": 5},
    {"code": "DETAIL", "datatype": "text", "description": "补充说明", "order": 6},
    {"code": "SAFETY", "datatype": "string", "variable": False, "order": 7,
     "description": "如有触电危险，请远离并拨打 110。"},
]  # fmt: skip
GOOD_ANSWERS = [
    ("attribute[LAMP_NO]", "HZ-0571"),
    ("attribute[KIND]", "lamp"),
    ("attribute[PARTS][]", "pole"),
    ("attribute[PARTS][]", "bulb"),
    ("attribute[HEIGHT]", "4.5"),
    ("attribute[SEEN_AT]", "2026-05-01T20:30:00Z"),
    ("attribute[DETAIL]", "夜里整条街都黑了\n已经三天"),
]


async def _operator(api: httpx.AsyncClient, name: str, role: str, department: str) -> str:
    password = "a-long-password-1"
    await create_operator(username=name, password=password, role=role, departments=[department])
    r = await api.post("/api/v1/operator/sessions", json={"username": name, "password": password})
    assert r.status_code == 201, r.text
    return r.json()["token"]


async def _define(api: httpx.AsyncClient, token: str, attributes: list, code: str = "road"):
    return await api.put(
        f"/api/v1/operator/interactions/categories/{code}/attributes",
        headers=bearer(token),
        json={"attributes": attributes, "reason": "随手拍上报需要灯杆编号"},
    )


async def _file(api: httpx.AsyncClient, fmt: str, pairs: list[tuple[str, str]]):
    """A hand-written form POST, as a GeoReport client sends it (repeated keys kept)."""
    return await api.post(
        f"/open311/v2/requests.{fmt}", content=urlencode(pairs).encode(), headers=FORM
    )


@pytest.fixture
async def open311(clean: None, api: httpx.AsyncClient, settings, tmp_path: Path):
    """The demo categories, an Open311 client's key and the road department's operator."""
    await seed(settings, tmp_path)
    _, key = await clients.create_client("城市随手拍")
    token = await _operator(api, "jj-op", "department_operator", "hz-jj")
    return key, token


def _matter(key: str, **changed: str) -> list[tuple[str, str]]:
    fields = {"api_key": key, "service_code": "road", "description": "路灯不亮",
              "address_string": "解放路 1 号", "lat": "30.25", "long": "120.17"}  # fmt: skip
    return list({**fields, **changed}.items())


async def test_every_georeport_route_answers_json_and_xml_by_the_rules(
    open311, api: httpx.AsyncClient, live_server
) -> None:
    key, token = open311
    clock_before = clock.now()
    defined = await _define(api, token, ROAD_ATTRIBUTES)
    assert defined.status_code == 200, defined.text
    assert defined.json()["changed"] is True and defined.json()["changed_at"]

    # Discovery: the v2 endpoint, both formats, contact; changeset = the definition's change.
    found = await api.get("/open311/discovery.json")
    doc = found.json()
    assert found.status_code == 200 and rules.discovery(doc) == []
    [endpoint] = doc["endpoints"]
    assert endpoint["url"] == live_server.api + "/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["type"] == "production" and "12345" in doc["contact"]
    changed = (await Category.get(code="road")).changed_at
    assert changed is not None and changed >= clock_before
    assert doc["changeset"] == changed.astimezone(clock.SHANGHAI).isoformat(timespec="seconds")
    as_xml = await api.get("/open311/discovery.xml")
    assert as_xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert rules.read_xml(as_xml.content, "discovery") == rules.as_text(doc)

    # Create: hand-written form POSTs, answered 200 as the spec's examples show.
    posted = await _file(api, "json", _matter(key) + GOOD_ANSWERS)
    assert posted.status_code == 200, posted.text
    assert rules.created(posted.json()) == []
    [made] = posted.json()
    assert made["account_id"] is None
    assert made["service_notice"] == "已派发至杭州市公安局交通警察支队，5个工作日内答复。"
    posted_xml = await _file(api, "xml", _matter(key, description="井盖松动") + GOOD_ANSWERS)
    assert posted_xml.status_code == 200, posted_xml.text
    [made_xml] = rules.read_xml(posted_xml.content, "service_requests")
    assert set(made_xml) == {"service_request_id", "service_notice", "account_id"}
    assert made_xml["account_id"] is None and made_xml["service_notice"] == made["service_notice"]
    ids = [made["service_request_id"], made_xml["service_request_id"]]

    # Read: every GET route through the public client, in both formats.
    def read(fmt: str) -> tuple:
        client = GeoReport(live_server.api + "/open311/v2", output_format=fmt)
        return (
            client.get_service_list(),
            client.get_service_definition("road"),
            client.get_service_requests(service_code="road", status="open"),
            client.get_service_request(ids[0]),
        )

    listed, definition, requests, single = await asyncio.to_thread(read, "json")
    assert rules.services(listed) == [] and len(listed) == 3
    road = next(s for s in listed if s["service_code"] == "road")
    assert road["metadata"] is True
    assert [s["metadata"] for s in listed if s["service_code"] != "road"] == [False, False]
    assert rules.definition(definition) == []
    assert [a["code"] for a in definition["attributes"]] == [a["code"] for a in ROAD_ATTRIBUTES]
    assert definition["attributes"][0] == {
        "variable": True, "code": "LAMP_NO", "datatype": "string", "required": True,
        "datatype_description": "杆身铭牌上的编号", "order": 1, "description": "灯杆编号",
        "values": [],
    }  # fmt: skip
    assert definition["attributes"][6]["variable"] is False
    assert rules.requests(requests) == [] and sorted(r["service_request_id"] for r in requests) == (
        sorted(ids)
    )
    assert rules.requests([single]) == [] and single["service_request_id"] == ids[0]
    assert single["agency_responsible"] == "杭州市公安局交通警察支队"
    assert single["service_notice"] == made["service_notice"]  # the same on POST and GET
    deadline = await Deadline.get(subject_type="ticket", subject_ref=ids[0], step="reply")
    assert single["expected_datetime"] == f"{deadline.due_date.isoformat()}T23:59:59+08:00"

    x_listed, x_definition, x_requests, x_single = await asyncio.to_thread(read, "xml")
    assert [s["service_code"] for s in x_listed] == [s["service_code"] for s in listed]
    assert x_definition["service_code"] == "road"
    assert [a["code"] for a in x_definition["attributes"]["attribute"]] == [
        a["code"] for a in definition["attributes"]
    ]
    assert sorted(r["service_request_id"] for r in x_requests) == sorted(ids)
    assert x_single["service_request_id"] == ids[0]
    assert x_single["agency_responsible"] == single["agency_responsible"]

    # XML carries exactly what JSON does, shaped as the spec's examples.
    for path, root in (
        ("services", "services"),
        ("services/road", "service_definition"),
        ("requests", "service_requests"),
        (f"requests/{ids[1]}", "service_requests"),
    ):
        as_json = (await api.get(f"/open311/v2/{path}.json")).json()
        xml = await api.get(f"/open311/v2/{path}.xml")
        assert xml.status_code == 200 and xml.headers["content-type"].startswith("text/xml")
        assert rules.read_xml(xml.content, root) == rules.as_text(as_json), path

    # The answers are kept with the ticket for its department, never shown publicly.
    ticket = await Ticket.get(id=int(ids[0]))
    assert ticket.attributes == [
        {"code": "LAMP_NO", "description": "灯杆编号", "datatype": "string", "value": "HZ-0571"},
        {"code": "KIND", "description": "设施", "datatype": "singlevaluelist",
         "names": ["路灯"], "value": "lamp"},
        {"code": "PARTS", "description": "损坏部位", "datatype": "multivaluelist",
         "names": ["灯杆", "灯泡"], "value": ["pole", "bulb"]},
        {"code": "HEIGHT", "description": "离地高度（米）", "datatype": "number", "value": 4.5},
        {"code": "SEEN_AT", "description": "发现时间", "datatype": "datetime",
         "value": "2026-05-02T04:30:00+08:00"},
        {"code": "DETAIL", "description": "补充说明", "datatype": "text",
         "value": "夜里整条街都黑了\n已经三天"},
    ]  # fmt: skip
    shown = await api.get(f"/api/v1/operator/interactions/{ids[0]}", headers=bearer(token))
    assert shown.status_code == 200 and shown.json()["attributes"] == ticket.attributes
    assert "HZ-0571" not in json.dumps(single, ensure_ascii=False)
    other = await _operator(api, "mz-op", "department_operator", "hz-mzj")
    hidden = await api.get(f"/api/v1/operator/interactions/{ids[0]}", headers=bearer(other))
    assert (hidden.status_code, hidden.json()["code"]) == (404, "TICKET_NOT_FOUND")

    # Answered: closed, with the department's reply as status_notes and nothing expected.
    replied = await api.post(
        f"/api/v1/operator/interactions/{ids[0]}/reply",
        headers=bearer(token),
        json={"reply": "已更换灯泡"},
    )
    assert replied.status_code == 200, replied.text
    [closed] = (await api.get(f"/open311/v2/requests/{ids[0]}.json")).json()
    assert rules.requests([closed]) == []
    assert (closed["status"], closed["status_notes"], closed["expected_datetime"]) == (
        "closed", "已更换灯泡", None
    )  # fmt: skip
    [closed_xml] = rules.read_xml(
        (await api.get(f"/open311/v2/requests/{ids[0]}.xml")).content, "service_requests"
    )
    assert closed_xml == rules.as_text(closed)


async def test_attribute_answers_are_checked_one_error_each_and_nothing_is_stored(
    open311, api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    key, token = open311
    assert (await _define(api, token, ROAD_ATTRIBUTES)).status_code == 200
    count = await Ticket.all().count()
    wrong = [
        ("attribute[KIND]", "bridge"),
        ("attribute[PARTS][]", "pole"),
        ("attribute[PARTS][]", "pole"),
        ("attribute[HEIGHT]", "tall"),
        ("attribute[SEEN_AT]", "yesterday"),
        ("attribute[SAFETY]", "ok"),
        ("attribute[WHISPER]", "x"),
        ("attribute[DETAIL]", "x" * 4001),
    ]
    expected = {
        "attribute[LAMP_NO] is required",
        "attribute[KIND] is not one of lamp, cover",
        "attribute[PARTS] repeats pole",
        "attribute[HEIGHT] is not a number",
        "attribute[SEEN_AT] is not a date-time (e.g. 2026-05-01T08:30:00+08:00)",
        "attribute[SAFETY] takes no answer: it only informs",
        "attribute[WHISPER] is not an attribute of this service",
        "attribute[DETAIL] is text of at most 4000 characters",
    }
    refused = await _file(api, "json", _matter(key) + wrong)
    assert refused.status_code == 422 and rules.errors(refused.json(), 422) == []
    assert refused.headers["x-error-code"] == "OPEN311_ATTRIBUTES_INVALID"
    assert {e["description"] for e in refused.json()} == expected
    refused_xml = await _file(api, "xml", _matter(key) + wrong)
    assert refused_xml.status_code == 422
    assert {e["description"] for e in rules.read_xml(refused_xml.content, "errors")} == expected
    one_line = await _file(
        api, "json", [*_matter(key), ("attribute[LAMP_NO]", "a\nb"), ("attribute[KIND]", "lamp")]
    )
    assert [e["description"] for e in one_line.json()] == [
        "attribute[LAMP_NO] is one line of at most 500 characters"
    ]
    # A JSON body answers the same way.
    as_json = await api.post(
        "/open311/v2/requests.json",
        json={"api_key": key, "service_code": "road", "description": "x", "address_string": "y",
              "attribute": {"LAMP_NO": "HZ-1", "KIND": 7}},
    )  # fmt: skip
    assert as_json.status_code == 422
    assert [e["description"] for e in as_json.json()] == [
        "attribute[KIND] is not one of lamp, cover"
    ]
    assert await Ticket.all().count() == count

    fine = await api.post(
        "/open311/v2/requests.json",
        json={"api_key": key, "service_code": "road", "description": "x", "address_string": "y",
              "attribute": {"LAMP_NO": "HZ-1", "KIND": "cover", "PARTS": ["wire"],
                            "HEIGHT": 3}},
    )  # fmt: skip
    assert fine.status_code == 200, fine.text
    stored = (await Ticket.get(id=int(fine.json()[0]["service_request_id"]))).attributes
    assert [(a["code"], a["value"]) for a in stored] == [
        ("LAMP_NO", "HZ-1"), ("KIND", "cover"), ("PARTS", ["wire"]), ("HEIGHT", 3)
    ]  # fmt: skip

    # A resident filing in the app answers the same definition.
    _, resident = await verified_resident(api, sandbox, "wechat")
    matter = {"kind": "report", "category_code": "road", "text": "井盖松动", "address": "延安路"}
    missing = await api.post("/api/v1/interactions", headers=bearer(resident), json=matter)
    assert (missing.status_code, missing.json()["code"]) == (422, "OPEN311_ATTRIBUTES_INVALID")
    assert missing.json()["details"]["problems"] == {
        "attribute[KIND]": "is required", "attribute[LAMP_NO]": "is required"
    }  # fmt: skip
    filed = await api.post(
        "/api/v1/interactions",
        headers=bearer(resident),
        json={**matter, "attributes": {"LAMP_NO": "HZ-2", "KIND": "cover"}},
    )
    assert filed.status_code == 201, filed.text
    assert [(a["code"], a["names"]) for a in filed.json()["attributes"] if "names" in a] == [
        ("KIND", ["井盖"])
    ]


async def test_operators_define_attributes_checked_whole_scoped_and_audited(
    open311, api: httpx.AsyncClient
) -> None:
    _, token = open311
    bad = [
        {"code": "LAMP NO", "datatype": "string", "description": "灯杆编号"},
        {"code": "KIND", "datatype": "singlevaluelist", "description": "设施", "values": []},
        {"code": "KIND", "datatype": "colour", "description": "颜色", "order": 2},
        {"code": "H", "datatype": "number", "description": " 高度", "values": [],
         "required": "yes", "min": 1},
        {"code": "NOTE", "datatype": "text", "description": "说明", "variable": False,
         "required": True, "order": 0},
    ]  # fmt: skip
    refused = await _define(api, token, bad)
    assert (refused.status_code, refused.json()["code"]) == (422, "SERVICE_DEFINITION_INVALID")
    assert set(refused.json()["details"]["problems"]) == {
        "attributes[0].code", "attributes[1].values", "attributes[2].code",
        "attributes[2].order", "attributes[2].datatype", "attributes[3].description",
        "attributes[3].values", "attributes[3].required", "attributes[3].min",
        "attributes[4].required", "attributes[4].order",
    }  # fmt: skip
    assert (await Category.get(code="road")).attributes == []

    reviewer = await _operator(api, "jj-reviewer", "reviewer", "hz-jj")
    assert (await _define(api, reviewer, ROAD_ATTRIBUTES)).status_code == 403
    read = await api.get(
        "/api/v1/operator/interactions/categories/road/attributes", headers=bearer(reviewer)
    )
    assert read.status_code == 200 and read.json()["attributes"] == []
    other = await _operator(api, "mz-op", "department_operator", "hz-mzj")
    outside = await _define(api, other, ROAD_ATTRIBUTES)
    assert (outside.status_code, outside.json()["code"]) == (404, "CATEGORY_NOT_FOUND")
    unknown = await _define(api, token, ROAD_ATTRIBUTES, code="nope")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "CATEGORY_NOT_FOUND")
    stray = await api.put(
        "/api/v1/operator/interactions/categories/road/attributes",
        headers=bearer(token),
        json={"attributes": [], "fields": []},
    )
    assert (stray.status_code, stray.json()["code"]) == (422, "INVALID_INPUT")
    assert list(stray.json()["details"]["fields"]) == ["fields"]
    assert not await AuditEntry.filter(action="define_service_attributes").exists()

    first = await _define(api, token, ROAD_ATTRIBUTES)
    again = await _define(api, token, ROAD_ATTRIBUTES)
    assert first.json()["changed"] is True and again.json()["changed"] is False
    assert again.json()["changed_at"] == first.json()["changed_at"]
    [entry] = await AuditEntry.filter(action="define_service_attributes")
    assert (entry.operator_name, entry.subject_id, entry.before) == ("jj-op", "road", [])
    assert [a["code"] for a in entry.after] == [a["code"] for a in ROAD_ATTRIBUTES]
    assert entry.reason == "随手拍上报需要灯杆编号"


ERROR_CASES = (
    ("GET", "/open311/v2/nope.json", 404, "NOT_FOUND"),
    ("GET", "/open311/v2/nope.xml", 404, "NOT_FOUND"),
    ("GET", "/open311/v3/services.xml", 404, "NOT_FOUND"),
    ("GET", "/open311/", 404, "NOT_FOUND"),
    ("DELETE", "/open311/v2/services.json", 405, "METHOD_NOT_ALLOWED"),
    ("PUT", "/open311/v2/requests.xml", 405, "METHOD_NOT_ALLOWED"),
    ("POST", "/open311/discovery.xml", 405, "METHOD_NOT_ALLOWED"),
    ("GET", "/open311/v2/services/nope.json", 404, "CATEGORY_NOT_FOUND"),
    ("GET", "/open311/v2/services/nope.xml", 404, "CATEGORY_NOT_FOUND"),
    ("GET", "/open311/v2/requests/999999.json", 404, "TICKET_NOT_FOUND"),
    ("GET", "/open311/v2/requests/abc.xml", 404, "TICKET_NOT_FOUND"),
    ("GET", "/open311/v2/requests.json?status=pending", 400, "INVALID_INPUT"),
    ("GET", "/open311/v2/requests.xml?start_date=2026-01-01T00:00:00Z"
     "&end_date=2026-06-01T00:00:00Z", 400, "INVALID_INPUT"),
    ("GET", "/open311/v2/requests.json?start_date=soon", 400, "INVALID_INPUT"),
    ("GET", "/open311/v2/media/999999", 404, "NOT_FOUND"),
    ("GET", "/open311/v2/tokens/12345.xml", 404, "NOT_FOUND"),
    ("GET", "/open311/v2/services/ro%00ad.json", 404, "CATEGORY_NOT_FOUND"),
    ("POST", "/open311/v2/requests.xml", 403, "OPEN311_API_KEY_INVALID"),
    ("POST", "/open311/v2/requests.json", 403, "OPEN311_API_KEY_INVALID"),
)  # fmt: skip


async def test_every_path_under_open311_answers_georeport_errors(
    open311, api: httpx.AsyncClient
) -> None:
    key, _ = open311
    for method, path, status, code in ERROR_CASES:
        r = await api.request(method, path)
        assert r.status_code == status, (method, path, r.text)
        assert r.headers["x-error-code"] == code, path  # our stable code, beside GeoReport's
        if path.split("?")[0].endswith(".xml"):
            assert r.headers["content-type"] == "text/xml; charset=utf-8", path
            body = rules.read_xml(r.content, "errors")
            assert rules.errors([{**e, "code": int(e["code"])} for e in body], status) == []
        else:
            assert rules.errors(r.json(), status) == [], (path, r.text)
        if status == 405:
            assert r.headers["allow"], path

    odd = await api.get("/open311/v2/requests.json?service_code=ro%00ad&status=open,closed")
    assert (odd.status_code, odd.json()) == (200, [])

    count = await Ticket.all().count()
    for fmt, content, headers, status in (
        ("json", b"{not json", {"Content-Type": "application/json"}, 400),
        ("xml", b"[1, 2]", {"Content-Type": "application/json"}, 400),
        ("xml", urlencode(_matter(key, service_code="nope")).encode(), FORM, 400),
        ("json", urlencode([("api_key", key), ("description", "x")]).encode(), FORM, 400),
        ("xml", urlencode(_matter(key, lat="north")).encode(), FORM, 400),
        ("json", urlencode(_matter(key, description="灯\x00")).encode(), FORM, 400),
        ("json", urlencode(_matter(key, service_code="ro\x00ad")).encode(), FORM, 400),
        ("json", urlencode(_matter("o311_revoked")).encode(), FORM, 403),
    ):
        r = await api.post(f"/open311/v2/requests.{fmt}", content=content, headers=headers)
        assert r.status_code == status, (fmt, content, r.text)
        shown = rules.read_xml(r.content, "errors") if fmt == "xml" else r.json()
        assert [int(e["code"]) for e in shown] == [status] and shown[0]["description"]
    assert await Ticket.all().count() == count

    # Whatever a client typed, the XML it reads back parses: characters XML 1.0 cannot
    # carry are left out, markup is escaped.
    filed = await _file(api, "json", _matter(key, description="灯\x07不亮 <b>&amp;</b>\x1b"))
    assert filed.status_code == 200, filed.text
    request_id = filed.json()[0]["service_request_id"]
    xml = await api.get(f"/open311/v2/requests/{request_id}.xml")
    [shown] = rules.read_xml(xml.content, "service_requests")
    assert shown["description"] == "灯不亮 <b>&amp;</b>"


def test_the_rules_catch_what_the_spec_forbids() -> None:
    """The checks above are only worth what they refuse: each rule fails a document that
    breaks it."""
    good = {"service_request_id": "1", "status": "open", "service_code": "road",
            "requested_datetime": "2026-05-01T08:00:00+08:00"}  # fmt: skip
    assert rules.requests([good]) == []
    for broken, why in (
        ({**good, "status": "pending"}, "status"),
        ({**good, "service_request_id": 1}, "service_request_id"),
        ({**good, "requested_datetime": "2026-05-01 08:00"}, "requested_datetime"),
        ({**good, "description": "x" * 4001}, "description"),
        ({**good, "lat": "30.2"}, "lat"),
        ({**good, "media_url": "/relative.jpg"}, "media_url"),
        ({k: v for k, v in good.items() if k != "service_code"}, "service_code"),
        ({**good, "attributes": []}, "attributes"),
    ):
        [problem] = rules.requests([broken])
        assert f".{why} " in problem, problem
    assert rules.services([{"service_code": "a", "service_name": "b", "metadata": "true",
                            "type": "realtime"}])  # fmt: skip
    assert rules.definition(
        {
            "service_code": "a",
            "attributes": [{"variable": True, "code": "X", "datatype": "list", "required": False}],
        }
    )
    assert rules.definition({"service_code": "a", "attributes": [
        {"variable": True, "code": "X", "datatype": "singlevaluelist", "required": False,
         "values": [{"key": 1, "name": "one"}]}]})  # fmt: skip
    assert rules.errors([{"code": 404, "description": "x"}], 400)
    assert rules.errors([], 400)
    assert rules.discovery({"changeset": "now", "contact": "c", "key_service": "k",
                            "endpoints": []})  # fmt: skip
    with pytest.raises(AssertionError):
        rules.read_xml(b"<services><service/></services>", "services")  # no declaration
    with pytest.raises(AssertionError):
        rules.read_xml(rules.DECLARATION + b"<services><request/></services>", "services")
