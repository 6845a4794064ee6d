"""WeChat Pay v2 through the adapter against the sandbox: the JSAPI cycle, notifications
and their retries, forged notifications, query/close, refunds and the daily bill."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from channels.base import (
    Acknowledgement,
    ChannelRejected,
    ChannelUnavailable,
    NotificationRejected,
    PayRequest,
    PayStart,
    RefundRequest,
)
from channels.wechat import WeChatChannel, build_wechat_channel
from channels.wechat.pay import WeChatPayGateway
from infra import clock
from tests.channels.wechat_helpers import (
    Person,
    Receiver,
    create_person,
    eventually,
    notify_receiver,
    sandbox_get,
    sandbox_post,
    settings_for,
    wechat_sandbox,
)
from tests.sandbox_process import RunningSandbox, free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with wechat_sandbox(tmp_path_factory.mktemp("wechat-pay")) as running:
        yield running


@pytest.fixture(scope="module")
def channel(sandbox: RunningSandbox) -> WeChatChannel:
    return build_wechat_channel(settings_for(sandbox))


@pytest.fixture(scope="module")
def person(sandbox: RunningSandbox) -> Person:
    return create_person(sandbox)


@pytest.fixture
def acking_receiver(channel: WeChatChannel) -> Iterator[Receiver]:
    """Our notify URL: verifies each notification and acks only the genuine ones."""

    def respond(body: bytes) -> Acknowledgement:
        try:
            channel.pay.parse_payment_notification(body, "text/xml")
        except NotificationRejected as exc:
            return channel.pay.ack_failure(str(exc))
        return channel.pay.ack_success()

    with notify_receiver(respond) as receiver:
        yield receiver


def md5_sign(fields: dict[str, str], key: str) -> str:
    pairs = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if v and k != "sign")
    return hashlib.md5(f"{pairs}&key={key}".encode()).hexdigest().upper()


async def start(
    channel: WeChatChannel, person: Person, notify_url: str, amount_fen: int = 2_00
) -> tuple[str, PayStart]:
    out_trade_no = "YW" + secrets.token_hex(8)
    started = await channel.pay.start(
        PayRequest(
            out_trade_no=out_trade_no,
            amount_fen=amount_fen,
            description="交通违法罚款",
            payer_subject=person.openid,
            notify_url=notify_url,
            expires_at=clock.now() + timedelta(minutes=30),
        )
    )
    return out_trade_no, started


def prepay_id(started: PayStart) -> str:
    return started.channel_params["package"].removeprefix("prepay_id=")


def pay(sandbox: RunningSandbox, started: PayStart, **options: object) -> dict:
    answer = sandbox_post(
        sandbox, "/sandbox/wechat/payments", {"prepay_id": prepay_id(started), **options}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def deliveries(sandbox: RunningSandbox, **key: str) -> list[dict]:
    return sandbox_get(sandbox, "/sandbox/wechat/notifications", **key)["deliveries"]


async def paid_notification(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person, receiver: Receiver
) -> bytes:
    _, started = await start(channel, person, receiver.url)
    pay(sandbox, started)
    await eventually(lambda: len(receiver.received()) == 1)
    return receiver.received()[0]


def resigned(body: bytes, key: str, **changes: str | None) -> bytes:
    """The notification with fields changed (None removes one) and signed again with key."""
    fields = dict(re.findall(r"<(\w+)><!\[CDATA\[(.*?)\]\]></\1>", body.decode()))
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    fields["sign"] = md5_sign(fields, key)
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>".encode()


async def test_start_gives_signed_wx_request_payment_params(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person
) -> None:
    _, started = await start(channel, person, "http://127.0.0.1:9/notify")
    params = started.channel_params
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["appId"] == sandbox.credentials.wechat_appid
    assert params["signType"] == "MD5"
    assert params["package"].startswith("prepay_id=wx")
    unsigned = {k: v for k, v in params.items() if k != "paySign"}
    assert params["paySign"] == md5_sign(unsigned, sandbox.credentials.wechat_api_key)


async def test_full_jsapi_cycle_is_notified_verified_and_acked(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person, acking_receiver: Receiver
) -> None:
    out_trade_no, started = await start(channel, person, acking_receiver.url, amount_fen=12_345)
    assert (await channel.pay.query(out_trade_no)).status == "NOTPAY"

    paid = pay(sandbox, started)

    await eventually(lambda: deliveries(sandbox, out_trade_no=out_trade_no)[0]["acknowledged"])
    note = channel.pay.parse_payment_notification(acking_receiver.received()[0], "text/xml")
    assert (note.out_trade_no, note.amount_fen, note.paid) == (out_trade_no, 12_345, True)
    assert note.channel_trade_no == paid["transaction_id"]
    assert note.extra["openid"] == person.openid
    assert note.paid_at is not None and note.paid_at.tzinfo is not None
    [delivery] = deliveries(sandbox, out_trade_no=out_trade_no)
    assert len(delivery["attempts"]) == 1

    state = await channel.pay.query(out_trade_no)
    assert state.status == "SUCCESS"
    assert state.amount_fen == 12_345
    assert state.channel_trade_no == paid["transaction_id"]
    assert state.paid_at == note.paid_at


async def test_unacknowledged_notification_is_retried_until_acked(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person
) -> None:
    acking = {"on": False}

    def respond(body: bytes) -> Acknowledgement:
        return channel.pay.ack_success() if acking["on"] else channel.pay.ack_failure("busy")

    with notify_receiver(respond) as receiver:
        out_trade_no, started = await start(channel, person, receiver.url)
        pay(sandbox, started)
        await eventually(lambda: len(receiver.received()) >= 3)
        [delivery] = deliveries(sandbox, out_trade_no=out_trade_no)
        assert not delivery["acknowledged"]
        assert all(not attempt["acknowledged"] for attempt in delivery["attempts"])

        acking["on"] = True
        await eventually(lambda: deliveries(sandbox, out_trade_no=out_trade_no)[0]["acknowledged"])
        settled = len(receiver.received())
        # Were it not acknowledged, the next retry would come 180 s x 0.001 later.
        await asyncio.sleep(0.5)
        assert len(receiver.received()) == settled
        assert deliveries(sandbox, out_trade_no=out_trade_no)[0]["attempts"][-1]["acknowledged"]


async def test_three_copies_give_three_deliveries(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person, acking_receiver: Receiver
) -> None:
    out_trade_no, started = await start(channel, person, acking_receiver.url)
    pay(sandbox, started, copies=3)
    await eventually(lambda: len(acking_receiver.received()) == 3)
    bodies = acking_receiver.received()
    assert bodies[0] == bodies[1] == bodies[2]
    found = deliveries(sandbox, out_trade_no=out_trade_no)
    assert len(found) == 3
    await eventually(
        lambda: all(d["acknowledged"] for d in deliveries(sandbox, out_trade_no=out_trade_no))
    )


async def test_payment_without_notify_sends_nothing(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person, acking_receiver: Receiver
) -> None:
    out_trade_no, started = await start(channel, person, acking_receiver.url)
    pay(sandbox, started, notify=False)
    assert deliveries(sandbox, out_trade_no=out_trade_no) == []
    assert (await channel.pay.query(out_trade_no)).status == "SUCCESS"


async def test_forged_notifications_are_rejected(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person, acking_receiver: Receiver
) -> None:
    genuine = await paid_notification(sandbox, channel, person, acking_receiver)
    key = sandbox.credentials.wechat_api_key
    assert channel.pay.parse_payment_notification(genuine, "text/xml").paid

    tampered = re.sub(rb"<total_fee><!\[CDATA\[\d+\]\]>", b"<total_fee><![CDATA[1]]>", genuine)
    assert tampered != genuine
    forgeries = {
        "tampered total_fee": tampered,
        "wrong appid": resigned(genuine, key, appid="wx0000000000000000"),
        "wrong mch_id": resigned(genuine, key, mch_id="1900000000"),
        "signed with a wrong key": resigned(genuine, "k" * 32, total_fee="1"),
        "missing transaction_id": resigned(genuine, key, transaction_id=None),
        "no sign": genuine.replace(b"<sign>", b"<signature>").replace(b"</sign>", b"</signature>"),
        "not XML": b'{"return_code": "SUCCESS"}',
        "empty": b"",
        "nested": b"<xml><appid><a>1</a></appid></xml>",
    }
    for label, body in forgeries.items():
        with pytest.raises(NotificationRejected):
            channel.pay.parse_payment_notification(body, "text/xml")
            pytest.fail(f"accepted a notification with {label}")


async def test_parsing_never_changes_its_input(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person, acking_receiver: Receiver
) -> None:
    genuine = await paid_notification(sandbox, channel, person, acking_receiver)
    body = bytearray(genuine)
    note = channel.pay.parse_payment_notification(body, "text/xml")  # type: ignore[arg-type]
    assert bytes(body) == genuine
    assert note.raw == genuine.decode()


async def test_acks_are_wechats_exact_xml(channel: WeChatChannel) -> None:
    ok = channel.pay.ack_success()
    assert ok.body == (
        "<xml><return_code><![CDATA[SUCCESS]]></return_code>"
        "<return_msg><![CDATA[OK]]></return_msg></xml>"
    )
    assert ok.content_type == "text/xml"
    fail = channel.pay.ack_failure("bad ]]> sign")
    assert fail.body.startswith("<xml><return_code><![CDATA[FAIL]]></return_code>")
    assert "]]]]><![CDATA[>" in fail.body


async def test_query_and_close(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person
) -> None:
    assert (await channel.pay.query("YW-unknown")).status == "NOT_FOUND"

    out_trade_no, started = await start(channel, person, "http://127.0.0.1:9/notify")
    await channel.pay.close(out_trade_no)
    assert (await channel.pay.query(out_trade_no)).status == "CLOSED"
    await channel.pay.close(out_trade_no)  # closing twice is harmless
    answer = sandbox_post(sandbox, "/sandbox/wechat/payments", {"prepay_id": prepay_id(started)})
    assert answer.status_code == 409

    paid_no, paid_start = await start(channel, person, "http://127.0.0.1:9/notify")
    pay(sandbox, paid_start, notify=False)
    with pytest.raises(ChannelRejected) as caught:
        await channel.pay.close(paid_no)
    assert caught.value.channel_code == "ORDERPAID"
    assert (
        sandbox_post(
            sandbox, "/sandbox/wechat/payments", {"prepay_id": prepay_id(paid_start)}
        ).status_code
        == 409
    )


async def test_answers_signed_by_someone_else_are_not_believed(
    sandbox: RunningSandbox, person: Person
) -> None:
    """A gateway with the wrong API key sees the sandbox's answers as untrustworthy."""
    honest = build_wechat_channel(settings_for(sandbox))
    out_trade_no, _ = await start(honest, person, "http://127.0.0.1:9/notify")
    wrong_key = build_wechat_channel(settings_for(sandbox, api_key="z" * 32))
    with pytest.raises(ChannelRejected):
        await wrong_key.pay.query(out_trade_no)


