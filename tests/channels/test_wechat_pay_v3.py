"""WeChat Pay API v3 through the wechatpayv3 adapter against the sandbox's own v3: JSAPI
and paySign, notifications (signature by serial, freshness, probes, decryption, ids),
query, close, refunds with their notifications, the trade bill, and key rotation."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from channels.base import (
    ChannelRejected,
    NotificationRejected,
    PayRequest,
    PayStart,
    RefundRequest,
)
from channels.sandbox.credentials import rsa_pair
from channels.sandbox.wechat.v3_signing import (
    encrypt_resource,
    pay_sign_ok,
    signed_headers,
)
from channels.wechat.v3 import WeChatPayV3Gateway, WeChatPayV3Settings, build_pay_v3_gateway
from infra import clock
from tests.channels.wechat_helpers import (
    REDIS_URL,
    Person,
    create_person,
    eventually,
    sandbox_get,
    sandbox_post,
    wechat_sandbox,
)
from tests.sandbox_process import RunningSandbox


def _pem_pair() -> tuple[str, str]:
    """A key pair nobody registered, PKCS#8 as WeChat's apiclient_key.pem: for forgeries."""
    return rsa_pair(pkcs8=True)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with wechat_sandbox(tmp_path_factory.mktemp("wechat-pay-v3")) as running:
        yield running


def v3_settings(sandbox: RunningSandbox, **overrides: object) -> WeChatPayV3Settings:
    creds = sandbox.credentials
    values: dict[str, object] = {
        "appid": creds.wechat_appid,
        "mch_id": creds.wechat_mch_id,
        "private_key": creds.wechat_merchant_private_key,
        "cert_serial": creds.wechat_merchant_serial,
        "apiv3_key": creds.wechat_apiv3_key,
        "public_keys": {creds.wechat_pay_public_key_id: creds.wechat_pay_public_key},
        "base_url": sandbox.base_url,
        "redis_url": REDIS_URL,
        "timeout_seconds": 5.0,
    }
    values.update(overrides)
    return WeChatPayV3Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def gateway(sandbox: RunningSandbox) -> WeChatPayV3Gateway:
    return build_pay_v3_gateway(v3_settings(sandbox))


@pytest.fixture(scope="module")
def person(sandbox: RunningSandbox) -> Person:
    return create_person(sandbox)


@dataclass
class Inbox:
    """Our v3 notify URL: verifies each notification with the adapter, answers as v3 does."""

    gateway: WeChatPayV3Gateway
    kind: str = "payment"
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    url: str = ""

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        parse = (
            self.gateway.parse_payment_notification
            if self.kind == "payment"
            else self.gateway.parse_refund_notification
        )
        try:
            parse(body, "application/json", headers=headers)
        except NotificationRejected:
            return 400
        return 204


@pytest.fixture
def inbox(gateway: WeChatPayV3Gateway) -> Iterator[Inbox]:
    box = Inbox(gateway)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = box.answer(headers, body)
            with lock:
                box.received.append((headers, body))
                box.statuses.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/notify/wechat/v3/pay"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()


async def start(
    gateway: WeChatPayV3Gateway, person: Person, notify_url: str, amount_fen: int = 2_00
) -> tuple[str, PayStart]:
    out_trade_no = "YW" + secrets.token_hex(8)
    started = await gateway.start(
        PayRequest(
            out_trade_no=out_trade_no,
            amount_fen=amount_fen,
            description="非税缴款",
            payer_subject=person.openid,
            notify_url=notify_url,
            expires_at=clock.now() + timedelta(minutes=30),
        )
    )
    return out_trade_no, started


def pays(sandbox: RunningSandbox, params: dict[str, str]) -> httpx.Response:
    return sandbox_post(sandbox, "/sandbox/wechat/payments", dict(params))


