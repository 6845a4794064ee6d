"""Open311 against hostile clients: a flood of new requests is cut off per client address
(and per api_key), and phone and ID numbers typed into a request never show in public."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from app.interactions.models import Ticket
from tests.cases.test_open311_clients import _cli, seed

WRITTEN = [
    "+8613800138000",
    "138 0013 8000",
    "138-0013-8000",
    "１３８００１３８０００",
    "身份证330106199003071236",
    "YW330106199003071236",
]


async def _client_key(env: dict[str, str], settings, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    await seed(settings, tmp_path)
    made = _cli(env, "create-client", "--name", "城市随手拍")
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout.strip().splitlines()[0])["api_key"])


async def test_a_flood_of_new_requests_is_refused_after_the_limit(
    clean: None, api: httpx.AsyncClient, env: dict[str, str], settings, tmp_path: Path
) -> None:
    key = await _client_key(env, settings, tmp_path)
    form = {"api_key": key, "service_code": "road", "description": "路灯坏了"}
    form["address_string"] = "解放路 1 号"
    statuses = [
        (await api.post("/open311/v2/requests.json", data=form)).status_code for _ in range(20)
    ]
    assert statuses == [200] * 20
    refused = await api.post("/open311/v2/requests.json", data=form)
    assert refused.status_code == 429
    assert refused.json() == [{"code": 429, "description": "Too many requests. Try again shortly."}]
    assert refused.headers["Retry-After"] == "60"
    assert await Ticket.all().count() == 20


async def test_numbers_typed_in_any_form_are_masked_in_the_public_view(
    clean: None, api: httpx.AsyncClient, env: dict[str, str], settings, tmp_path: Path
) -> None:
    key = await _client_key(env, settings, tmp_path)
    text = "路灯坏了，请联系 " + "，".join(WRITTEN)
    posted = await api.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "road",
            "description": text,
            "address_string": "解放路 1 号 电话 0571-88886666",
        },
    )
    assert posted.status_code == 200, posted.text
    ticket_id = posted.json()[0]["service_request_id"]
    shown = (await api.get(f"/open311/v2/requests/{ticket_id}.json")).json()[0]
    public = shown["description"] + shown["address"]
    for digits in ("13800138000", "00138000", "0013", "330106199003071236", "19900307", "88886666"):
        folded = public.translate({0xFF10 + i: str(i) for i in range(10)})
        assert digits not in folded.replace(" ", "").replace("-", ""), (digits, public)
    assert "138****8000" in public and "330106********1236" in public
