"""统一收银台 end to end: orders, the cashier page, signed notifications and their retries,
closes, refunds and the daily bill, against the sandbox process.

Notifications go to a real HTTP receiver on a free port that verifies them with the
adapter, the way our notify endpoint will.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from channels.app import AppChannel, AppChannelSettings, build_app_channel
from channels.base import (
    ChannelRejected,
    ChannelUnavailable,
    NotificationRejected,
    PayRequest,
    RefundRequest,
)
from infra import clock
from tests.sandbox_process import RunningSandbox, free_port, running_sandbox

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    outcome: Any  # the parsed notification, or the NotificationRejected raised


@dataclass
class Receiver:
    """Our notify endpoint in miniature: verify with the adapter, then ack or refuse."""

    channel: AppChannel
    base_url: str = ""
    received: list[Received] = field(default_factory=list)
    refuse_next: int = 0
    answer_override: Callable[[], tuple[int, str]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        pay = self.channel.pay
        content_type = headers.get("content-type", "")
        try:
            if path.startswith("/notify/refund"):
                outcome: Any = pay.parse_refund_notification(body, content_type, headers=headers)
            else:
                outcome = pay.parse_payment_notification(body, content_type, headers=headers)
        except NotificationRejected as exc:
            outcome = exc
        with self.lock:
            self.received.append(Received(path, headers, body, outcome))
            if self.answer_override is not None:
                return self.answer_override()
            if isinstance(outcome, NotificationRejected):
                return 400, pay.ack_failure(str(outcome)).body
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return 500, pay.ack_failure("database busy").body
        return 200, pay.ack_success().body

    def for_trade(self, out_trade_no: str) -> list[Received]:
        with self.lock:
            return [
                r for r in self.received if f'"out_trade_no":"{out_trade_no}"' in r.body.decode()
            ]


def serve(receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, text = receiver.handle(self.path, headers, body)
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # a misbehaving "province" for transport-failure tests
            status, text = receiver.answer_override() if receiver.answer_override else (404, "")
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("app-pay"), time_scale=0.001) as running:
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


@pytest.fixture
def receiver(channel: AppChannel) -> Iterator[Receiver]:
    receiver = Receiver(channel)
    server = serve(receiver)
    receiver.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
async def payer(sandbox: RunningSandbox) -> str:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.post(
            "/sandbox/users", json={"name": "王五", "id_number": "330106199001011234"}
        )
    return str(response.json()["app"]["user_id"])


def pay_request(payer: str, receiver: Receiver, amount_fen: int = 12345, **kw: Any) -> PayRequest:
    return PayRequest(
        out_trade_no=kw.get("out_trade_no") or "T" + secrets.token_hex(8),
        amount_fen=amount_fen,
        description=kw.get("description", "交通违法罚款"),
        payer_subject=payer,
        notify_url=f"{receiver.base_url}/notify/pay",
        expires_at=kw.get("expires_at") or clock.now() + timedelta(minutes=30),
        mode="wap",
    )


async def control_pay(sandbox: RunningSandbox, **body: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        return await http.post("/sandbox/app/payments", json=body)


async def deliveries(sandbox: RunningSandbox, out_trade_no: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.get(
            "/sandbox/app/notifications", params={"out_trade_no": out_trade_no}
        )
    assert response.status_code == 200
    return list(response.json()["deliveries"])


async def eventually(check: Callable[[], Any], *, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# ------------------------------------------------------------------------- orders


async def test_start_gives_a_cashier_url_and_is_idempotent(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver)
    started = await channel.pay.start(request)
    assert started.channel_params["cashier_url"] == (
        f"{sandbox.base_url}/cashier/{started.channel_params['order_no']}"
    )
    assert started.channel_trade_no == started.channel_params["order_no"]
    again = await channel.pay.start(request)
    assert again.channel_params == started.channel_params
    conflicting = pay_request(payer, receiver, amount_fen=1, out_trade_no=request.out_trade_no)
    with pytest.raises(ChannelRejected) as refused:
        await channel.pay.start(conflicting)
    assert refused.value.channel_code == "ORDER_CONFLICT"
    state = await channel.pay.query(request.out_trade_no)
    assert (state.status, state.amount_fen, state.paid_at) == ("NOTPAY", 12345, None)


async def test_bad_orders_are_refused(channel: AppChannel, payer: str, receiver: Receiver) -> None:
    with pytest.raises(ChannelRejected) as refused:
        await channel.pay.start(pay_request(payer, receiver, amount_fen=0))
    assert refused.value.channel_code == "INVALID_PARAMS"
    with pytest.raises(ChannelRejected) as refused:
        await channel.pay.start(pay_request("zlb-nobody", receiver))
    assert refused.value.channel_code == "USER_NOT_FOUND"
    past = clock.now() - timedelta(seconds=1)
    with pytest.raises(ChannelRejected) as refused:
        await channel.pay.start(pay_request(payer, receiver, expires_at=past))
    assert refused.value.channel_code == "INVALID_PARAMS"


async def test_cashier_page_and_pay_button(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver, amount_fen=120005, description="学费 <2025>")
    started = await channel.pay.start(request)
    url = started.channel_params["cashier_url"]
    async with httpx.AsyncClient() as http:
        page = await http.get(url)
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert "1200.05" in page.text
        assert "学费 &lt;2025&gt;" in page.text
        action = re.search(r"action='([^']+)'", page.text)
        assert action is not None
        assert action.group(1) == f"/cashier/{started.channel_params['order_no']}/pay"
        paid = await http.post(sandbox.base_url + action.group(1))
        assert paid.status_code == 200
        assert "支付成功" in paid.text
        twice = await http.post(sandbox.base_url + action.group(1))
        assert twice.status_code == 409
    state = await channel.pay.query(request.out_trade_no)
    assert state.status == "SUCCESS"
    assert state.paid_at is not None
    await eventually(lambda: len(receiver.for_trade(request.out_trade_no)) == 1)


# ------------------------------------------------------------------ notifications


async def test_paid_notification_is_verified_and_the_ack_stops_retries(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver, amount_fen=20000)
    started = await channel.pay.start(request)
    response = await control_pay(sandbox, order_no=started.channel_params["order_no"])
    assert response.status_code == 201
    await eventually(lambda: len(receiver.for_trade(request.out_trade_no)) == 1)
    [got] = receiver.for_trade(request.out_trade_no)
    notification = got.outcome
    assert not isinstance(notification, NotificationRejected), notification
    assert notification.out_trade_no == request.out_trade_no
    assert notification.channel_trade_no == started.channel_trade_no
    assert notification.amount_fen == 20000
    assert notification.paid is True
    assert notification.raw == got.body.decode()
    # Long enough for several retries at this time scale (15 s x 0.001): none come.
    await asyncio.sleep(0.3)
    [delivery] = await deliveries(sandbox, request.out_trade_no)
    assert delivery["acknowledged"] is True
    assert len(delivery["attempts"]) == 1
    assert len(receiver.for_trade(request.out_trade_no)) == 1


async def test_no_ack_makes_the_province_retry_with_fresh_signatures(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    receiver.refuse_next = 3
    request = pay_request(payer, receiver)
    await channel.pay.start(request)
    await control_pay(sandbox, out_trade_no=request.out_trade_no)

    async def acknowledged() -> bool:
        found = await deliveries(sandbox, request.out_trade_no)
        return bool(found) and found[0]["acknowledged"]

    await eventually(acknowledged)
    [delivery] = await deliveries(sandbox, request.out_trade_no)
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 500, 200]
    got = receiver.for_trade(request.out_trade_no)
    assert len(got) == 4
    assert all(not isinstance(r.outcome, NotificationRejected) for r in got)
    assert len({r.headers["x-nonce"] for r in got}) == 4
    assert len({r.body for r in got}) == 1


async def test_an_answer_other_than_the_exact_ack_is_retried(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    receiver.answer_override = lambda: (200, "OK")
    request = pay_request(payer, receiver)
    await channel.pay.start(request)
    await control_pay(sandbox, out_trade_no=request.out_trade_no)
    await eventually(lambda: len(receiver.for_trade(request.out_trade_no)) >= 3)
    [delivery] = await deliveries(sandbox, request.out_trade_no)
    assert delivery["acknowledged"] is False
    assert all(a["status"] == 200 and not a["acknowledged"] for a in delivery["attempts"])


async def test_three_copies_give_three_deliveries(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver)
    await channel.pay.start(request)
    await control_pay(sandbox, out_trade_no=request.out_trade_no, copies=3)
    await eventually(lambda: len(receiver.for_trade(request.out_trade_no)) == 3)
    found = await deliveries(sandbox, request.out_trade_no)
    assert len(found) == 3
    assert all(d["acknowledged"] and len(d["attempts"]) == 1 for d in found)
    outcomes = [r.outcome for r in receiver.for_trade(request.out_trade_no)]
    assert {(n.out_trade_no, n.amount_fen) for n in outcomes} == {(request.out_trade_no, 12345)}


async def test_notify_false_sends_nothing(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver)
    await channel.pay.start(request)
    response = await control_pay(sandbox, out_trade_no=request.out_trade_no, notify=False)
    assert response.json()["status"] == "PAID"
    await asyncio.sleep(0.1)
    assert await deliveries(sandbox, request.out_trade_no) == []
    assert (await channel.pay.query(request.out_trade_no)).status == "SUCCESS"


async def test_a_receiver_with_the_wrong_secret_refuses_and_the_province_retries(
    sandbox: RunningSandbox, payer: str, channel: AppChannel
) -> None:
    wrong = build_app_channel(settings_for(sandbox, secret="0" * 48))
    receiver = Receiver(wrong)
    server = serve(receiver)
    receiver.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        request = pay_request(payer, receiver)
        await channel.pay.start(request)
        await control_pay(sandbox, out_trade_no=request.out_trade_no)
        await eventually(lambda: len(receiver.for_trade(request.out_trade_no)) >= 2)
        assert all(
            isinstance(r.outcome, NotificationRejected)
            for r in receiver.for_trade(request.out_trade_no)
        )
        [delivery] = await deliveries(sandbox, request.out_trade_no)
        assert delivery["acknowledged"] is False
        assert delivery["attempts"][0]["status"] == 400
    finally:
        server.shutdown()
        server.server_close()
        await wrong.aclose()


async def test_tampered_or_unsigned_notifications_are_rejected(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver, amount_fen=500)
    await channel.pay.start(request)
    await control_pay(sandbox, out_trade_no=request.out_trade_no)
    await eventually(lambda: len(receiver.for_trade(request.out_trade_no)) == 1)
    [got] = receiver.for_trade(request.out_trade_no)
    pay, content_type = channel.pay, got.headers["content-type"]
    assert pay.parse_payment_notification(got.body, content_type, headers=got.headers)
    tampered = got.body.replace(b'"amount_fen":500', b'"amount_fen":5')
    assert tampered != got.body
    with pytest.raises(NotificationRejected, match="signature"):
        pay.parse_payment_notification(tampered, content_type, headers=got.headers)
    with pytest.raises(NotificationRejected, match="headers"):
        pay.parse_payment_notification(got.body, content_type)
    stale = int(got.headers["x-timestamp"]) + 301
    with pytest.raises(NotificationRejected, match="window"):
        pay.parse_payment_notification(got.body, content_type, headers=got.headers, now=stale)
    with pytest.raises(NotificationRejected, match=r"refund\.succeeded"):
        pay.parse_refund_notification(got.body, content_type, headers=got.headers)
    wrong = build_app_channel(settings_for(sandbox, secret="1" * 48))
    try:
        with pytest.raises(NotificationRejected, match="signature"):
            wrong.pay.parse_payment_notification(got.body, content_type, headers=got.headers)
    finally:
        await wrong.aclose()


# ---------------------------------------------------------------- query and close


async def test_query_and_close(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver)
    await channel.pay.start(request)
    await channel.pay.close(request.out_trade_no)
    await channel.pay.close(request.out_trade_no)  # closing twice is fine
    assert (await channel.pay.query(request.out_trade_no)).status == "CLOSED"
    refused = await control_pay(sandbox, out_trade_no=request.out_trade_no)
    assert (refused.status_code, refused.json()["code"]) == (409, "ORDER_CLOSED")
    assert (await channel.pay.query("never-created")).status == "NOT_FOUND"
    await channel.pay.close("never-created")

    paid = pay_request(payer, receiver)
    await channel.pay.start(paid)
    await control_pay(sandbox, out_trade_no=paid.out_trade_no, notify=False)
    with pytest.raises(ChannelRejected) as refused_close:
        await channel.pay.close(paid.out_trade_no)
    assert refused_close.value.channel_code == "ORDER_PAID"
    assert (await channel.pay.query(paid.out_trade_no)).status == "SUCCESS"


async def test_a_payment_racing_the_close_still_arrives(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver)
    await channel.pay.start(request)
    await channel.pay.close(request.out_trade_no)
    forced = await control_pay(sandbox, out_trade_no=request.out_trade_no, force=True)
    assert forced.status_code == 201
    await eventually(lambda: len(receiver.for_trade(request.out_trade_no)) == 1)
    assert (await channel.pay.query(request.out_trade_no)).status == "SUCCESS"


# ------------------------------------------------------------------------ refunds


async def test_partial_refund_then_the_rest_then_nothing_more(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver, amount_fen=10000)
    await channel.pay.start(request)
    await control_pay(sandbox, out_trade_no=request.out_trade_no, notify=False)
    refund_url = f"{receiver.base_url}/notify/refund"

    def refund(no: str, fen: int) -> RefundRequest:
        return RefundRequest(request.out_trade_no, no, fen, 10000, "退费", refund_url)

    first = await channel.pay.refund(refund(request.out_trade_no + "-R1", 3000))
    assert (first.status, first.refund_fen) == ("SUCCESS", 3000)
    assert first.channel_refund_no
    repeat = await channel.pay.refund(refund(request.out_trade_no + "-R1", 3000))
    assert repeat.channel_refund_no == first.channel_refund_no
    with pytest.raises(ChannelRejected) as conflict:
        await channel.pay.refund(refund(request.out_trade_no + "-R1", 2000))
    assert conflict.value.channel_code == "REFUND_CONFLICT"
    assert (await channel.pay.query(request.out_trade_no)).status == "REFUNDED"
    with pytest.raises(ChannelRejected) as over:
        await channel.pay.refund(refund(request.out_trade_no + "-R2", 7001))
    assert over.value.channel_code == "REFUND_EXCEEDS_BALANCE"
    rest = await channel.pay.refund(refund(request.out_trade_no + "-R2", 7000))
    assert (rest.status, rest.refund_fen) == ("SUCCESS", 7000)
    with pytest.raises(ChannelRejected) as none_left:
        await channel.pay.refund(refund(request.out_trade_no + "-R3", 1))
    assert none_left.value.channel_code == "REFUND_EXCEEDS_BALANCE"

    queried = await channel.pay.query_refund(request.out_trade_no, request.out_trade_no + "-R1")
    assert (queried.status, queried.refund_fen) == ("SUCCESS", 3000)
    missing = await channel.pay.query_refund(request.out_trade_no, request.out_trade_no + "-R3")
    assert missing.status == "NOT_FOUND"
    with pytest.raises(ChannelRejected):
        await channel.pay.query_refund("another-order", request.out_trade_no + "-R1")

    await eventually(lambda: len(receiver.for_trade(request.out_trade_no)) == 2)
    notes = sorted(
        (r.outcome for r in receiver.for_trade(request.out_trade_no)), key=lambda s: s.refund_fen
    )
    assert [(n.out_refund_no, n.refund_fen, n.status) for n in notes] == [
        (request.out_trade_no + "-R1", 3000, "SUCCESS"),
        (request.out_trade_no + "-R2", 7000, "SUCCESS"),
    ]


async def test_unpaid_order_cannot_be_refunded(
    channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver)
    await channel.pay.start(request)
    with pytest.raises(ChannelRejected) as refused:
        await channel.pay.refund(
            RefundRequest(request.out_trade_no, request.out_trade_no + "-R", 1, 12345, "x")
        )
    assert refused.value.channel_code == "ORDER_NOT_PAID"


# --------------------------------------------------------------------------- bills


async def test_bill_lists_payments_and_refunds_in_fen(
    sandbox: RunningSandbox, channel: AppChannel, payer: str, receiver: Receiver
) -> None:
    request = pay_request(payer, receiver, amount_fen=8888)
    started = await channel.pay.start(request)
    await control_pay(sandbox, out_trade_no=request.out_trade_no, notify=False)
    await channel.pay.refund(
        RefundRequest(request.out_trade_no, request.out_trade_no + "-B1", 888, 8888, "部分退费")
    )
    today = clock.shanghai_date()
    lines = [
        line
        for line in await channel.pay.download_bill(today)
        if line.out_trade_no == request.out_trade_no
    ]
    assert [(line.kind, line.amount_fen, line.status, line.out_refund_no) for line in lines] == [
        ("payment", 8888, "SUCCESS", None),
        ("refund", 888, "SUCCESS", request.out_trade_no + "-B1"),
    ]
    assert all(line.channel_trade_no == started.channel_trade_no for line in lines)
    assert all(line.occurred_at.tzinfo is not None for line in lines)
    assert lines[0].occurred_at.astimezone(SHANGHAI).date() == today
    yesterday = [
        line
        for line in await channel.pay.download_bill(today - timedelta(days=1))
        if line.out_trade_no == request.out_trade_no
    ]
    assert yesterday == []


async def test_bill_is_utf8_csv_with_a_header(sandbox: RunningSandbox) -> None:
    from channels.app.signing import signed_headers

    creds = sandbox.credentials
    day = clock.shanghai_date().isoformat()
    path = f"/cashier/api/bills?date={day}"
    headers = signed_headers(creds.app_client_id, creds.app_client_secret, "GET", path, b"")
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.get(path, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.text.splitlines()[0].startswith("record_type,occurred_at,out_trade_no")
        # The query string is signed too: changing the date breaks the signature.
        other = await http.get(
            "/cashier/api/bills?date=2020-01-01",
            headers=signed_headers(creds.app_client_id, creds.app_client_secret, "GET", path, b""),
        )
        assert other.json()["code"] == "SIGNATURE_INVALID"


# ------------------------------------------------------------- transport failures


async def test_5xx_and_timeouts_are_unavailable(channel: AppChannel, receiver: Receiver) -> None:
    receiver.answer_override = lambda: (503, '{"code":"BUSY","message":"try later"}')
    broken = build_app_channel(AppChannelSettings("cid", "secret", receiver.base_url, 0.5))
    try:
        with pytest.raises(ChannelUnavailable):
            await broken.pay.query("T1")

        def slow() -> tuple[int, str]:
            threading.Event().wait(1.5)
            return 200, "{}"

        receiver.answer_override = slow
        with pytest.raises(ChannelUnavailable, match="timed out"):
            await broken.pay.query("T1")
    finally:
        await broken.aclose()