async def paid_notification(
    sandbox: RunningSandbox, gateway: WeChatPayV3Gateway, person: Person, inbox: Inbox
) -> tuple[str, dict[str, str], bytes]:
    out_trade_no, started = await start(gateway, person, inbox.url)
    assert pays(sandbox, started.channel_params).status_code == 201
    await eventually(lambda: len(inbox.received) >= 1)
    headers, body = inbox.received[0]
    return out_trade_no, headers, body


def resign(sandbox: RunningSandbox, body: str, **header_changes: str) -> dict[str, str]:
    creds = sandbox.credentials
    headers = signed_headers(
        body, private_key=creds.wechat_pay_private_key, key_id=creds.wechat_pay_public_key_id
    )
    return {k.lower(): v for k, v in {**headers, **header_changes}.items()}


def reencrypted(
    sandbox: RunningSandbox, body: bytes, key: str | None = None, **facts: object
) -> str:
    """The notification with its resource's facts changed, encrypted and signed again."""
    creds = sandbox.credentials
    envelope = json.loads(body)
    resource = envelope["resource"]
    plain = AESGCM(creds.wechat_apiv3_key.encode()).decrypt(
        resource["nonce"].encode(),
        base64.b64decode(resource["ciphertext"]),
        resource["associated_data"].encode(),
    )
    changed = {**json.loads(plain), **facts}
    envelope["resource"] = {
        "original_type": resource["original_type"],
        **encrypt_resource(
            json.dumps(changed), key or creds.wechat_apiv3_key, resource["associated_data"]
        ),
    }
    return json.dumps(envelope)


async def test_jsapi_gives_the_v3_request_payment_object_and_pay_sign_verifies(
    sandbox: RunningSandbox, gateway: WeChatPayV3Gateway, person: Person
) -> None:
    _, started = await start(gateway, person, "http://127.0.0.1:9/notify/wechat/v3/pay")
    params = started.channel_params
    assert set(params) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["signType"] == "RSA" and params["package"].startswith("prepay_id=wx")
    creds = sandbox.credentials
    assert pay_sign_ok(creds.wechat_appid, dict(params), creds.wechat_merchant_public_key)
    wrong = dict(params, nonceStr=params["nonceStr"] + "0")
    refused = pays(sandbox, wrong)
    assert refused.status_code == 400 and refused.json()["code"] == "SANDBOX_PAY_SIGN_INVALID"
    assert pays(sandbox, dict(params, paySign="AAAA")).status_code == 400
    assert pays(sandbox, params).status_code == 201


async def test_a_payment_is_notified_verified_and_not_retried_after_204(
    sandbox: RunningSandbox, gateway: WeChatPayV3Gateway, person: Person, inbox: Inbox
) -> None:
    out_trade_no, headers, body = await paid_notification(sandbox, gateway, person, inbox)
    notice = gateway.parse_payment_notification(body, "application/json", headers=headers)
    assert notice.out_trade_no == out_trade_no and notice.paid and notice.amount_fen == 200
    assert notice.channel_trade_no.startswith("4200") and notice.paid_at is not None
    assert headers["wechatpay-serial"] == sandbox.credentials.wechat_pay_public_key_id
    await eventually(lambda: inbox.statuses == [204])
    state = await gateway.query(out_trade_no)
    assert state.status == "SUCCESS" and state.amount_fen == 200
    assert state.channel_trade_no == notice.channel_trade_no


async def test_a_refused_notification_is_retried_signed_afresh(
    sandbox: RunningSandbox, gateway: WeChatPayV3Gateway, person: Person, inbox: Inbox
) -> None:
    refusals = iter([500, 400])
    original = inbox.answer
    inbox.answer = lambda headers, body: next(refusals, None) or original(headers, body)  # type: ignore[method-assign]
    await paid_notification(sandbox, gateway, person, inbox)
    await eventually(lambda: inbox.statuses == [500, 400, 204])
    nonces = {headers["wechatpay-nonce"] for headers, _ in inbox.received}
    assert len(nonces) == 3  # every attempt signed again: a new nonce each time


