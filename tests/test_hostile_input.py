"""Hostile input against the live server: each answer is a 4xx with a stable code, nothing
changes, and no traceback reaches the log.

Every case here was a 500 once: a decoder's recursion limit, an integer the column cannot
hold, a string longer than its column, a query parameter cast by hand, a mask longer than
its column.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.appointments.models import Booking
from app.interactions.models import Ticket
from app.operators.auth import create_operator
from payments.models import Order
from tests.journeys import ID_NUMBER, bearer, face_verify, new_person, sign_in

pytestmark = pytest.mark.usefixtures("clean")

TOO_BIG = "9" * 30  # beyond BIGINT
LONG = "A" * 300
ARTIFACTS = Path(__file__).parent / "artifacts"


def _server_log(port: str) -> Path:
    return ARTIFACTS / f"live-server-{port}.log"


async def _verified(api: httpx.AsyncClient, sandbox: httpx.AsyncClient, name: str = "张三") -> str:
    person = await new_person(sandbox, ID_NUMBER, name)
    session = await sign_in(api, sandbox, "wechat", person["wechat"]["openid"])
    r = await face_verify(api, sandbox, session["token"], person["wechat"]["openid"])
    assert r.status_code == 200, r.text
    return str(session["token"])


def _code(path: str, r: httpx.Response) -> str:
    """Our stable code: in the body, or under /open311/ (whose errors are GeoReport's
    [{code, description}], code being the HTTP status) in the X-Error-Code header."""
    if not path.startswith("/open311/"):
        return str(r.json()["code"])
    assert [e["code"] for e in r.json()] == [r.status_code], r.text
    return r.headers["x-error-code"]


async def test_deep_or_huge_json_is_refused_before_anything_else_without_a_traceback(
    api: httpx.AsyncClient,
) -> None:
    log = _server_log(str(api.base_url.port))
    seen = log.stat().st_size if log.exists() else 0
    deep = b"[" * 2000 + b"]" * 2000
    # 40 levels: within the decoder's recursion limit, beyond ours (32).
    nested = b'{"a": ' + b"[" * 40 + b"1" + b"]" * 40 + b"}"
    for path in (
        "/api/v1/sessions",
        "/api/v1/receipts/verify",
        "/api/v1/orders",
        "/api/v1/agency/notices",
        "/open311/v2/requests.json",
    ):
        for body in (deep, nested):
            r = await api.post(path, content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 400, (path, r.text)
            assert _code(path, r) == "JSON_TOO_DEEP", path
        big = b'{"x":"' + b"a" * (1024 * 1024) + b'"}'
        r = await api.post(path, content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and _code(path, r) == "JSON_TOO_LARGE", path
    if log.exists():
        assert "Traceback" not in log.read_bytes()[seen:].decode(errors="replace")


async def test_ids_the_column_cannot_hold_are_not_found(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    headers = bearer(await _verified(api, sandbox))
    requests = [
        ("GET", f"/api/v1/appointments/{TOO_BIG}"),
        ("DELETE", f"/api/v1/appointments/{TOO_BIG}"),
        ("GET", f"/api/v1/institutions/{TOO_BIG}/slots?date=2026-12-01"),
        ("DELETE", f"/api/v1/materials/{TOO_BIG}"),
        ("GET", f"/api/v1/interactions/{TOO_BIG}"),
        ("DELETE", f"/api/v1/me/vehicles/{TOO_BIG}"),
        ("POST", f"/api/v1/slots/{TOO_BIG}/waitlist"),
        ("POST", f"/api/v1/waitlist/{TOO_BIG}/accept"),
        ("GET", f"/api/v1/orders/{LONG}"),
        ("POST", f"/api/v1/orders/{LONG}/payments"),
        ("GET", f"/api/v1/cases/{LONG}"),
        ("POST", f"/api/v1/cases/{LONG}/supplement"),
        ("GET", f"/api/v1/receipts/{LONG}"),
    ]
    for method, path in requests:
        r = await api.request(method, path, headers=headers, json={})
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert r.json()["code"] == "NOT_FOUND", path


async def test_body_fields_beyond_their_column_are_refused_and_change_nothing(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    headers = bearer(await _verified(api, sandbox))
    refused = [
        ("/api/v1/appointments", b'{"slot_id": 1e30}'),
        ("/api/v1/appointments", f'{{"slot_id": {TOO_BIG}}}'.encode()),
        (
            "/api/v1/orders",
            b'{"payable": {"type": "appointment", "appointment_id": "%s"}}' % TOO_BIG.encode(),
        ),
        (
            "/api/v1/orders",
            b'{"payable": {"type": "violation", "decision_no": "%s"}}' % LONG.encode(),
        ),
        (
            "/api/v1/interactions",
            (
                '{"kind": "report", "category_code": "city", "text": "路灯坏了",'
                f' "photo_ids": [{TOO_BIG}]}}'
            ).encode(),
        ),
    ]
    for path, body in refused:
        r = await api.post(
            path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert r.status_code == 422, (path, r.text)
        assert r.json()["code"] == "INVALID_INPUT", path
    assert await Order.all().count() == 0
    assert await Booking.all().count() == 0
    assert await Ticket.all().count() == 0


async def test_audit_limit_must_be_a_whole_number_in_range(api: httpx.AsyncClient) -> None:
    await create_operator(
        username="auditor",
        password="correct horse battery staple",
        role="platform_admin",
        departments=[],
        regions=[],
    )
    r = await api.post(
        "/api/v1/operator/sessions",
        json={"username": "auditor", "password": "correct horse battery staple"},
    )
    assert r.status_code == 201, r.text
    headers = bearer(r.json()["token"])
    for limit in ("abc", "-5", "1e3", "0", "501", TOO_BIG):
        r = await api.get("/api/v1/operator/audit", params={"limit": limit}, headers=headers)
        assert r.status_code == 422 and r.json()["code"] == "INVALID_INPUT", limit
    r = await api.get("/api/v1/operator/audit", params={"limit": "3"}, headers=headers)
    assert r.status_code == 200


async def test_a_method_not_allowed_names_the_allowed_ones(api: httpx.AsyncClient) -> None:
    r = await api.put("/api/v1/sessions")
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in r.headers["Allow"]


async def test_a_sixty_character_name_signs_in_with_a_short_mask(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    name = "欧" * 60
    person = await new_person(sandbox, ID_NUMBER, name)
    session = await sign_in(api, sandbox, "alipay", person["alipay"]["user_id"])
    assert session["citizen"]["name_masked"] == "欧***"
