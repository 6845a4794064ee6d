"""Receipts over HTTP against a live ``yiwang serve --workers 2``: the server's worker issues
and renders; an independent decoder (zxing-cpp) and the published key check the result."""

from __future__ import annotations

import asyncio
import base64
import io
import uuid

import httpx
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from app.config import Settings
from app.identity.id_numbers import with_check_digit
from app.receipts.models import Receipt
from infra.jobs import open_queue
from tests import independent_sm2
from tests.identity.test_journey import bearer, new_person, sign_in
from tests.receipts.helpers import Line, paid_order

pytestmark = pytest.mark.usefixtures("clean")


async def signed_in(api: httpx.AsyncClient, sandbox: httpx.AsyncClient, digits: str) -> dict:
    person = await new_person(sandbox, id_number=with_check_digit(digits))
    return await sign_in(api, sandbox, "wechat", person["wechat"]["openid"])


async def pay_and_kick(settings: Settings, citizen_id: str, **kwargs) -> int:  # type: ignore[no-untyped-def]
    vault = settings.vault()
    order, event = await paid_order(vault, uuid.UUID(citizen_id), **kwargs)
    queue = await open_queue(settings.redis_url)
    await queue.enqueue_job("deliver_outbox_event", event.id, _job_id=f"outbox:{event.id}")
    await queue.aclose()
    return order.id


async def issued(order_id: int, timeout: float = 30) -> Receipt:
    for _ in range(int(timeout * 10)):
        receipt = await Receipt.get_or_none(source_key=f"order:{order_id}")
        if receipt is not None:
            return receipt
        await asyncio.sleep(0.1)
    raise AssertionError(f"no receipt issued for order {order_id}")


def offline_verify(payload: str, keys: dict) -> bool:
    """A third-party verifier written from docs/receipts.md alone, on an SM2 implementation
    independent of ours (the pure-Python ``gmssl``)."""
    head, _, signature = payload.rpartition(".")
    key_id = head.split(".")[6]
    entry = next(k for k in keys["keys"] if k["key_id"] == key_id)
    assert entry["algorithm"] == "SM2" and head.startswith("YWR2.")
    point = base64.b64decode(entry["public_key"])
    der = base64.urlsafe_b64decode(signature + "==")
    return independent_sm2.verifies(point, der, head.encode("ascii"))


async def test_resident_gets_a_receipt_that_anyone_can_verify(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, settings: Settings
) -> None:
    me = await signed_in(api, sandbox, "33010619900307123")
    auth = bearer(me["token"])
    lines = (Line("330106-KS-01", "驾驶人考试费", 1, 12000), Line("330106-GB-02", "工本费", 1, 345))
    order_id = await pay_and_kick(settings, me["citizen"]["id"], lines=lines, payer="李四")
    receipt = await issued(order_id)

    wallet = (await api.get("/api/v1/me/receipts", headers=auth)).json()
    assert wallet["total"] == 1 and wallet["items"][0]["receipt_no"] == receipt.receipt_no
    detail = await api.get(f"/api/v1/receipts/{receipt.receipt_no}", headers=auth)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["amount_uppercase"] == "壹佰贰拾叁元肆角伍分"
    assert body["payer_masked"] == "李*" and "李四" not in detail.text
    assert body["check_code"] == receipt.check_code and len(body["check_code"]) == 6

    png = await api.get(f"/api/v1/receipts/{receipt.receipt_no}/qr.png", headers=auth)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert len(scanned) == 1 and scanned[0].ec_level in ("M", "Q", "H")
    link = scanned[0].text
    assert link.startswith(settings.public_base_url + "/verify?q=YWR2.")
    keys = (await api.get("/api/v1/receipts/public-key")).json()
    assert keys["current_key_id"] == "t2"
    assert [(k["key_id"], k["algorithm"], k["status"]) for k in keys["keys"]] == [
        ("t2", "SM2", "current"),
        ("t1", "Ed25519", "retired"),
    ]
    pem = keys["keys"][0]["pem"]
    spki = base64.b64decode("".join(pem.strip().splitlines()[1:-1]))
    assert spki.endswith(base64.b64decode(keys["keys"][0]["public_key"])) and len(spki) == 91
    # SubjectPublicKeyInfo naming id-ecPublicKey on the curve sm2p256v1 (1.2.156.10197.1.301).
    assert bytes.fromhex("06082a811ccf5501822d") in spki
    payload = link.split("q=", 1)[1]
    assert offline_verify(payload, keys)
    assert not offline_verify(payload.replace(".12345.", ".12346."), keys)

    svg = await api.get(f"/api/v1/receipts/{receipt.receipt_no}/qr.svg", headers=auth)
    assert svg.status_code == 200 and b"<svg" in svg.content
    pdf = await api.get(f"/api/v1/receipts/{receipt.receipt_no}/receipt.pdf", headers=auth)
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "壹佰贰拾叁元肆角伍分" in text and "李四" in text

    verified = (await api.post("/api/v1/receipts/verify", json={"qr": link})).json()
    assert verified["status"] == "genuine" and verified["signature"]["key_id"] == "t2"
    assert verified["receipt"]["payer_masked"] == "李*" and "李四" not in str(verified)
    page = await api.get(link.removeprefix(settings.public_base_url))
    assert page.status_code == 200 and "票据真实有效" in page.text and "李*" in page.text
    order_no = (await Receipt.get(id=receipt.id).prefetch_related("order")).order.order_no
    order = await api.get(f"/api/v1/orders/{order_no}", headers=auth)
    if order.status_code == 200:
        assert order.json().get("receipt_no") == receipt.receipt_no

    # Someone else's token sees nothing of it.
    other = await signed_in(api, sandbox, "33010619851111456")
    hidden = await api.get(f"/api/v1/receipts/{receipt.receipt_no}", headers=bearer(other["token"]))
    assert hidden.status_code == 404 and hidden.json()["code"] == "RECEIPT_NOT_FOUND"
    no_token = await api.get(f"/api/v1/receipts/{receipt.receipt_no}/receipt.pdf")
    assert no_token.status_code == 401