async def test_forged_stale_probing_and_undecryptable_notifications_are_refused(
    sandbox: RunningSandbox, gateway: WeChatPayV3Gateway, person: Person, inbox: Inbox
) -> None:
    _, headers, body = await paid_notification(sandbox, gateway, person, inbox)
    text = body.decode()

    def refused(raw: str | bytes, hdrs: dict[str, str]) -> str:
        data = raw.encode() if isinstance(raw, str) else raw
        with pytest.raises(NotificationRejected) as caught:
            gateway.parse_payment_notification(data, "application/json", headers=hdrs)
        return str(caught.value)

    tampered = text.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" ')
    assert "does not verify" in refused(tampered, headers)
    creds = sandbox.credentials
    stale = str(int(time.time()) - 301)
    stale_headers = resign(sandbox, text, **{"Wechatpay-Timestamp": stale})
    assert "5 minutes" in refused(text, stale_headers)
    probe = resign(sandbox, text, **{"Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + "A" * 40})
    assert "probe" in refused(text, probe)
    unknown = resign(sandbox, text, **{"Wechatpay-Serial": "PUB_KEY_ID_0000000000000000"})
    assert "not a key we hold" in refused(text, unknown)
    someone_else, _ = _pem_pair()
    forged = signed_headers(text, private_key=someone_else, key_id=creds.wechat_pay_public_key_id)
    assert "does not verify" in refused(text, {k.lower(): v for k, v in forged.items()})
    wrong_key = reencrypted(sandbox, body, key=secrets.token_hex(16))
    assert "does not decrypt" in refused(wrong_key, resign(sandbox, wrong_key))
    garbage = json.dumps(
        {
            **json.loads(body),
            "resource": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": "x",
                "ciphertext": "%%%",
                "associated_data": "",
            },
        }
    )
    assert "does not decrypt" in refused(garbage, resign(sandbox, garbage))
    other_app = reencrypted(sandbox, body, appid="wx0000000000000000")
    assert "appid" in refused(other_app, resign(sandbox, other_app))
    other_mch = reencrypted(sandbox, body, mchid="1900000000")
    assert "mchid" in refused(other_mch, resign(sandbox, other_mch))
    assert "missing" in refused(text, {})
    assert refused(b"\xff\xfe", resign(sandbox, "x"))
    assert body == inbox.received[0][1]  # parsing read the bytes, never changed them


async def test_a_second_public_key_during_rotation_verifies_by_serial(
    sandbox: RunningSandbox, person: Person, inbox: Inbox
) -> None:
    _, new_public = _pem_pair()
    creds = sandbox.credentials
    rotating = build_pay_v3_gateway(
        v3_settings(
            sandbox,
            public_keys={
                "PUB_KEY_ID_0114000000000000000000000000000001": new_public,
                creds.wechat_pay_public_key_id: creds.wechat_pay_public_key,
            },
        )
    )
    inbox.gateway = rotating
    out_trade_no, headers, body = await paid_notification(sandbox, rotating, person, inbox)
    assert rotating.parse_payment_notification(body, "", headers=headers).paid
    assert (await rotating.query(out_trade_no)).status == "SUCCESS"
    only_new = build_pay_v3_gateway(
        v3_settings(
            sandbox, public_keys={"PUB_KEY_ID_0114000000000000000000000000000001": new_public}
        )
    )
    with pytest.raises(ChannelRejected, match="not a key we hold"):
        await only_new.query(out_trade_no)


async def test_the_sandbox_refuses_a_request_not_signed_by_the_merchant(
    sandbox: RunningSandbox, person: Person
) -> None:
    impostor_key, _ = _pem_pair()
    impostor = build_pay_v3_gateway(v3_settings(sandbox, private_key=impostor_key))
    with pytest.raises(ChannelRejected) as caught:
        await start(impostor, person, "http://127.0.0.1:9/n")
    assert caught.value.channel_code == "SIGN_ERROR"
    wrong_serial = build_pay_v3_gateway(v3_settings(sandbox, cert_serial="ABCDEF0123456789"))
    with pytest.raises(ChannelRejected) as caught:
        await wrong_serial.query("YW-none")
    assert caught.value.channel_code == "SIGN_ERROR"
    bare = httpx.get(sandbox.base_url + "/v3/pay/transactions/out-trade-no/x?mchid=1")
    assert bare.status_code == 401 and bare.json()["code"] == "SIGN_ERROR"
    assert bare.headers["wechatpay-signature"]  # even refusals are signed


async def test_query_close_and_unknown_orders(
    sandbox: RunningSandbox, gateway: WeChatPayV3Gateway, person: Person
) -> None:
    assert (await gateway.query("YW" + secrets.token_hex(8))).status == "NOT_FOUND"
    out_trade_no, started = await start(gateway, person, "http://127.0.0.1:9/n")
    assert (await gateway.query(out_trade_no)).status == "NOTPAY"
    await gateway.close(out_trade_no)
    await gateway.close(out_trade_no)  # closing twice is fine
    assert (await gateway.query(out_trade_no)).status == "CLOSED"
    assert pays(sandbox, started.channel_params).status_code == 409


async def test_refunds_are_notified_and_never_exceed_the_payment(
    sandbox: RunningSandbox, gateway: WeChatPayV3Gateway, person: Person, inbox: Inbox
) -> None:
    out_trade_no, _, _ = await paid_notification(sandbox, gateway, person, inbox)
    inbox.kind = "refund"
    inbox.received.clear()
    inbox.statuses.clear()
    first = RefundRequest(out_trade_no, "RF" + secrets.token_hex(6), 50, 200, "部分退款", inbox.url)
    state = await gateway.refund(first)
    assert state.status == "PROCESSING" and state.refund_fen == 50
    assert (await gateway.refund(first)).channel_refund_no == state.channel_refund_no
    with pytest.raises(ChannelRejected) as caught:
        await gateway.refund(replace(first, out_refund_no="RF-too-much", refund_fen=151))
    assert caught.value.channel_code == "NOT_ENOUGH"
    await eventually(lambda: inbox.statuses == [204])
    headers, body = inbox.received[0]
    notified = gateway.parse_refund_notification(body, "", headers=headers)
    assert notified.status == "SUCCESS" and notified.refund_fen == 50
    assert notified.out_refund_no == first.out_refund_no
    queried = await gateway.query_refund(out_trade_no, first.out_refund_no)
    assert queried.status == "SUCCESS" and queried.refund_fen == 50
    missing = await gateway.query_refund(out_trade_no, "RF-never")
    assert missing.status == "NOT_FOUND"


async def test_the_trade_bill_lists_todays_payments_and_checks_its_hash(
    sandbox: RunningSandbox, gateway: WeChatPayV3Gateway, person: Person, inbox: Inbox
) -> None:
    out_trade_no, _, _ = await paid_notification(sandbox, gateway, person, inbox)
    today = clock.shanghai_date()
    lines = await gateway.download_bill(today)
    mine = [line for line in lines if line.out_trade_no == out_trade_no]
    assert [(line.kind, line.amount_fen) for line in mine] == [("payment", 200)]
    assert await gateway.download_bill(today - timedelta(days=400)) == []


async def test_signature_probes_are_reported_with_whether_they_were_refused(
    sandbox: RunningSandbox, gateway: WeChatPayV3Gateway, person: Person, inbox: Inbox
) -> None:
    out_trade_no, _, _ = await paid_notification(sandbox, gateway, person, inbox)
    probe = sandbox_post(sandbox, "/sandbox/wechat/probes", {"out_trade_no": out_trade_no})
    assert probe.status_code == 201 and probe.json() == {
        "url": inbox.url,
        "status": 400,
        "refused": True,
    }
    assert sandbox_get(sandbox, "/sandbox/wechat/probes")["probes"][-1]["refused"] is True
    probe_headers, _ = inbox.received[-1]
    assert probe_headers["wechatpay-signature"].startswith("WECHATPAY/SIGNTEST/")
