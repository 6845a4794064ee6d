"""Alipay login against the sandbox: auth code → token → certified profile, and refusals."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from channels.base import ChannelRejected, ChannelUnavailable, RealName
from tests.channels.alipay_helpers import (
    channel_for,
    login_code,
    new_person,
    rsa_pair,
)
from tests.sandbox_process import RunningSandbox, free_port, running_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    workdir: Path = tmp_path_factory.mktemp("alipay-login")
    with running_sandbox(workdir) as running:
        yield running


async def test_fresh_code_gives_the_certified_real_name(sandbox: RunningSandbox) -> None:
    person = new_person(sandbox)
    login = await channel_for(sandbox).login.login(login_code(sandbox, "alipay", person["user_id"]))
    assert login.channel == "alipay"
    assert login.subject == person["user_id"]
    assert login.real_name == RealName(person["name"], person["id_number"], "13800138000")


async def test_a_person_without_phone_has_no_phone_in_the_real_name(
    sandbox: RunningSandbox,
) -> None:
    person = new_person(sandbox, phone=None)
    login = await channel_for(sandbox).login.login(login_code(sandbox, "alipay", person["user_id"]))
    assert login.real_name is not None
    assert login.real_name.phone is None
    assert login.real_name.id_number.endswith("X")


async def test_the_same_code_twice_is_rejected(sandbox: RunningSandbox) -> None:
    person = new_person(sandbox)
    code = login_code(sandbox, "alipay", person["user_id"])
    channel = channel_for(sandbox)
    await channel.login.login(code)
    with pytest.raises(ChannelRejected) as caught:
        await channel.login.login(code)
    assert caught.value.channel_code == "isv.code-invalid"


@pytest.mark.parametrize("code", ["no-such-code", ""])
async def test_an_unknown_code_is_rejected(sandbox: RunningSandbox, code: str) -> None:
    with pytest.raises(ChannelRejected) as caught:
        await channel_for(sandbox).login.login(code)
    assert caught.value.channel_code == "isv.code-invalid"


async def test_a_wechat_code_is_rejected(sandbox: RunningSandbox) -> None:
    person = new_person(sandbox)
    code = login_code(sandbox, "wechat", person["openid"])
    with pytest.raises(ChannelRejected) as caught:
        await channel_for(sandbox).login.login(code)
    assert caught.value.channel_code == "isv.code-invalid"


async def test_a_request_signed_with_a_wrong_key_is_refused(sandbox: RunningSandbox) -> None:
    person = new_person(sandbox)
    code = login_code(sandbox, "alipay", person["user_id"])
    forger_private, _ = rsa_pair()
    with pytest.raises(ChannelRejected) as caught:
        await channel_for(sandbox, app_private_key=forger_private).login.login(code)
    assert caught.value.channel_code == "isv.invalid-signature"
    # The refused request did not spend the code: the genuine app can still use it.
    login = await channel_for(sandbox).login.login(code)
    assert login.subject == person["user_id"]


async def test_a_tampered_parameter_breaks_the_signature(sandbox: RunningSandbox) -> None:
    """Sign a genuine query, then change one parameter on the wire."""
    channel = channel_for(sandbox)
    sdk = channel.pay._client.sdk
    signed = sdk.sign_data(sdk.build_body("alipay.trade.query", {"out_trade_no": "YW1"}))
    params = dict(parse_qsl(signed))
    params["biz_content"] = '{"out_trade_no":"YW2"}'
    answer = httpx.get(sandbox.base_url + "/gateway.do?" + urlencode(params), timeout=5).json()
    refusal = answer["alipay_trade_query_response"]
    assert (refusal["code"], refusal["sub_code"]) == ("40002", "isv.invalid-signature")
    assert "sign" not in answer
    # The untouched query gets a signed business answer instead.
    genuine = httpx.get(sandbox.base_url + "/gateway.do?" + signed, timeout=5).json()
    assert genuine["alipay_trade_query_response"]["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    assert genuine["sign"]


async def test_an_unknown_app_id_is_refused(sandbox: RunningSandbox) -> None:
    with pytest.raises(ChannelRejected) as caught:
        await channel_for(sandbox, app_id="2021000000000000").pay.query("YW-any")
    assert caught.value.channel_code == "isv.invalid-app-id"


async def test_an_answer_signed_by_someone_else_is_not_trusted(sandbox: RunningSandbox) -> None:
    _, stranger_public = rsa_pair()
    with pytest.raises(ChannelUnavailable):
        await channel_for(sandbox, alipay_public_key=stranger_public).pay.query("YW-any")


async def test_an_unreachable_gateway_is_unavailable(sandbox: RunningSandbox) -> None:
    dead = RunningSandbox(f"http://127.0.0.1:{free_port()}", sandbox.credentials)
    with pytest.raises(ChannelUnavailable):
        await channel_for(dead, timeout_seconds=1.0).login.login("any-code")


async def test_a_gateway_that_never_answers_is_unavailable(sandbox: RunningSandbox) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections, never answers
        port = silent.getsockname()[1]
        dead = RunningSandbox(f"http://127.0.0.1:{port}", sandbox.credentials)
        # The adapter's own timeout gives up (how fast is a benchmark's business, not a test's).
        # The socket's read timeout, or the bound on the whole call, whichever fires first.
        with pytest.raises(ChannelUnavailable, match=r"timed out|[Tt]imeout"):
            await channel_for(dead, timeout_seconds=0.5).pay.query("YW-any")


async def test_the_gateway_also_takes_form_posts(sandbox: RunningSandbox) -> None:
    """Clients other than python-alipay-sdk POST the signed parameters form-encoded."""
    sdk = channel_for(sandbox).pay._client.sdk
    body = sdk.sign_data(sdk.build_body("alipay.trade.query", {"out_trade_no": "YW-post"}))
    answer = httpx.post(
        sandbox.base_url + "/gateway.do",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
        timeout=5,
    )
    assert answer.json()["alipay_trade_query_response"]["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    repeated = httpx.post(
        sandbox.base_url + "/gateway.do",
        content=body + "&app_id=2021000000000000",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert repeated.json()["error_response"]["sub_code"] == "isv.invalid-parameter"
