"""Alipay in public-key-certificate mode (ALIPAY_SIGN_MODE=cert) against the sandbox's own
CA: serials as Alipay defines them, the whole payment cycle, and refusals of serials or
certificates that are not the ones issued, with the reason logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from channels.alipay import AlipayChannel
from channels.base import ChannelRejected, ChannelUnavailable, RefundRequest
from channels.sandbox.alipay_certs import cert_sn, issue, root_cert_sn
from tests.channels.alipay_helpers import (
    channel_for,
    new_person,
    notify_receiver,
    pay_request,
    sandbox_pay,
    wait_until,
)
from tests.sandbox_process import RunningSandbox, running_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("alipay-cert")) as running:
        yield running


def cert_channel(sandbox: RunningSandbox, **overrides: str) -> AlipayChannel:
    creds = sandbox.credentials
    values = {
        "sign_mode": "cert",
        "alipay_public_key": "",
        "app_public_cert": creds.alipay_app_public_cert,
        "alipay_public_cert": creds.alipay_public_cert,
        "alipay_root_cert": creds.alipay_root_cert,
        **overrides,
    }
    return channel_for(sandbox, **values)


@pytest.fixture(scope="module")
def alipay(sandbox: RunningSandbox) -> AlipayChannel:
    return cert_channel(sandbox)


@pytest.fixture(scope="module")
def person(sandbox: RunningSandbox) -> dict[str, str]:
    return new_person(sandbox)


def test_serials_follow_alipays_definition_in_both_implementations(
    sandbox: RunningSandbox, alipay: AlipayChannel
) -> None:
    """The SDK's serials (sent by the adapter) equal the sandbox's own computation."""
    creds = sandbox.credentials
    sdk = alipay.pay._client.sdk  # type: ignore[attr-defined]
    assert sdk.app_cert_sn == cert_sn(creds.alipay_app_public_cert)
    assert sdk.alipay_cert_sn == cert_sn(creds.alipay_public_cert)
    root = root_cert_sn(creds.alipay_root_cert)
    assert sdk.alipay_root_cert_sn == root
    # Three roots, one of them EC: only the two RSA roots' serials, joined with "_".
    assert creds.alipay_root_cert.count("BEGIN CERTIFICATE") == 3
    assert len(root.split("_")) == 2 and all(len(part) == 32 for part in root.split("_"))


async def test_a_payment_cycle_in_certificate_mode(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str]
) -> None:
    def answer(body: bytes, content_type: str) -> str:
        alipay.pay.parse_payment_notification(body, content_type)
        return "success"

    with notify_receiver(answer) as receiver:
        request = pay_request(person, 4200, notify_url=receiver.url)
        started = await alipay.pay.start(request)
        trade_no = started.channel_params["trade_no"]
        assert sandbox_pay(sandbox, trade_no=trade_no).status_code == 200
        wait_until(lambda: [r.answered for r in receiver.received] == ["success"])
    state = await alipay.pay.query(request.out_trade_no)
    assert state.status == "SUCCESS" and state.amount_fen == 4200
    refunded = await alipay.pay.refund(
        RefundRequest(request.out_trade_no, "RF-cert-1", 1200, 4200, "部分退款")
    )
    assert refunded.refund_fen == 1200


async def test_serials_that_do_not_match_are_refused_and_logged(
    sandbox: RunningSandbox, person: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    creds = sandbox.credentials
    foreign = issue(creds.alipay_public_key, creds.alipay_app_public_key)
    wrong_app = cert_channel(sandbox, app_public_cert=foreign.app_cert)
    caplog.set_level(logging.ERROR, logger="yiwang.channels.alipay")
    with pytest.raises(ChannelRejected) as caught:
        await wrong_app.pay.start(pay_request(person, 100))
    assert caught.value.channel_code == "isv.app-cert-sn-not-match"
    assert "isv.app-cert-sn-not-match" in caplog.text
    wrong_root = cert_channel(sandbox, alipay_root_cert=foreign.root_chain)
    with pytest.raises(ChannelRejected) as caught:
        await wrong_root.pay.query("YW-none")
    assert caught.value.channel_code == "isv.alipay-root-cert-sn-not-match"


async def test_an_answer_naming_another_alipay_certificate_is_not_believed(
    sandbox: RunningSandbox, person: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    creds = sandbox.credentials
    # The same Alipay key under a certificate the sandbox never used: its serial differs.
    other = issue(creds.alipay_public_key, creds.alipay_app_public_key)
    misled = cert_channel(sandbox, alipay_public_cert=other.alipay_cert)
    caplog.set_level(logging.WARNING, logger="yiwang.channels.alipay")
    with pytest.raises(ChannelUnavailable):
        await misled.pay.query("YW-none")
    assert "alipay_cert_sn" in caplog.text and cert_sn(creds.alipay_public_cert) in caplog.text
