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
    key: str, secret: str, method: str, path: str, body: bytes, ts: int | None = None
) -> dict[str, str]:
    timestamp = str(ts if ts is not None else int(clock.now().timestamp()))
    message = f"{method}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"
    sig = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return {"X-Agency-Key": key, "X-Timestamp": timestamp, "X-Signature": sig}


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


async def test_a_replayed_signed_request_is_refused(
    api: httpx.AsyncClient, env: dict[str, str]
) -> None:
    creds = create_agency_via_cli(env)
    path = "/api/v1/agency/whoami"
    headers = signed_headers(creds["key"], creds["secret"], "GET", path, b"")
    assert (await api.get(path, headers=headers)).status_code == 200
    replay = await api.get(path, headers=headers)
    assert replay.status_code == 409 and replay.json()["code"] == "AGENCY_REQUEST_REPLAYED"
