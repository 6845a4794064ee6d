"""Residents look up violations with a proof of ownership, bind vehicles, and are told of
new ones — against the live ``yiwang serve --workers 2``."""

from __future__ import annotations

import statistics
import time

import httpx
import pytest

from app.identity.id_numbers import with_check_digit
from app.violations.models import VehicleAccess, Violation
from tests.journeys import bearer, eventually, verified_resident
from tests.violations.helpers import OTHER_VIN, push, record, traffic_agency

pytestmark = pytest.mark.usefixtures("clean")

PLATE = {"plate_type": "02", "plate_no": "浙A12345"}


async def lookup(api: httpx.AsyncClient, token: str, **params: str) -> httpx.Response:
    return await api.get("/api/v1/violations", params=params, headers=bearer(token))


async def seed(api: httpx.AsyncClient, env: dict[str, str]) -> dict[str, str]:
    creds = traffic_agency(env)
    r = await push(
        api,
        creds,
        [
            record("V-OVERDUE", decided_days_ago=20, fine_fen=20_000),  # 5 days late: 15 %
            record("V-UNDECIDED", points=6, fine_fen=10_000),
            record("V-PAID", decided_days_ago=40, paid_days_ago=30),
            record("V-OTHER", plate_no="浙B99999", vin=OTHER_VIN, decided_days_ago=1),
        ],
    )
    assert r.status_code == 200 and r.json()["created"] == 4, r.text
    return creds


