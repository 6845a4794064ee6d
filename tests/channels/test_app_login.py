"""统一认证 and app messages, end to end against the sandbox process."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from channels.app import AppChannel, AppChannelSettings, build_app_channel
from channels.app.signing import signed_headers
from channels.base import ChannelRejected, ChannelUnavailable, OutboundMessage
from tests.sandbox_process import RunningSandbox, free_port, running_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("app-login")) as running:
        yield running


def settings_for(sandbox: RunningSandbox, *, secret: str | None = None) -> AppChannelSettings:
    return AppChannelSettings(
        client_id=sandbox.credentials.app_client_id,
        client_secret=secret or sandbox.credentials.app_client_secret,
        base_url=sandbox.base_url,
    )


@pytest.fixture(scope="module")
async def channel(sandbox: RunningSandbox) -> AsyncIterator[AppChannel]:
    built = build_app_channel(settings_for(sandbox))
    yield built
    await built.aclose()


async def new_person(sandbox: RunningSandbox, name: str = "张三") -> str:
    id_number = "33010619900101" + f"{secrets.randbelow(1000):03d}" + "x"
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.post(
            "/sandbox/users", json={"name": name, "id_number": id_number, "phone": "13800138000"}
        )
        assert response.status_code == 201
        return str(response.json()["app"]["user_id"])


async def ticket_for(sandbox: RunningSandbox, user_id: str) -> str:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.post("/sandbox/app/login-codes", json={"user": user_id})
        assert response.status_code == 201
        return str(response.json()["code"])


async def raw_validate(
    sandbox: RunningSandbox, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        return await http.post(
            "/sso/ticket/validate",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
        )


def sign_for(sandbox: RunningSandbox, body: bytes, **overrides: object) -> dict[str, str]:
    creds = sandbox.credentials
    return signed_headers(
        creds.app_client_id,
        creds.app_client_secret,
        "POST",
        "/sso/ticket/validate",
        body,
        **overrides,  # type: ignore[arg-type]
    )


async def test_login_gives_the_verified_real_name(
    sandbox: RunningSandbox, channel: AppChannel
) -> None:
    user_id = await new_person(sandbox, "李四")
    login = await channel.login.login(await ticket_for(sandbox, user_id))
    assert login.channel == "app"
    assert login.subject == user_id
    assert login.real_name is not None
    assert login.real_name.name == "李四"
    assert login.real_name.id_number.startswith("33010619900101")
    assert login.real_name.id_number.endswith("X")
    assert login.real_name.phone == "13800138000"


async def test_a_ticket_works_once(sandbox: RunningSandbox, channel: AppChannel) -> None:
    ticket = await ticket_for(sandbox, await new_person(sandbox))
    await channel.login.login(ticket)
    with pytest.raises(ChannelRejected) as refused:
        await channel.login.login(ticket)
    assert refused.value.channel_code == "TICKET_INVALID"


async def test_unknown_ticket_is_refused(channel: AppChannel) -> None:
    with pytest.raises(ChannelRejected) as refused:
        await channel.login.login("not-a-ticket")
    assert refused.value.channel_code == "TICKET_INVALID"


async def test_wrong_secret_is_refused_and_does_not_spend_the_ticket(
    sandbox: RunningSandbox, channel: AppChannel
) -> None:
    ticket = await ticket_for(sandbox, await new_person(sandbox))
    forger = build_app_channel(settings_for(sandbox, secret="f" * 48))
    try:
        with pytest.raises(ChannelRejected) as refused:
            await forger.login.login(ticket)
    finally:
        await forger.aclose()
    assert refused.value.channel_code == "SIGNATURE_INVALID"
    assert (await channel.login.login(ticket)).real_name is not None


async def test_tampered_body_is_refused(sandbox: RunningSandbox) -> None:
    ticket = await ticket_for(sandbox, await new_person(sandbox))
    headers = sign_for(sandbox, json.dumps({"ticket": "something-else"}).encode())
    response = await raw_validate(sandbox, json.dumps({"ticket": ticket}).encode(), headers)
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_INVALID"


async def test_missing_headers_are_refused(sandbox: RunningSandbox) -> None:
    body = json.dumps({"ticket": "x"}).encode()
    headers = sign_for(sandbox, body)
    del headers["X-Nonce"]
    response = await raw_validate(sandbox, body, headers)
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_INVALID"


async def test_old_timestamp_is_refused(sandbox: RunningSandbox) -> None:
    ticket = await ticket_for(sandbox, await new_person(sandbox))
    body = json.dumps({"ticket": ticket}).encode()
    stale = sign_for(sandbox, body, timestamp=int(time.time()) - 301)
    response = await raw_validate(sandbox, body, stale)
    assert response.status_code == 401
    assert response.json()["code"] == "TIMESTAMP_EXPIRED"
    future = sign_for(sandbox, body, timestamp=int(time.time()) + 400)
    assert (await raw_validate(sandbox, body, future)).json()["code"] == "TIMESTAMP_EXPIRED"
    # Still a good ticket: the stale calls were refused before it was looked at.
    fresh = await raw_validate(sandbox, body, sign_for(sandbox, body))
    assert fresh.status_code == 200
    assert fresh.json()["verified"] is True


async def test_replayed_nonce_is_refused(sandbox: RunningSandbox) -> None:
    ticket = await ticket_for(sandbox, await new_person(sandbox))
    body = json.dumps({"ticket": ticket}).encode()
    headers = sign_for(sandbox, body)
    first = await raw_validate(sandbox, body, headers)
    assert first.status_code == 200
    replay = await raw_validate(sandbox, body, headers)
    assert replay.status_code == 401
    assert replay.json() == {"code": "NONCE_REPLAYED", "message": "X-Nonce was already used"}
    # A fresh signature on the same ticket reaches the ticket check, which refuses reuse.
    again = await raw_validate(sandbox, body, sign_for(sandbox, body))
    assert (again.status_code, again.json()["code"]) == (400, "TICKET_INVALID")


async def test_unreachable_province_is_unavailable() -> None:
    channel = build_app_channel(
        AppChannelSettings("cid", "secret", f"http://127.0.0.1:{free_port()}", 1.0)
    )
    try:
        with pytest.raises(ChannelUnavailable):
            await channel.login.login("any")
    finally:
        await channel.aclose()


async def test_message_is_recorded(sandbox: RunningSandbox, channel: AppChannel) -> None:
    user_id = await new_person(sandbox)
    data = {"thing1": "预约成功", "time2": "2025-03-01 09:00"}
    await channel.messages.send(
        OutboundMessage(
            subject=user_id,
            template_id="TPL_APPT_OK",
            data=data,
            page="pages/appointments/detail?id=7",
        )
    )
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        listed = (await http.get("/sandbox/app/messages", params={"user_id": user_id})).json()
    [message] = listed["messages"]
    assert message["template_id"] == "TPL_APPT_OK"
    assert message["data"] == data
    assert message["page"] == "pages/appointments/detail?id=7"


async def test_message_to_unknown_user_is_refused(channel: AppChannel) -> None:
    with pytest.raises(ChannelRejected) as refused:
        await channel.messages.send(
            OutboundMessage(subject="zlb-nobody", template_id="T", data={"a": "b"})
        )
    assert refused.value.channel_code == "USER_NOT_FOUND"
