"""Alipay in public-key-certificate mode (ALIPAY_SIGN_MODE=cert) against the sandbox's own
CA: serials as Alipay defines them, the whole payment cycle, and refusals of serials or
certificates that are not the ones issued, with the reason logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from alipay.exceptions import AliPayValidationError

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


def rotate(sandbox: RunningSandbox, *, forged: bool = False) -> str:
    url = sandbox.base_url + "/sandbox/alipay/certificates/rotate"
    answer = httpx.post(url, json={"forged": forged}, timeout=10)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["alipay_cert_sn"])


def downloads(sandbox: RunningSandbox) -> list[str]:
    answer = httpx.get(sandbox.base_url + "/sandbox/alipay/certificates", timeout=10)
    return list(answer.json()["downloads"])


async def test_alipay_reissues_its_certificate_mid_flow_and_payments_keep_settling(
    sandbox: RunningSandbox, person: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Alipay's silent certificate upgrade: a trade begun under the old certificate is paid,
    queried and refunded under the new one. The adapter fetches the certificate the answer
    names once, keeps it because it chains to Alipay's roots, and verifies with it."""
    alipay = cert_channel(sandbox)  # a process that has seen only the old certificate
    sdk = alipay.pay._client.sdk  # type: ignore[attr-defined]
    old_sn = sdk.alipay_cert_sn
    caplog.set_level(logging.WARNING, logger="yiwang.channels.alipay")

    def answer(body: bytes, content_type: str) -> str:
        alipay.pay.parse_payment_notification(body, content_type)
        return "success"

    with notify_receiver(answer) as receiver:
        request = pay_request(person, 5300, notify_url=receiver.url)
        started = await alipay.pay.start(request)
        fetched_before = len(downloads(sandbox))
        new_sn = rotate(sandbox)
        assert new_sn != old_sn
        assert sandbox_pay(sandbox, trade_no=started.channel_params["trade_no"]).status_code == 200
        wait_until(lambda: [r.answered for r in receiver.received] == ["success"])

    state = await alipay.pay.query(request.out_trade_no)
    assert state.status == "SUCCESS" and state.amount_fen == 5300
    assert downloads(sandbox)[fetched_before:] == [new_sn]
    assert sdk.held_cert_sns == [old_sn, new_sn]
    assert f"alipay_cert_sn {new_sn}" in caplog.text
    refunded = await alipay.pay.refund(
        RefundRequest(request.out_trade_no, "RF-cert-rot", 300, 5300, "部分退款")
    )
    assert refunded.refund_fen == 300
    assert (await alipay.pay.query(request.out_trade_no)).status == "SUCCESS"
    assert downloads(sandbox)[fetched_before:] == [new_sn]  # fetched once, then held


async def test_a_certificate_not_from_alipays_roots_is_refused_until_a_genuine_one(
    sandbox: RunningSandbox, person: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Someone else answers with a certificate of Alipay's name under a root of the same
    name that is not in our root file, and signs with its own key: refused and logged, never
    held. Once Alipay (the sandbox) answers with a genuine reissue, calls go through again."""
    alipay = cert_channel(sandbox)
    sdk = alipay.pay._client.sdk  # type: ignore[attr-defined]
    started = pay_request(person, 700)
    await alipay.pay.start(started)
    caplog.set_level(logging.ERROR, logger="yiwang.channels.alipay")
    impostor_sn = rotate(sandbox, forged=True)
    with pytest.raises(ChannelUnavailable):
        await alipay.pay.query(started.out_trade_no)
    assert impostor_sn not in sdk.held_cert_sns
    assert "not issued by Alipay's roots" in caplog.text and impostor_sn in caplog.text
    with pytest.raises(ChannelUnavailable):  # asked again: refused again, not remembered
        await alipay.pay.query(started.out_trade_no)

    genuine_sn = rotate(sandbox)
    state = await alipay.pay.query(started.out_trade_no)
    assert state.status == "NOTPAY" and genuine_sn in sdk.held_cert_sns


async def test_an_answer_naming_a_certificate_alipay_does_not_have_is_refused(
    sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A serial the download cannot produce (the gateway says it does not exist)."""
    alipay = cert_channel(sandbox)
    sdk = alipay.pay._client.sdk  # type: ignore[attr-defined]
    caplog.set_level(logging.ERROR, logger="yiwang.channels.alipay")
    with pytest.raises(AliPayValidationError):
        sdk._key_for("0" * 32)
    assert "isv.invalid-alipay-cert-sn" in caplog.text
    assert "0" * 32 not in sdk.held_cert_sns