async def test_refunds_partial_then_rest_then_not_enough(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person
) -> None:
    refund_notes: list[bytes] = []

    def respond(body: bytes) -> Acknowledgement:
        refund_notes.append(body)
        try:
            channel.pay.parse_refund_notification(body, "text/xml")
        except NotificationRejected as exc:
            return channel.pay.ack_failure(str(exc))
        return channel.pay.ack_success()

    with notify_receiver(respond) as receiver:
        out_trade_no, started = await start(channel, person, receiver.url, amount_fen=1_000)
        pay(sandbox, started, notify=False)
        first = RefundRequest(
            out_trade_no=out_trade_no,
            out_refund_no=out_trade_no + "R1",
            refund_fen=300,
            total_fen=1_000,
            reason="申请撤销",
            notify_url=receiver.url,
        )
        state = await channel.pay.refund(first)
        assert (state.status, state.refund_fen) == ("PROCESSING", 300)
        again = await channel.pay.refund(first)  # same out_refund_no: the same refund
        assert again.channel_refund_no == state.channel_refund_no

        rest = replace(first, out_refund_no=out_trade_no + "R2", refund_fen=700)
        assert (await channel.pay.refund(rest)).refund_fen == 700

        with pytest.raises(ChannelRejected) as caught:
            await channel.pay.refund(
                replace(first, out_refund_no=out_trade_no + "R3", refund_fen=1)
            )
        assert caught.value.channel_code == "NOTENOUGH"
        with pytest.raises(ChannelRejected) as changed:
            await channel.pay.refund(replace(first, refund_fen=301))
        assert changed.value.channel_code == "INVALID_REQUEST"

        await eventually(lambda: len(refund_notes) >= 2)
        decoded = {
            note.out_refund_no: note
            for note in (channel.pay.parse_refund_notification(b, "text/xml") for b in refund_notes)
        }
        assert decoded[first.out_refund_no].refund_fen == 300
        assert decoded[first.out_refund_no].status == "SUCCESS"
        assert decoded[first.out_refund_no].out_trade_no == out_trade_no
        assert decoded[first.out_refund_no].channel_refund_no == state.channel_refund_no
        assert decoded[rest.out_refund_no].refund_fen == 700

        wrong_key = WeChatPayGateway(channel.pay._pay, settings_for(sandbox, api_key="y" * 32))
        for body in refund_notes:
            with pytest.raises(NotificationRejected):
                wrong_key.parse_refund_notification(body, "text/xml")
        foreign = WeChatPayGateway(channel.pay._pay, settings_for(sandbox, mch_id="1900000001"))
        with pytest.raises(NotificationRejected):
            foreign.parse_refund_notification(refund_notes[0], "text/xml")
        for junk in (b"", b"<xml><return_code>SUCCESS</return_code></xml>", b"not xml"):
            with pytest.raises(NotificationRejected):
                channel.pay.parse_refund_notification(junk, "text/xml")

    queried = await channel.pay.query_refund(out_trade_no, first.out_refund_no)
    assert (queried.status, queried.refund_fen) == ("SUCCESS", 300)
    missing = await channel.pay.query_refund(out_trade_no, "nope")
    assert missing.status == "NOT_FOUND"
    assert (await channel.pay.query(out_trade_no)).status == "REFUNDED"


