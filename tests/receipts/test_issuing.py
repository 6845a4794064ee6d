"""Issuing, numbering, rendering, red letters and verification against real PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import io
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from tortoise import connections

from app.config import Settings
from app.receipts import storage
from app.receipts.amounts import uppercase
from app.receipts.models import Receipt, ReceiptCounter, ReceiptFile, ReceiptLine
from app.receipts.service import Receipts, build_receipts
from app.receipts.signing import KeyRing, Reading
from infra import outbox
from infra.national import Sm2PrivateKey, generate_sm2_private
from infra.outbox.models import DELIVERED, OutboxEvent
from infra.pii import PiiVault
from tests import tools
from tests.receipts.helpers import Line, new_citizen, paid_order, refunded

pytestmark = pytest.mark.usefixtures("clean")


@pytest.fixture
def vault(settings: Settings) -> PiiVault:
    return settings.vault()


@pytest.fixture
def receipts(vault: PiiVault, settings: Settings, redis: aioredis.Redis) -> Receipts:
    return build_receipts(vault, settings, redis)


def handlers(receipts: Receipts) -> dict:
    return {"receipt.issue": receipts.on_issue, "receipt.red_letter": receipts.on_red_letter}


def page_image(pdf: bytes, workdir: Path) -> Image.Image:
    """The PDF's first page as a 150 dpi image, rendered by poppler's pdftoppm."""
    (workdir / "receipt.pdf").write_bytes(pdf)
    subprocess.run(
        [tools.program("pdftoppm"), "-r", "150", "-png", "-singlefile", "receipt.pdf", "page"],
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    return Image.open(workdir / "page.png")


async def test_paid_order_gets_one_rendered_receipt_even_when_the_event_repeats(
    receipts: Receipts, vault: PiiVault, tmp_path: Path
) -> None:
    citizen = await new_citizen()
    lines = (Line("330106-KS-01", "驾驶人考试费", 2, 5000), Line("330106-GB-02", "工本费", 1, 2345))
    order, event = await paid_order(vault, citizen.id, lines=lines)
    assert event is not None
    assert await outbox.deliver(event.id, handlers(receipts))
    assert (await OutboxEvent.get(id=event.id)).status == DELIVERED
    # Redelivery and direct duplicate calls, concurrently: still one receipt, one number.
    again = await asyncio.gather(*(receipts.on_issue({"order_id": order.id}) for _ in range(10)))
    assert again == [None] * 10
    rows = await Receipt.filter(order_id=order.id)
    assert len(rows) == 1
    receipt = rows[0]
    assert receipt.code == "33010326"[:4] + "03" + receipt.code[-2:]
    assert receipt.number == 1 and receipt.receipt_no == receipt.code + "0000000001"
    assert len(receipt.check_code) == 6
    assert (await ReceiptCounter.get(code=receipt.code)).last_number == 1
    assert receipt.payer_name_masked == "张**"
    # Issuing draws nothing (it keeps the worker fast); the first request of a file does,
    # once, and keeps every rendering.
    assert receipt.rendered_at is None and await ReceiptFile.all().count() == 0
    png = await receipts.file(citizen.id, receipt.receipt_no, "png")
    await receipt.refresh_from_db()
    assert receipt.rendered_at is not None
    assert await ReceiptFile.filter(receipt_id=receipt.id).count() == 3
    assert await storage.load(vault, receipt, "png") == png
    assert [line.amount_fen for line in await ReceiptLine.filter(receipt_id=receipt.id)] == [
        10000,
        2345,
    ]

    png = await storage.load(vault, receipt, "png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(decoded) == 1 and decoded[0].format == zxingcpp.BarcodeFormat.QRCode
    assert decoded[0].ec_level in ("M", "Q", "H")
    assert decoded[0].text == receipts.qr_text(receipt)
    assert (await receipts.verifier.scanned(decoded[0].text))["status"] == "genuine"

    pdf = await storage.load(vault, receipt, "pdf")
    # The printed QR: the PDF's page rendered to an image (poppler) and scanned like a phone.
    [printed] = zxingcpp.read_barcodes(page_image(pdf, tmp_path))
    assert printed.format == zxingcpp.BarcodeFormat.QRCode
    assert printed.text == decoded[0].text == receipts.qr_text(receipt)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert uppercase(12345) == "壹佰贰拾叁元肆角伍分"
    assert "壹佰贰拾叁元肆角伍分" in text
    assert "张三丰" in text and "非税收入统一票据" in text and "财政电子票据" in text
    assert receipt.check_code in text and "驾驶人考试费" in text
    # The PDF names the payer in full, so it is not stored in the clear.
    raw = await connections.get("default").execute_query_dict(
        "SELECT content FROM receipt_file WHERE fmt = 'pdf'"
    )
    assert b"%PDF" not in bytes(raw[0]["content"])


async def test_order_not_paid_is_refused_and_retried_later(
    receipts: Receipts, vault: PiiVault
) -> None:
    citizen = await new_citizen()
    order, event = await paid_order(vault, citizen.id)
    await order.__class__.filter(id=order.id).update(status="PAYING")
    assert not await outbox.deliver(event.id, handlers(receipts))
    assert await Receipt.all().count() == 0
    assert await ReceiptCounter.all().count() == 0


async def test_numbers_are_gapless_under_concurrency_and_a_crash_gives_the_number_back(
    receipts: Receipts, vault: PiiVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen = await new_citizen()
    orders = [(await paid_order(vault, citizen.id, emit=False))[0] for _ in range(40)]

    # A crash after the number is taken: the receipt's lines fail to insert.
    original = ReceiptLine.bulk_create

    async def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionResetError("worker died mid-transaction")

    monkeypatch.setattr(ReceiptLine, "bulk_create", crash)
    with pytest.raises(ConnectionResetError):
        await receipts.issuer.for_order(orders[0].id)
    assert await Receipt.all().count() == 0
    assert await ReceiptCounter.filter(last_number__gt=0).count() == 0  # rolled back too
    monkeypatch.setattr(ReceiptLine, "bulk_create", original)

    # Every order twice, all at once.
    await asyncio.gather(*(receipts.issuer.for_order(o.id) for o in orders + orders[::-1]))
    numbers = sorted(await Receipt.all().values_list("number", flat=True))
    assert numbers == list(range(1, 41))
    assert (await ReceiptCounter.first()).last_number == 40


async def test_partial_then_full_refund_red_letters_and_voids(
    receipts: Receipts, vault: PiiVault
) -> None:
    citizen = await new_citizen()
    order, event = await paid_order(vault, citizen.id)
    await outbox.deliver(event.id, handlers(receipts))
    blue = await Receipt.get(order_id=order.id, kind="normal")

    part = await refunded(order, 2345, refund_id=71, fully=False)
    await receipts.on_red_letter(part)
    await receipts.on_red_letter(part)  # a repeated event changes nothing
    first_red = await Receipt.get(source_key="refund:71")
    assert first_red.kind == "red_letter" and first_red.amount_fen == -2345
    assert first_red.number == blue.number + 1 and first_red.original_id == blue.id
    assert first_red.rendered_at is None
    red_pdf = await receipts.file(citizen.id, first_red.receipt_no, "pdf")
    text = PdfReader(io.BytesIO(red_pdf)).pages[0]
    assert "负贰拾叁元肆角伍分" in text.extract_text()
    partly = await receipts.verifier.scanned(receipts.qr_text(blue))
    assert partly["status"] == "genuine"
    assert partly["receipt"]["red_lettered_fen"] == 2345
    assert partly["receipt"]["red_letters"] == [
        {"receipt_no": first_red.receipt_no, "amount_fen": -2345}
    ]

    rest = await refunded(order, 10000, refund_id=72, fully=True)
    await receipts.on_red_letter(rest)
    second_red = await Receipt.get(source_key="refund:72")
    answer = await receipts.verifier.scanned(receipts.qr_text(blue))
    assert answer["status"] == "voided"
    assert answer["red_letter_receipt_no"] == second_red.receipt_no
    assert answer["receipt"]["payer_masked"] == "张**"
    by_number = await receipts.verifier.by_number(blue.receipt_no, blue.check_code.upper())
    assert by_number["status"] == "voided"
    red_answer = await receipts.verifier.scanned(receipts.qr_text(second_red))
    assert red_answer["status"] == "genuine"
    assert red_answer["receipt"]["original_receipt_no"] == blue.receipt_no
    assert (await Receipt.get(id=blue.id)).red_lettered_fen == 12345


async def test_a_red_letter_delivered_again_after_a_crash_clears_the_cached_verification(
    receipts: Receipts, vault: PiiVault
) -> None:
    """Verification is cached per receipt; the red-letter handler drops the original's entry
    on every delivery, so a crash between its commit and that step heals on the retry."""
    citizen = await new_citizen()
    order, event = await paid_order(vault, citizen.id)
    await outbox.deliver(event.id, handlers(receipts))
    blue = await Receipt.get(order_id=order.id, kind="normal")
    assert (await receipts.verifier.scanned(receipts.qr_text(blue)))["status"] == "genuine"
    # The issuer commits the red letter, then the process dies before the handler goes on.
    full = await refunded(order, order.amount_fen, refund_id=81, fully=True)
    await receipts.issuer.red_letter(order.id, 81, order.amount_fen, fully=True)
    assert (await Receipt.get(id=blue.id)).status == "VOIDED"
    # The outbox delivers the event again: the cached answer is dropped and rebuilt.
    await receipts.on_red_letter(full)
    answer = await receipts.verifier.scanned(receipts.qr_text(blue))
    assert answer["status"] == "voided" and answer["reason"] == "RED_LETTERED"
    assert (await receipts.verifier.by_number(blue.receipt_no, blue.check_code))[
        "status"
    ] == "voided"
    assert await Receipt.filter(source_key="refund:81").count() == 1


async def test_full_refund_at_once_mirrors_every_line(receipts: Receipts, vault: PiiVault) -> None:
    citizen = await new_citizen()
    lines = (Line("A-1", "考试费", 1, 3000), Line("A-2", "工本费", 2, 500))
    order, _ = await paid_order(vault, citizen.id, lines=lines, payable_type="notice")
    # The refund event may arrive before the issue event: the blue receipt is issued first.
    await receipts.on_red_letter(await refunded(order, 4000, refund_id=9, fully=True))
    blue = await Receipt.get(source_key=f"order:{order.id}")
    red = await Receipt.get(source_key="refund:9")
    assert blue.status == "VOIDED" and blue.code[4:6] == "01"
    mirrored = await ReceiptLine.filter(receipt_id=red.id).order_by("position")
    assert [(x.item_code, x.amount_fen) for x in mirrored] == [("A-1", -3000), ("A-2", -1000)]


async def test_every_bad_scan_gets_a_clear_answer(receipts: Receipts, vault: PiiVault) -> None:
    citizen = await new_citizen()
    order, event = await paid_order(vault, citizen.id)
    await outbox.deliver(event.id, handlers(receipts))
    receipt = await Receipt.get(order_id=order.id)
    payload = receipt.qr_payload
    head, _, signature = payload.rpartition(".")
    fields = head.split(".")

    def changed(index: int, value: str) -> str:
        return ".".join([*fields[:index], value, *fields[index + 1 :]]) + "." + signature

    number = fields[2]
    other_digit = number[:-1] + str((int(number[-1]) + 1) % 10)
    other_key = KeyRing.national(
        "t2", Sm2PrivateKey(generate_sm2_private()), ed25519=None, retired={}
    )
    claim, _ = __import__("app.receipts.signing", fromlist=["parse_claim"]).parse_claim(payload)
    cases = {
        "one changed digit": (changed(2, other_digit), "tampered", "BAD_SIGNATURE"),
        "changed amount": (changed(5, "12346"), "tampered", "BAD_SIGNATURE"),
        "another key": (other_key.sign(claim), "tampered", "BAD_SIGNATURE"),
        "YWR1 under an SM2 key": ("YWR1" + payload[4:], "tampered", "BAD_SIGNATURE"),
        "one bit of the signature": (
            head + "." + ("A" if signature[0] != "A" else "B") + signature[1:],
            "tampered",
            "BAD_SIGNATURE",
        ),
        "a key id never published": (changed(6, "zz9"), "tampered", "UNKNOWN_KEY"),
        "truncated signature": (payload[:-10], "tampered", "BAD_SIGNATURE"),
        "truncated fields": (payload[:40], "unknown", "NOT_A_RECEIPT_QR"),
        "random string": ("hello, 你好 %00 ☃", "unknown", "NOT_A_RECEIPT_QR"),
        "empty": ("", "unknown", "NOT_A_RECEIPT_QR"),
        "bad date": (changed(4, "20251399"), "unknown", "NOT_A_RECEIPT_QR"),
        "huge": ("YWR1." + "9" * 5000, "unknown", "NOT_A_RECEIPT_QR"),
        "link without q": ("https://example.org/verify?x=1", "unknown", "NOT_A_RECEIPT_QR"),
    }
    for name, (scanned, status, reason) in cases.items():
        answer = await receipts.verifier.scanned(scanned)
        assert (answer["status"], answer["reason"]) == (status, reason), name
        assert "receipt" not in answer, name
    wrong = "0" * 6 if receipt.check_code != "0" * 6 else "1" * 6
    assert (await receipts.verifier.by_number(receipt.receipt_no, wrong))["status"] == "tampered"
    assert (await receipts.verifier.by_number("9" * 18, wrong))["status"] == "unknown"
    assert (await receipts.verifier.by_number("12ab", "??"))["reason"] == "MALFORMED"
    good = await receipts.verifier.by_number(receipt.receipt_no, receipt.check_code)
    assert good["status"] == "genuine"
    assert "张三丰" not in str(good) and good["receipt"]["payer_masked"] == "张**"


async def test_ed25519_receipts_keep_verifying_after_the_move_to_sm2(
    receipts: Receipts, vault: PiiVault, settings: Settings
) -> None:
    assert settings.crypto is not None
    before = settings.model_copy(
        update={"crypto": replace(settings.crypto, suite="international")}
    )
    international = build_receipts(vault, before, receipts.redis)
    citizen = await new_citizen()
    old_order, _ = await paid_order(vault, citizen.id, emit=False)
    old = await international.issuer.for_order(old_order.id)
    assert old.key_id == "t1" and old.qr_payload.startswith("YWR1.")

    new_order, _ = await paid_order(vault, citizen.id, emit=False)
    new = await receipts.issuer.for_order(new_order.id)
    assert new.key_id == "t2" and new.qr_payload.startswith("YWR2.") and ".t2." in new.qr_payload

    # The signatures themselves, offline: each version under its own algorithm.
    assert receipts.keys.check(old.qr_payload).reading is Reading.GENUINE
    assert receipts.keys.check(new.qr_payload).reading is Reading.GENUINE
    assert (await receipts.verifier.scanned(receipts.qr_text(old)))["status"] == "genuine"
    assert (await receipts.verifier.scanned(receipts.qr_text(new)))["status"] == "genuine"
    # A tampered receipt of either version is tampered.
    for payload in (old.qr_payload, new.qr_payload):
        forged = payload.replace(".12345.", ".12346.")
        assert forged != payload
        answer = await receipts.verifier.scanned(forged)
        assert (answer["status"], answer["reason"]) == ("tampered", "BAD_SIGNATURE")
    published = receipts.keys.published()
    assert [(k["key_id"], k["status"], k["algorithm"]) for k in published] == [
        ("t2", "current", "SM2"),
        ("t1", "retired", "Ed25519"),
    ]
    assert len(base64.b64decode(published[0]["public_key"])) == 65
    # Before the move, the SM2 key is unknown: its receipts do not verify there.
    assert international.keys.check(new.qr_payload).reading is Reading.UNKNOWN_KEY


async def test_constraints_exist_in_postgresql() -> None:
    rows = await connections.get("default").execute_query_dict(
        "SELECT conname FROM pg_constraint WHERE conrelid IN "
        "('receipt'::regclass, 'receipt_counter'::regclass)"
    )
    names = {row["conname"] for row in rows}
    assert {
        "receipt_kind_amount",
        "receipt_red_letters_within_amount",
        "receipt_number_range",
        "receipt_status_known",
        "receipt_counter_in_range",
    } <= names
