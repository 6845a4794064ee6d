"""The traffic police's signed bulk upsert, against the live server."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from tortoise import connections

from app.violations.models import Driver, Vehicle, Violation
from tests.journeys import create_agency_via_cli, signed_headers
from tests.violations.helpers import PATH, VIN, push, record, traffic_agency

pytestmark = pytest.mark.usefixtures("clean")


async def snapshot() -> list[tuple]:
    return [
        tuple(row.values())
        for row in await Violation.all()
        .order_by("id")
        .values(
            "violation_id",
            "handling_status",
            "payment_status",
            "fine_fen",
            "fingerprint",
            "updated_at",
        )
    ]


async def test_a_batch_lands_once_and_bad_records_are_reported_by_index_and_field(
    api: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = traffic_agency(env)
    batch = [
        record("V1"),
        record("V2", plate_no="浙A1234"),  # malformed plate
        record("V3", decided_days_ago=2),
        record("V4", fine_fen="200"),  # a string, not fen
        record("V5", plate_type="99"),
        record("V6", vin="LSVAU2A37N212345"),  # 16 characters
        record(
            "V7",
            plate_type="52",
            plate_no="浙AD54321",
            vin="LFV2A21K5R3654321",
            driver={"licence_no": "330106199003071236", "file_no": "330100000001"},
        ),
        record("V3", decided_days_ago=2),  # twice in one batch
    ]
    r = await push(api, creds, batch)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["received"], body["created"], body["updated"], body["unchanged"]) == (8, 3, 0, 0)
    assert body["rejected"] == 5
    errors = {e["index"]: (e["field"], e["code"]) for e in body["errors"]}
    assert errors == {
        1: ("plate_no", "PLATE_NO_INVALID"),
        3: ("fine_fen", "INVALID_INPUT"),
        4: ("plate_type", "PLATE_TYPE_UNKNOWN"),
        5: ("vin", "VIN_INVALID"),
        7: ("violation_id", "DUPLICATE_IN_BATCH"),
    }
    assert body["errors"][0]["violation_id"] == "V2"
    assert await Violation.all().count() == 3
    assert await Vehicle.all().count() == 2 and await Driver.all().count() == 1

    # Personal data is encrypted and hashed, never stored in clear.
    vehicle = await Vehicle.get(plate_no="浙A12345")
    assert VIN not in vehicle.vin_enc and vehicle.vin_masked == "LSV" + "*" * 14
    driver = await Driver.get()
    assert "330106199003071236" not in driver.licence_no_enc
    assert driver.licence_no_masked == "330106********1236"

    before = await snapshot()
    await asyncio.sleep(1.1)  # a new timestamp: the same signed request would be a replay
    again = await push(api, creds, batch)
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (
        0,
        0,
        3,
    )
    assert await snapshot() == before

    decided = await push(api, creds, [record("V1", decided_days_ago=1)])
    assert decided.json()["updated"] == 1
    v1 = await Violation.get(violation_id="V1")
    assert v1.handling_status == "decided" and v1.decision_no == "DV1"

    # A decision, once made, does not change; a bank payment is recorded.
    changed = await push(
        api,
        creds,
        [
            record("V1", decided_days_ago=1, decision_no="DOTHER"),
            record("V3", decided_days_ago=2, paid_days_ago=0),
        ],
    )
    out = changed.json()
    assert out["updated"] == 1 and out["errors"][0]["code"] == "DECISION_IMMUTABLE"
    v3 = await Violation.get(violation_id="V3")
    assert v3.payment_status == "paid" and v3.paid_via == "bank"


async def test_unsigned_replayed_and_non_traffic_calls_are_refused_and_change_nothing(
    api: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = traffic_agency(env)
    body = b'{"records":[' + __import__("json").dumps(record("V1")).encode() + b"]}"
    unsigned = await api.post(PATH, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "AGENCY_SIGNATURE_INVALID"

    headers = signed_headers(creds["key"], creds["secret"], "POST", PATH, body)
    first = await api.post(PATH, content=body, headers=headers)
    assert first.status_code == 200 and first.json()["created"] == 1
    await Violation.filter(violation_id="V1").delete()
    replayed = await api.post(PATH, content=body, headers=headers)
    assert replayed.status_code == 409 and replayed.json()["code"] == "AGENCY_REQUEST_REPLAYED"

    tampered = dict(headers, **{"X-Signature": "0" * 64})
    assert (await api.post(PATH, content=body, headers=tampered)).status_code == 401

    fees = create_agency_via_cli(env, kind="fees")
    r = await push(api, fees, [record("V9")])
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"

    empty = await push(api, creds, [])
    assert empty.status_code == 422 and empty.json()["code"] == "INVALID_INPUT"
    assert await Violation.all().count() == 0


async def test_check_constraints_guard_the_violation_table(database: None) -> None:
    rows = await connections.get("default").execute_query_dict(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'violation'::regclass AND contype='c'"
    )
    assert {r["conname"] for r in rows} >= {
        "violation_fine_not_negative",
        "violation_points_range",
        "violation_decision_consistent",
        "violation_payment_consistent",
    }