async def test_refund_of_an_unpaid_order_is_rejected(
    channel: WeChatChannel, person: Person
) -> None:
    out_trade_no, _ = await start(channel, person, "http://127.0.0.1:9/notify", amount_fen=500)
    with pytest.raises(ChannelRejected) as caught:
        await channel.pay.refund(RefundRequest(out_trade_no, out_trade_no + "R", 100, 500, "test"))
    assert caught.value.channel_code == "TRADE_STATE_ERROR"


async def test_download_bill_for_today_parses_payments_and_refunds(
    sandbox: RunningSandbox, channel: WeChatChannel, person: Person
) -> None:
    paid_no, paid_start = await start(channel, person, "http://127.0.0.1:9/n", amount_fen=8_801)
    pay(sandbox, paid_start, notify=False)
    refunded_no, refunded_start = await start(
        channel, person, "http://127.0.0.1:9/n", amount_fen=5_000
    )
    pay(sandbox, refunded_start, notify=False)
    await channel.pay.refund(RefundRequest(refunded_no, refunded_no + "R", 1_234, 5_000, "x"))
    refunds_done: set[str] = set()

    async def poll_refund() -> None:
        state = await channel.pay.query_refund(refunded_no, refunded_no + "R")
        if state.status == "SUCCESS":
            refunds_done.add(state.out_refund_no)

    for _ in range(200):
        await poll_refund()
        if refunds_done:
            break
        await asyncio.sleep(0.02)

    today = clock.shanghai_now().date()

    assert refunds_done, "the refund never completed"
    lines = await channel.pay.download_bill(today)

    by_key = {(line.kind, line.out_trade_no, line.out_refund_no): line for line in lines}
    assert len(by_key) == len(lines)
    payment = by_key["payment", paid_no, None]
    assert payment.amount_fen == 8_801
    assert payment.status == "SUCCESS"
    assert payment.channel_trade_no.startswith("4200")
    assert payment.occurred_at.astimezone(SHANGHAI).date() == today
    refund = by_key["refund", refunded_no, refunded_no + "R"]
    assert (refund.amount_fen, refund.out_refund_no) == (1_234, refunded_no + "R")
    refunded_payment = by_key["payment", refunded_no, None]
    assert refunded_payment.amount_fen == 5_000

    assert await channel.pay.download_bill(today - timedelta(days=400)) == []


async def test_unreachable_pay_is_unavailable(sandbox: RunningSandbox) -> None:
    down = build_wechat_channel(
        settings_for(sandbox, api_base_url=f"http://127.0.0.1:{free_port()}/")
    )
    with pytest.raises(ChannelUnavailable):
        await down.pay.query("YW-any")
    with pytest.raises(ChannelUnavailable):
        await down.pay.download_bill(clock.shanghai_now().date())
