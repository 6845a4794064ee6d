"""Alipay payments against the sandbox: create, WAP cashier, query, close and refunds."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from channels.alipay import AlipayChannel
from channels.alipay.money import fen_to_yuan, yuan_to_fen
from channels.base import ChannelRejected, RefundRequest
from tests.channels.alipay_helpers import channel_for, new_person, pay_request, sandbox_pay
from tests.sandbox_process import RunningSandbox, running_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("alipay-pay")) as running:
        yield running


@pytest.fixture(scope="module")
def alipay(sandbox: RunningSandbox) -> AlipayChannel:
    return channel_for(sandbox)


@pytest.fixture(scope="module")
def person(sandbox: RunningSandbox) -> dict[str, str]:
    return new_person(sandbox)


def refund_of(out_trade_no: str, out_refund_no: str, fen: int, total: int) -> RefundRequest:
    return RefundRequest(out_trade_no, out_refund_no, fen, total, "申请退款")


@pytest.mark.parametrize(
    ("fen", "yuan"),
    [(1, "0.01"), (10, "0.10"), (100, "1.00"), (123456789, "1234567.89"), (-250, "-2.50")],
)
def test_fen_and_yuan_convert_exactly(fen: int, yuan: str) -> None:
    assert fen_to_yuan(fen) == yuan
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize("bad", ["1.001", "1e3", "", "¥1", "1,00", ".5", "NaN"])
def test_malformed_yuan_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        yuan_to_fen(bad)


def test_fen_must_be_an_integer() -> None:
    with pytest.raises(TypeError):
        fen_to_yuan(1.5)  # type: ignore[arg-type]


async def test_mini_program_trade_is_created_queried_and_paid(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    request = pay_request(person, 123456789)
    started = await alipay.pay.start(request)
    trade_no = started.channel_params["trade_no"]
    assert started.channel_trade_no == trade_no
    assert re.fullmatch(r"\d{28}", trade_no)

    waiting = await alipay.pay.query(request.out_trade_no)
    assert (waiting.status, waiting.amount_fen, waiting.channel_trade_no) == (
        "NOTPAY",
        123456789,
        trade_no,
    )
    assert waiting.paid_at is None

    paid = sandbox_pay(sandbox, trade_no=trade_no, notify=False)
    assert paid.status_code == 200, paid.text
    assert paid.json()["buyer_id"] == person["user_id"]
    state = await alipay.pay.query(request.out_trade_no)
    assert state.status == "SUCCESS"
    assert state.amount_fen == 123456789
    assert state.paid_at is not None and state.paid_at.tzinfo is not None

    with pytest.raises(ChannelRejected) as caught:
        await alipay.pay.close(request.out_trade_no)
    assert caught.value.channel_code == "ACQ.TRADE_STATUS_ERROR"
    again = sandbox_pay(sandbox, trade_no=trade_no)
    assert again.status_code == 409
    assert again.json()["code"] == "SANDBOX_TRADE_ALREADY_PAID"
    with pytest.raises(ChannelRejected) as caught:
        await alipay.pay.start(request)
    assert caught.value.channel_code == "ACQ.TRADE_HAS_SUCCESS"


async def test_repeating_create_returns_the_same_trade_and_a_changed_amount_is_refused(
    alipay: AlipayChannel, person: dict[str, str]
) -> None:
    request = pay_request(person, 500)
    first = await alipay.pay.start(request)
    second = await alipay.pay.start(request)
    assert first.channel_trade_no == second.channel_trade_no
    with pytest.raises(ChannelRejected) as caught:
        await alipay.pay.start(replace(request, amount_fen=501))
    assert caught.value.channel_code == "ACQ.CONTEXT_INCONSISTENT"


async def test_closed_trade_cannot_be_paid(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    request = pay_request(person, 2000)
    started = await alipay.pay.start(request)
    await alipay.pay.close(request.out_trade_no)
    await alipay.pay.close(request.out_trade_no)  # closing twice is harmless
    assert (await alipay.pay.query(request.out_trade_no)).status == "CLOSED"
    refused = sandbox_pay(sandbox, trade_no=started.channel_trade_no)
    assert refused.status_code == 409
    assert refused.json()["code"] == "SANDBOX_TRADE_CLOSED"
    with pytest.raises(ChannelRejected) as caught:
        await alipay.pay.start(request)
    assert caught.value.channel_code == "ACQ.TRADE_HAS_CLOSE"


async def test_an_expired_trade_closes_by_itself(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    request = pay_request(person, 300, expires_in=timedelta(seconds=1))
    started = await alipay.pay.start(request)
    await asyncio.sleep(1.2)
    assert (await alipay.pay.query(request.out_trade_no)).status == "CLOSED"
    assert sandbox_pay(sandbox, trade_no=started.channel_trade_no).status_code == 409


async def test_unknown_trades_are_not_found_and_closing_them_is_a_no_op(
    alipay: AlipayChannel,
) -> None:
    state = await alipay.pay.query("YW-never-created")
    assert state.status == "NOT_FOUND"
    await alipay.pay.close("YW-never-created")
    refund = await alipay.pay.query_refund("YW-never-created", "R1")
    assert refund.status == "NOT_FOUND"


async def test_an_unknown_buyer_is_refused(alipay: AlipayChannel) -> None:
    stranger = {"user_id": "2088000000000000"}
    with pytest.raises(ChannelRejected) as caught:
        await alipay.pay.start(pay_request(stranger, 100))
    assert caught.value.channel_code == "ACQ.BUYER_NOT_EXIST"


async def test_partial_refund_then_the_rest_and_never_more(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    request = pay_request(person, 1000)
    started = await alipay.pay.start(request)
    out = request.out_trade_no

    with pytest.raises(ChannelRejected) as caught:
        await alipay.pay.refund(refund_of(out, "R-early", 100, 1000))
    assert caught.value.channel_code == "ACQ.TRADE_STATUS_ERROR"

    assert sandbox_pay(sandbox, trade_no=started.channel_trade_no, notify=False).is_success
    first = await alipay.pay.refund(refund_of(out, "R1", 300, 1000))
    assert (first.status, first.refund_fen, first.out_refund_no) == ("SUCCESS", 300, "R1")
    repeat = await alipay.pay.refund(refund_of(out, "R1", 300, 1000))
    assert (repeat.status, repeat.refund_fen) == ("SUCCESS", 300)
    assert (await alipay.pay.query(out)).status == "SUCCESS"

    with pytest.raises(ChannelRejected) as caught:
        await alipay.pay.refund(refund_of(out, "R2", 701, 1000))
    assert caught.value.channel_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    with pytest.raises(ChannelRejected) as caught:
        await alipay.pay.refund(refund_of(out, "R1", 400, 1000))
    assert caught.value.channel_code == "ACQ.DISCORDANT_REPEAT_REQUEST"

    rest = await alipay.pay.refund(refund_of(out, "R2", 700, 1000))
    assert (rest.status, rest.refund_fen) == ("SUCCESS", 700)
    state = await alipay.pay.query(out)
    assert state.status == "REFUNDED"
    assert state.amount_fen == 1000

    queried = await alipay.pay.query_refund(out, "R1")
    assert (queried.status, queried.refund_fen) == ("SUCCESS", 300)
    assert (await alipay.pay.query_refund(out, "R-none")).status == "NOT_FOUND"
    with pytest.raises(ChannelRejected) as caught:
        await alipay.pay.refund(refund_of(out, "R3", 1, 1000))
    assert caught.value.channel_code == "ACQ.TRADE_HAS_CLOSE"
    # The full refund's request number still answers idempotently after the trade closed.
    assert (await alipay.pay.refund(refund_of(out, "R2", 700, 1000))).refund_fen == 700


async def test_wap_cashier_opens_and_can_be_paid(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    request = replace(pay_request(person, 1234, mode="wap"), return_url="https://yw.example/r")
    started = await alipay.pay.start(request)
    url = started.channel_params["cashier_url"]
    assert url.startswith(sandbox.base_url + "/gateway.do?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["method"] == "alipay.trade.wap.pay"
    # Alipay creates WAP trades only when the cashier is opened.
    assert (await alipay.pay.query(request.out_trade_no)).status == "NOT_FOUND"

    page = httpx.get(url, timeout=5)
    assert page.status_code == 200
    assert "12.34" in page.text
    trade_no = re.search(r'id="trade_no">(\d+)<', page.text)
    assert trade_no is not None
    reopened = httpx.get(url, timeout=5)
    assert trade_no.group(1) in reopened.text
    waiting = await alipay.pay.query(request.out_trade_no)
    assert (waiting.status, waiting.channel_trade_no) == ("NOTPAY", trade_no.group(1))

    paid = httpx.post(
        sandbox.base_url + "/sandbox/alipay/cashier/pay",
        data={"trade_no": trade_no.group(1)},
        timeout=5,
    )
    assert paid.status_code == 200
    assert "https://yw.example/r" in paid.text
    state = await alipay.pay.query(request.out_trade_no)
    assert (state.status, state.amount_fen) == ("SUCCESS", 1234)


async def test_a_tampered_cashier_url_is_refused(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    request = pay_request(person, 1234, mode="wap")
    url = (await alipay.pay.start(request)).channel_params["cashier_url"]
    params = dict(parse_qsl(urlsplit(url).query))
    params["biz_content"] = params["biz_content"].replace('"12.34"', '"0.01"')
    page = httpx.get(sandbox.base_url + "/gateway.do?" + urlencode(params), timeout=5)
    assert page.status_code == 400
    assert "isv.invalid-signature" in page.text
    assert (await alipay.pay.query(request.out_trade_no)).status == "NOT_FOUND"


async def test_payment_control_validates_its_input(sandbox: RunningSandbox) -> None:
    assert sandbox_pay(sandbox).status_code == 400
    assert sandbox_pay(sandbox, trade_no="1", copies=6).status_code == 400
    assert sandbox_pay(sandbox, trade_no="1", copies=True).status_code == 400
    assert sandbox_pay(sandbox, trade_no="1", notify="yes").status_code == 400
    missing = sandbox_pay(sandbox, trade_no="2024")
    assert missing.status_code == 404
    assert missing.json()["code"] == "SANDBOX_TRADE_NOT_FOUND"
