"""Agency signatures against the live server, with an agency made by the real CLI."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys

import httpx
import pytest

from app.agency.models import Agency
from infra import clock

pytestmark = pytest.mark.usefixtures("clean")


def create_agency_via_cli(env: dict[str, str], kind: str = "fees") -> dict[str, str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "agency",
            "create",
            "--name",
            "浙江省教育考试院",
            "--kind",
            kind,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def signed_headers(
    key: str,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    ts: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    timestamp = str(ts if ts is not None else int(clock.now().timestamp()))
    signed = [method, path, timestamp] + ([nonce] if nonce is not None else [])
    message = "\n".join([*signed, hashlib.sha256(body).hexdigest()])
    sig = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    headers = {"X-Agency-Key": key, "X-Timestamp": timestamp, "X-Signature": sig}
    if nonce is not None:
        headers["X-Nonce"] = nonce
    return headers


async def test_the_cli_prints_one_json_line_and_the_secret_is_not_stored_in_clear(
    api: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = create_agency_via_cli(env)
    assert set(creds) == {"key", "secret"}
    stored = await Agency.get(key=creds["key"])
    assert creds["secret"] not in stored.secret_enc and stored.kind == "fees"


async def test_signed_requests_pass_and_every_kind_of_bad_signature_fails(
    api: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = create_agency_via_cli(env)
    path = "/api/v1/agency/whoami"
    ok = await api.get(
        path, headers=signed_headers(creds["key"], creds["secret"], "GET", path, b"")
    )
    assert ok.status_code == 200 and ok.json()["kind"] == "fees"

    cases = {
        "unsigned": {},
        "wrong secret": signed_headers(creds["key"], "not-the-secret", "GET", path, b""),
        "unknown key": signed_headers("ak_unknown", creds["secret"], "GET", path, b""),
        "other path": signed_headers(
            creds["key"], creds["secret"], "GET", "/api/v1/agency/other", b""
        ),
        "other method": signed_headers(creds["key"], creds["secret"], "POST", path, b""),
    }
    for name, headers in cases.items():
        r = await api.get(path, headers=headers)
        assert r.status_code == 401, name
        assert r.json()["code"] == "AGENCY_SIGNATURE_INVALID", name

    stale = signed_headers(
        creds["key"], creds["secret"], "GET", path, b"", ts=int(clock.now().timestamp()) - 301
    )
    r = await api.get(path, headers=stale)
    assert r.status_code == 401 and r.json()["code"] == "AGENCY_TIMESTAMP_SKEWED"


async def test_a_replayed_state_changing_request_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = create_agency_via_cli(env)
    path = "/api/v1/agency/fee-items"
    body = json.dumps(
        {"item_code": "EXAM-1", "name": "考试费", "kind_code": "103", "standard_fen": 5000}
    ).encode()
    headers = signed_headers(creds["key"], creds["secret"], "POST", path, body)
    headers["Content-Type"] = "application/json"
    assert (await api.post(path, content=body, headers=headers)).status_code == 201
    agency = await Agency.get(key=creds["key"])
    before = await agency.fee_items.all().values_list("name", flat=True)  # type: ignore[attr-defined]
    replay = await api.post(path, content=body, headers=headers)
    assert replay.status_code == 409 and replay.json()["code"] == "AGENCY_REQUEST_REPLAYED"
    assert await agency.fee_items.all().values_list("name", flat=True) == before  # type: ignore[attr-defined]


async def test_honest_identical_reads_pass_and_a_nonce_is_accepted_once(
    api: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = create_agency_via_cli(env)
    path = "/api/v1/agency/whoami"
    now = int(clock.now().timestamp())
    # Two identical signed GETs in the same second, as an old client sends them: both pass.
    same = signed_headers(creds["key"], creds["secret"], "GET", path, b"", ts=now)
    assert (await api.get(path, headers=same)).status_code == 200
    assert (await api.get(path, headers=same)).status_code == 200
    # With X-Nonce every request is single-use, whatever its method.
    first = signed_headers(creds["key"], creds["secret"], "GET", path, b"", now, "n" * 16)
    other = signed_headers(creds["key"], creds["secret"], "GET", path, b"", now, "m" * 16)
    assert (await api.get(path, headers=first)).status_code == 200
    assert (await api.get(path, headers=other)).status_code == 200
    replay = await api.get(path, headers=first)
    assert replay.status_code == 409 and replay.json()["code"] == "AGENCY_REQUEST_REPLAYED"
    # The nonce is signed: another nonce under the same signature fails.
    swapped = {**first, "X-Nonce": "z" * 16}
    assert (await api.get(path, headers=swapped)).json()["code"] == "AGENCY_SIGNATURE_INVALID"


async def test_hostile_signature_headers_are_refused_with_a_401(
    api: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = create_agency_via_cli(env)
    path = "/api/v1/agency/whoami"
    good = signed_headers(creds["key"], creds["secret"], "GET", path, b"")
    hostile: dict[str, dict[str, str | bytes]] = {
        "400 nines": {**good, "X-Timestamp": "9" * 400},
        "negative": {**good, "X-Timestamp": "-1"},
        "non-ASCII signature": {**good, "X-Signature": "签名".encode()},
        "short signature": {**good, "X-Signature": "abc"},
        "bad nonce": {**good, "X-Nonce": "short"},
    }
    for name, headers in hostile.items():
        r = await api.get(path, headers=headers)
        assert r.status_code == 401, name
        assert r.json()["code"] == "AGENCY_SIGNATURE_INVALID", name
