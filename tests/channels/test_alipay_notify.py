"""Alipay payment notifications: delivered by the sandbox, verified by the adapter."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode

import pytest

from channels.alipay import AlipayChannel
from channels.base import NotificationRejected
from tests.channels.alipay_helpers import (
    channel_for,
    new_person,
    notifications,
    notify_receiver,
    pay_request,
    rsa_pair,
    sandbox_pay,
    sign_notification,
    wait_until,
)
from tests.sandbox_process import RunningSandbox, running_sandbox

FORM = "application/x-www-form-urlencoded; charset=utf-8"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    # 0.001: Alipay's 4m, 10m, 10m… become 0.24 s, 0.6 s, 0.6 s…
    with running_sandbox(tmp_path_factory.mktemp("alipay-notify"), time_scale=0.001) as running:
        yield running


@pytest.fixture(scope="module")
def alipay(sandbox: RunningSandbox) -> AlipayChannel:
    return channel_for(sandbox)


@pytest.fixture(scope="module")
def person(sandbox: RunningSandbox) -> dict[str, str]:
    return new_person(sandbox)


@pytest.fixture(scope="module")
async def genuine(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> dict[str, str]:
    """One real notification form, as the sandbox delivered it."""
    with notify_receiver(lambda body, ctype: "success") as receiver:
        request = pay_request(person, 4321, notify_url=receiver.url)
        started = await alipay.pay.start(request)
        assert sandbox_pay(sandbox, trade_no=started.channel_trade_no).status_code == 200
        wait_until(lambda: len(receiver.received) == 1)
        return dict(parse_qsl(receiver.received[0].body.decode(), keep_blank_values=True))


def encode(form: dict[str, str]) -> bytes:
    return urlencode(form).encode()


async def test_payment_is_notified_verified_and_acknowledged_once(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    parsed = []

    def answer(body: bytes, content_type: str) -> str:
        try:
            parsed.append(alipay.pay.parse_payment_notification(body, content_type))
        except NotificationRejected:
            return alipay.pay.ack_failure("rejected").body
        return alipay.pay.ack_success().body

    with notify_receiver(answer) as receiver:
        request = pay_request(person, 2050, notify_url=receiver.url)
        started = await alipay.pay.start(request)
        assert sandbox_pay(sandbox, trade_no=started.channel_trade_no).json()["notified"] is True
        wait_until(lambda: bool(receiver.received))
        wait_until(lambda: notifications(sandbox, request.out_trade_no)[0]["acknowledged"])

    note = parsed[0]
    assert (note.out_trade_no, note.channel_trade_no) == (
        request.out_trade_no,
        started.channel_trade_no,
    )
    assert note.amount_fen == 2050
    assert note.paid is True
    assert note.paid_at is not None
    assert note.raw == receiver.received[0].body.decode()
    assert note.extra["buyer_id"] == person["user_id"]
    assert receiver.received[0].content_type.startswith("application/x-www-form-urlencoded")
    form = dict(parse_qsl(note.raw))
    assert form["notify_type"] == "trade_status_sync"
    assert form["sign_type"] == "RSA2"
    assert form["total_amount"] == form["receipt_amount"] == "20.50"
    for name in (
        "notify_time",
        "notify_id",
        "app_id",
        "seller_id",
        "gmt_payment",
        "charset",
        "version",
    ):
        assert form[name]
    (delivery,) = notifications(sandbox, request.out_trade_no)
    assert [a["body"] for a in delivery["attempts"]] == ["success"]


async def test_a_non_ack_answer_makes_the_sandbox_retry(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    answers = iter(["fail", "SUCCESS", "success "])

    def answer(body: bytes, content_type: str) -> str:
        return next(answers, "success")

    with notify_receiver(answer) as receiver:
        request = pay_request(person, 100, notify_url=receiver.url)
        started = await alipay.pay.start(request)
        sandbox_pay(sandbox, trade_no=started.channel_trade_no)
        wait_until(
            lambda: notifications(sandbox, request.out_trade_no)[0]["acknowledged"], timeout=15
        )
        (delivery,) = notifications(sandbox, request.out_trade_no)
        assert [a["acknowledged"] for a in delivery["attempts"]] == [False, False, False, True]
        assert len(receiver.received) == 4
        # Every retry carries the very same signed body.
        assert len({r.body for r in receiver.received}) == 1


async def test_three_copies_give_three_deliveries(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    with notify_receiver(lambda body, ctype: "success") as receiver:
        request = pay_request(person, 990, notify_url=receiver.url)
        started = await alipay.pay.start(request)
        assert sandbox_pay(sandbox, trade_no=started.channel_trade_no, copies=3).is_success
        wait_until(lambda: len(receiver.received) == 3)
        wait_until(
            lambda: all(d["acknowledged"] for d in notifications(sandbox, request.out_trade_no))
        )
    assert len(notifications(sandbox, request.out_trade_no)) == 3
    notes = [
        alipay.pay.parse_payment_notification(r.body, r.content_type) for r in receiver.received
    ]
    assert {(n.out_trade_no, n.amount_fen, n.paid) for n in notes} == {
        (request.out_trade_no, 990, True)
    }


async def test_notify_false_sends_nothing(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    request = pay_request(person, 100)
    started = await alipay.pay.start(request)
    assert (
        sandbox_pay(sandbox, trade_no=started.channel_trade_no, notify=False).json()["notified"]
        is False
    )
    assert notifications(sandbox, request.out_trade_no) == []


def test_the_genuine_form_verifies_and_stays_unchanged(
    alipay: AlipayChannel, genuine: dict[str, str]
) -> None:
    form = dict(genuine)
    before = copy.deepcopy(form)
    note = alipay.pay.verify_notification_form(form, raw=urlencode(form))
    assert note.paid and note.amount_fen == 4321
    assert form == before
    assert "sign" in form and form["sign_type"] == "RSA2"


def test_a_tampered_amount_is_rejected(alipay: AlipayChannel, genuine: dict[str, str]) -> None:
    forged = {**genuine, "total_amount": "0.01"}
    with pytest.raises(NotificationRejected, match="signature"):
        alipay.pay.parse_payment_notification(encode(forged), FORM)


def test_another_app_id_is_rejected_even_when_alipay_signed_it(
    sandbox: RunningSandbox, alipay: AlipayChannel, genuine: dict[str, str]
) -> None:
    other = sign_notification(
        {**genuine, "app_id": "2021999999999999"}, sandbox.credentials.alipay_private_key
    )
    with pytest.raises(NotificationRejected, match="app_id"):
        alipay.pay.parse_payment_notification(encode(other), FORM)


def test_another_seller_id_is_rejected_even_when_alipay_signed_it(
    sandbox: RunningSandbox, alipay: AlipayChannel, genuine: dict[str, str]
) -> None:
    other = sign_notification(
        {**genuine, "seller_id": "2088999999999999"}, sandbox.credentials.alipay_private_key
    )
    with pytest.raises(NotificationRejected, match="seller_id"):
        alipay.pay.parse_payment_notification(encode(other), FORM)


@pytest.mark.parametrize(
    ("status", "paid"),
    [("WAIT_BUYER_PAY", False), ("TRADE_CLOSED", False), ("TRADE_FINISHED", True)],
)
def test_only_success_and_finished_count_as_paid(
    sandbox: RunningSandbox,
    alipay: AlipayChannel,
    genuine: dict[str, str],
    status: str,
    paid: bool,
) -> None:
    form = sign_notification(
        {**genuine, "trade_status": status}, sandbox.credentials.alipay_private_key
    )
    note = alipay.pay.parse_payment_notification(encode(form), FORM)
    assert note.paid is paid
    assert (note.paid_at is not None) is paid


def test_an_unknown_status_is_rejected(
    sandbox: RunningSandbox, alipay: AlipayChannel, genuine: dict[str, str]
) -> None:
    form = sign_notification(
        {**genuine, "trade_status": "TRADE_PAID_MAYBE"}, sandbox.credentials.alipay_private_key
    )
    with pytest.raises(NotificationRejected, match="trade_status"):
        alipay.pay.parse_payment_notification(encode(form), FORM)


def test_a_signature_by_another_key_is_rejected(
    alipay: AlipayChannel, genuine: dict[str, str]
) -> None:
    forger_private, _ = rsa_pair()
    forged = sign_notification(genuine, forger_private)
    with pytest.raises(NotificationRejected, match="signature"):
        alipay.pay.parse_payment_notification(encode(forged), FORM)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda f: {k: v for k, v in f.items() if k != "sign"},
        lambda f: {**f, "sign": "not base64 at all!"},
        lambda f: {**f, "sign_type": "RSA"},
    ],
    ids=["unsigned", "garbled-sign", "rsa1"],
)
def test_unsigned_or_garbled_signatures_are_rejected(
    alipay: AlipayChannel, genuine: dict[str, str], mangle: object
) -> None:
    form = mangle(genuine)  # type: ignore[operator]
    with pytest.raises(NotificationRejected):
        alipay.pay.parse_payment_notification(encode(form), FORM)


def test_bodies_that_are_not_a_clean_form_are_rejected(
    alipay: AlipayChannel, genuine: dict[str, str]
) -> None:
    body = encode(genuine)
    with pytest.raises(NotificationRejected, match="twice"):
        alipay.pay.parse_payment_notification(body + b"&total_amount=0.01", FORM)
    with pytest.raises(NotificationRejected, match="content type"):
        alipay.pay.parse_payment_notification(body, "application/json")
    with pytest.raises(NotificationRejected):
        alipay.pay.parse_payment_notification(b"\xff\xfe", FORM)


def test_acknowledgements_and_refund_notifications(alipay: AlipayChannel) -> None:
    assert alipay.pay.ack_success().body == "success"
    assert alipay.pay.ack_success().content_type.startswith("text/plain")
    assert alipay.pay.ack_failure("whatever").body == "fail"
    with pytest.raises(NotificationRejected, match="refund"):
        alipay.pay.parse_refund_notification(b"refund_fee=1.00", FORM)