async def test_a_proven_lookup_shows_fine_late_fee_total_and_what_to_do(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    await seed(api, env)
    _, token = await verified_resident(api, sandbox, "alipay")
    r = await lookup(api, token, **PLATE, vin_tail="123456")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["vehicle"]["plate_no"] == "浙A12345" and body["vehicle"]["bound"] is False
    assert body["vehicle"]["vin_masked"] == "LSV" + "*" * 14
    by_id = {v["violation_id"]: v for v in body["violations"]}
    assert set(by_id) == {"V-OVERDUE", "V-UNDECIDED", "V-PAID"}
    overdue = by_id["V-OVERDUE"]
    assert (overdue["fine_fen"], overdue["late_fee_fen"], overdue["total_fen"]) == (
        20_000,
        3_000,
        23_000,
    )
    assert overdue["payable"] is True and overdue["action"] == "pay"
    undecided = by_id["V-UNDECIDED"]
    assert undecided["payable"] is False and undecided["action"] == "handle_first"
    assert undecided["late_fee_fen"] == 0 and undecided["decision_no"] is None
    paid = by_id["V-PAID"]
    assert paid["payable"] is False and paid["paid_via"] == "bank" and paid["total_fen"] == 0
    assert body["summary"] == {
        "count": 3,
        "unpaid": 2,
        "payable": 1,
        "points": 9,
        "payable_total_fen": 23_000,
    }
    # The VIN itself never appears in an answer.
    assert "LSVAU2A37N2123456" not in r.text


async def test_bad_lookups_get_stable_codes_and_change_nothing(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    await seed(api, env)
    _, token = await verified_resident(api, sandbox, "alipay")
    cases = {
        "PLATE_NO_INVALID": {"plate_type": "02", "plate_no": "浙A1234", "vin_tail": "123456"},
        "PLATE_TYPE_UNKNOWN": {"plate_type": "77", "plate_no": "浙A12345", "vin_tail": "123456"},
        "VIN_TAIL_INVALID": {**PLATE, "vin_tail": "23456"},
        "OWNERSHIP_PROOF_REQUIRED": PLATE,
        "LICENCE_NO_INVALID": {"licence_no": "123", "file_no": "330100000001"},
        "FILE_NO_INVALID": {"licence_no": "330106199003071236", "file_no": "12"},
    }
    for code, params in cases.items():
        r = await lookup(api, token, **params)
        assert r.status_code == 422 and r.json()["code"] == code, (code, r.text)
    # Someone else's vehicle: the resident does not hold its VIN.
    r = await lookup(api, token, plate_type="02", plate_no="浙B99999", vin_tail="123456")
    assert r.status_code == 404 and r.json()["code"] == "VEHICLE_NOT_FOUND"
    assert await VehicleAccess.all().count() == 0
    unsigned = await api.get("/api/v1/violations", params={**PLATE, "vin_tail": "123456"})
    assert unsigned.status_code == 401


async def test_a_wrong_vin_tail_cannot_be_told_apart_from_an_unknown_plate(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    await seed(api, env)
    _, token = await verified_resident(api, sandbox, "alipay")
    wrong_tail = {**PLATE, "vin_tail": "654321"}
    unknown = {"plate_type": "02", "plate_no": "浙A99999", "vin_tail": "654321"}
    answers = [await lookup(api, token, **wrong_tail), await lookup(api, token, **unknown)]
    for r in answers:
        assert r.status_code == 404
        assert set(r.headers) == set(answers[0].headers)
    bodies = [{k: v for k, v in r.json().items() if k != "request_id"} for r in answers]
    assert (
        bodies[0]
        == bodies[1]
        == {
            "code": "VEHICLE_NOT_FOUND",
            "message": "No vehicle matches this plate and VIN.",
        }
    )
    # Same timing class: both read the same cache entries and hash the candidate once.
    # Alternate the two, many times, and compare medians (the limit is 30 a minute).
    timings: dict[str, list[float]] = {"wrong": [], "unknown": []}
    for _ in range(12):
        for name, params in (("wrong", wrong_tail), ("unknown", unknown)):
            started = time.perf_counter()
            r = await lookup(api, token, **params)
            timings[name].append(time.perf_counter() - started)
            assert r.status_code == 404
    wrong, unknown_ms = (statistics.median(t) * 1000 for t in timings.values())
    assert abs(wrong - unknown_ms) < max(2.0, 0.5 * min(wrong, unknown_ms)), (wrong, unknown_ms)
    # ... and the limit stops enumeration: 30 lookups a minute, then a refusal.
    for _ in range(30 - 2 - 24):
        assert (await lookup(api, token, **unknown)).status_code == 404
    limited = await lookup(api, token, **wrong_tail)
    assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"


async def test_a_bound_vehicle_is_looked_up_without_the_vin_and_can_be_unbound(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    await seed(api, env)
    _, token = await verified_resident(api, sandbox, "alipay")
    wrong = await api.post(
        "/api/v1/me/vehicles", json={**PLATE, "vin_tail": "000000"}, headers=bearer(token)
    )
    assert wrong.status_code == 404 and wrong.json()["code"] == "VEHICLE_NOT_FOUND"
    bound = await api.post(
        "/api/v1/me/vehicles", json={**PLATE, "vin_tail": "123456"}, headers=bearer(token)
    )
    assert bound.status_code == 201 and bound.json()["vehicle"]["bound"] is True
    for _ in range(3):  # whichever worker answers
        r = await lookup(api, token, **PLATE)
        assert r.status_code == 200 and len(r.json()["violations"]) == 3
    mine = (await api.get("/api/v1/me/vehicles", headers=bearer(token))).json()["vehicles"]
    assert [v["plate_no"] for v in mine] == ["浙A12345"]
    assert mine[0]["summary"]["payable_total_fen"] == 23_000

    gone = await api.delete(f"/api/v1/me/vehicles/{mine[0]['id']}", headers=bearer(token))
    assert gone.status_code == 204
    r = await lookup(api, token, **PLATE)
    assert r.status_code == 422 and r.json()["code"] == "OWNERSHIP_PROOF_REQUIRED"
    assert (await api.get("/api/v1/me/vehicles", headers=bearer(token))).json()["vehicles"] == []


async def test_a_licence_lookup_proves_the_driver(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = traffic_agency(env)
    driver = {"licence_no": "330106199003071236", "file_no": "330100000001"}
    r = await push(api, creds, [record("V-D", decided_days_ago=3, driver=driver)])
    assert r.json()["created"] == 1
    _, token = await verified_resident(api, sandbox, "alipay")
    ok = await lookup(api, token, **driver)
    assert ok.status_code == 200, ok.text
    assert ok.json()["driver"]["licence_no_masked"] == "330106********1236"
    assert [v["violation_id"] for v in ok.json()["violations"]] == ["V-D"]
    for params in (
        {**driver, "file_no": "330100000002"},
        {"licence_no": with_check_digit("33010219851122456"), "file_no": "330100000001"},
    ):
        r = await lookup(api, token, **params)
        assert r.status_code == 404 and r.json()["code"] == "DRIVER_NOT_FOUND"


async def test_agency_updates_show_at_once_and_bound_owners_are_told_of_new_violations(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = await seed(api, env)
    who, token = await verified_resident(api, sandbox, "alipay")
    bound = await api.post(
        "/api/v1/me/vehicles", json={**PLATE, "vin_tail": "123456"}, headers=bearer(token)
    )
    assert bound.status_code == 201
    before = (await lookup(api, token, **PLATE)).json()  # now cached
    assert {v["violation_id"] for v in before["violations"]} == {
        "V-OVERDUE",
        "V-UNDECIDED",
        "V-PAID",
    }
    r = await push(
        api,
        creds,
        [
            record("V-UNDECIDED", points=6, fine_fen=10_000, decided_days_ago=1),
            record("V-NEW", fine_fen=5_000),
        ],
    )
    assert (r.json()["created"], r.json()["updated"]) == (1, 1), r.text
    after = {v["violation_id"]: v for v in (await lookup(api, token, **PLATE)).json()["violations"]}
    assert after["V-UNDECIDED"]["payable"] is True and "V-NEW" in after

    async def told() -> list:
        r = await sandbox.get(
            "/sandbox/alipay/messages", params={"to_user_id": who["alipay"]["user_id"]}
        )
        return r.json()["messages"]

    messages = await eventually(told)
    assert len(messages) == 1 and messages[0]["user_template_id"] == "yiwang-violation-new"
    assert messages[0]["data"]["plate_no"] == {"value": "浙A12345"}
    assert await Violation.all().count() == 5