async def test_bad_verification_input_is_always_a_clear_answer(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, settings: Settings
) -> None:
    me = await signed_in(api, sandbox, "33010619900307123")
    receipt = await issued(await pay_and_kick(settings, me["citizen"]["id"]))
    payload = receipt.qr_payload
    head, _, sig = payload.rpartition(".")
    parts = head.split(".")
    digit = parts[2][:-1] + str((int(parts[2][-1]) + 1) % 10)
    cases = [
        ({"qr": ".".join([*parts[:2], digit, *parts[3:]]) + "." + sig}, "tampered"),
        ({"qr": payload.replace(f".{receipt.amount_fen}.", ".1.")}, "tampered"),
        ({"qr": payload[:-5]}, "tampered"),
        ({"qr": payload[:30]}, "unknown"),
        ({"qr": "8f3a!! not a receipt"}, "unknown"),
        ({"receipt_no": receipt.receipt_no, "check_code": "000000"}, "tampered"),
        ({"receipt_no": receipt.receipt_no, "check_code": receipt.check_code}, "genuine"),
        ({"receipt_no": "1" * 18, "check_code": "abcdef"}, "unknown"),
    ]
    for body, status in cases:
        r = await api.post("/api/v1/receipts/verify", json=body)
        assert r.status_code == 200, (body, r.text)
        assert r.json()["status"] == status, (body, r.json())
    for bad, code in [
        (b"{not json", "MALFORMED_JSON"),
        (b"{}", "INVALID_INPUT"),
        (b'{"qr": "x", "receipt_no": "1"}', "INVALID_INPUT"),
        (b'{"receipt_no": "1"}', "INVALID_INPUT"),
        (b'{"qr": 7}', "INVALID_INPUT"),
        (('{"qr": "' + "A" * 5000 + '"}').encode(), "INVALID_INPUT"),
    ]:
        r = await api.post("/api/v1/receipts/verify", content=bad)
        assert r.status_code in (400, 422) and r.json()["code"] == code, (bad[:40], r.text)
    page = await api.get("/verify", params={"q": "garbage<script>"})
    assert page.status_code == 200 and "<script>" not in page.text and "未查到" in page.text


async def test_verification_is_rate_limited(api: httpx.AsyncClient, settings: Settings) -> None:
    limit = settings.receipt_verifications_per_minute
    answers = await asyncio.gather(
        *(api.post("/api/v1/receipts/verify", json={"qr": "x"}) for _ in range(limit + 5))
    )
    codes = [a.status_code for a in answers]
    assert codes.count(200) == limit and codes.count(429) == 5
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.json()["code"] == "RATE_LIMITED"
    assert (await api.get("/verify", params={"q": "x"})).status_code == 429


async def test_wallet_lists_every_channel_newest_first_in_pages(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, settings: Settings
) -> None:
    me = await signed_in(api, sandbox, "33010619900307123")
    ids = []
    for channel in ("wechat", "alipay", "app", "wechat", "alipay"):
        ids.append(await pay_and_kick(settings, me["citizen"]["id"], channel=channel))
        await issued(ids[-1])
    auth = bearer(me["token"])
    first = (await api.get("/api/v1/me/receipts?page=1&page_size=2", headers=auth)).json()
    second = (await api.get("/api/v1/me/receipts?page=2&page_size=2", headers=auth)).json()
    third = (await api.get("/api/v1/me/receipts?page=3&page_size=2", headers=auth)).json()
    items = first["items"] + second["items"] + third["items"]
    assert first["total"] == 5 and first["has_more"] and not third["has_more"]
    expected = [(await Receipt.get(source_key=f"order:{i}")).receipt_no for i in reversed(ids)]
    assert [i["receipt_no"] for i in items] == expected
    assert {i["channel"] for i in items} == {"wechat", "alipay", "app"}
    bad = await api.get("/api/v1/me/receipts?page=abc", headers=auth)
    assert bad.status_code == 422
