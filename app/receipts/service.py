"""The receipts room as the rest of the process sees it: event handlers, rendering,
the owner's reads and the wallet."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from app.catalog import audit
from app.config import Settings
from app.errors import ReceiptNotFound
from app.receipts import storage
from app.receipts.codes import RECEIPT_NO
from app.receipts.issuing import Issuer
from app.receipts.models import Receipt, ReceiptLine
from app.receipts.rendering import FaceLine, ReceiptFace, render_all
from app.receipts.signing import KeyRing
from app.receipts.states import ReceiptKind
from app.receipts.verification import Verifier
from app.receipts.views import owner_view, public_view, wallet_item
from infra.pii import PiiVault
from payments.models import Order

MAX_PAGE_SIZE = 100


@dataclass
class Receipts:
    vault: PiiVault
    keys: KeyRing
    public_base_url: str
    redis: aioredis.Redis

    def __post_init__(self) -> None:
        self.issuer = Issuer(self.vault, self.keys)
        self.verifier = Verifier(self.keys, self.redis)

    def qr_text(self, receipt: Receipt) -> str:
        """What the QR holds: the public verification link carrying the signed payload."""
        return f"{self.public_base_url}/verify?q={receipt.qr_payload}"

    # ------------------------------------------------------------ outbox handlers

    # Issuing is the number, the signed QR payload and the record, in one transaction, and
    # nothing else: drawing the PNG, SVG and PDF (~50 ms of CPU) waits for the first request
    # of a file (``file``), so the worker issues receipts as fast as the database allows.

    async def on_issue(self, payload: dict[str, Any]) -> None:
        await self.issuer.for_order(int(payload["order_id"]))

    async def on_red_letter(self, payload: dict[str, Any]) -> None:
        red = await self.issuer.red_letter(
            int(payload["order_id"]),
            int(payload["refund_id"]),
            int(payload["refund_fen"]),
            fully=bool(payload["fully"]),
        )
        original = await Receipt.get(id=red.original_id)  # type: ignore[attr-defined]
        # On every delivery, not only the first: a crash after the commit is retried here.
        await self.verifier.changed(original.receipt_no)

    async def order_view_extension(self, order: Order) -> dict[str, Any]:
        receipt = await Receipt.get_or_none(source_key=f"order:{order.id}")
        return {"receipt_no": receipt.receipt_no if receipt else None}

    # ------------------------------------------------------------ rendering

    async def face(self, receipt: Receipt) -> ReceiptFace:
        lines = await ReceiptLine.filter(receipt_id=receipt.id).order_by("position")
        order = await Order.get(id=receipt.order_id)  # type: ignore[attr-defined]
        remark = f"订单号 {order.order_no}"
        if receipt.original_id is not None:  # type: ignore[attr-defined]
            original = await Receipt.get(id=receipt.original_id)  # type: ignore[attr-defined]
            remark = f"红冲 原票据 {original.code}-{original.number:010d}；{remark}"
        return ReceiptFace(
            code=receipt.code,
            number=f"{receipt.number:010d}",
            check_code=receipt.check_code,
            red_letter=receipt.kind == ReceiptKind.RED_LETTER.value,
            payer=self.vault.decrypt("receipt_payer", receipt.payer_name_enc),
            lines=tuple(
                FaceLine(x.item_code, x.name, x.quantity, x.standard_fen, x.amount_fen)
                for x in lines
            ),
            amount_fen=receipt.amount_fen,
            agency_name=receipt.agency_name,
            issue_date=receipt.issue_date,
            remark=remark,
        )

    async def render(self, receipt: Receipt) -> None:
        """Render once, in a thread (PDF drawing is ~50 ms of CPU), and keep the result.

        A receipt's face never changes once issued (a red letter is a receipt of its own and
        voiding shows in verification, not on the face), so the first rendering is final.
        """
        if receipt.rendered_at is not None:
            return
        face = await self.face(receipt)
        files = await asyncio.to_thread(render_all, face, self.qr_text(receipt))
        await storage.store(self.vault, receipt, files)

    # ------------------------------------------------------------ the owner's reads

    async def owned(self, citizen_id: uuid.UUID, receipt_no: str) -> Receipt:
        if not RECEIPT_NO.match(receipt_no):
            raise ReceiptNotFound()
        receipt = await Receipt.get_or_none(receipt_no=receipt_no, citizen_id=citizen_id)
        if receipt is None:
            raise ReceiptNotFound()
        return receipt

    async def detail(self, citizen_id: uuid.UUID, receipt_no: str) -> dict[str, Any]:
        receipt = await self.owned(citizen_id, receipt_no)
        lines = await ReceiptLine.filter(receipt_id=receipt.id).order_by("position")
        reds = await Receipt.filter(original_id=receipt.id).order_by("number")
        order = await Order.get(id=receipt.order_id)  # type: ignore[attr-defined]
        original_no = None
        if receipt.original_id is not None:  # type: ignore[attr-defined]
            original_no = (await Receipt.get(id=receipt.original_id)).receipt_no  # type: ignore[attr-defined]
        return owner_view(
            receipt,
            lines,
            order_no=order.order_no,
            original_no=original_no,
            red_letters=reds,
            qr_text=self.qr_text(receipt),
        )

    async def reveal_face(
        self, agency_id: int, agency_key: str, receipt_no: str, reason: str
    ) -> dict[str, Any]:
        """The receipt as printed, payer's name in full, to the collecting agency that the
        money went to: on the audit chain, with the reason, before it is returned. Any other
        agency, or a number that is not a receipt, gets RECEIPT_NOT_FOUND alike."""
        receipt = None
        if RECEIPT_NO.match(receipt_no):
            receipt = await Receipt.get_or_none(receipt_no=receipt_no)
        if receipt is None:
            raise ReceiptNotFound()
        order = await Order.get(id=receipt.order_id)  # type: ignore[attr-defined]
        if order.agency_id != agency_id:
            raise ReceiptNotFound()
        lines = await ReceiptLine.filter(receipt_id=receipt.id).order_by("position")
        reds = await Receipt.filter(original_id=receipt.id).order_by("number")
        original_no = None
        if receipt.original_id is not None:  # type: ignore[attr-defined]
            original_no = (await Receipt.get(id=receipt.original_id)).receipt_no  # type: ignore[attr-defined]
        shown = public_view(receipt, list(lines), original_no=original_no, red_letters=list(reds))
        shown["payer"] = self.vault.decrypt("receipt_payer", receipt.payer_name_enc)
        await audit.reveal(
            None,
            "reveal.receipt_face",
            "receipt",
            receipt.receipt_no,
            department=None,
            fields=["payer"],
            reason=reason,
            by=f"agency:{agency_key}",
        )
        return shown

    async def file(self, citizen_id: uuid.UUID, receipt_no: str, fmt: str) -> bytes:
        """Served from storage; the first request of a receipt's files renders them (once:
        the stored copy wins any race)."""
        receipt = await self.owned(citizen_id, receipt_no)
        content = await storage.load(self.vault, receipt, fmt)
        if content is None:
            await self.render(receipt)
            content = await storage.load(self.vault, receipt, fmt)
        if content is None:
            raise ReceiptNotFound()
        return content

    async def wallet(self, citizen_id: uuid.UUID, *, page: int, page_size: int) -> dict[str, Any]:
        """Every receipt of the citizen, whatever channel paid it, newest first."""
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        page = max(1, page)
        mine = Receipt.filter(citizen_id=citizen_id)
        total = await mine.count()
        rows = (
            await mine.order_by("-issued_at", "-id").offset((page - 1) * page_size).limit(page_size)
        )
        return {
            "items": [wallet_item(r) for r in rows],
            "page": page,
            "page_size": page_size,
            "total": total,
            "has_more": page * page_size < total,
        }


def build_receipts(vault: PiiVault, settings: Settings, redis: aioredis.Redis) -> Receipts:
    return Receipts(vault, receipt_key_ring(settings), settings.public_base_url, redis)


def receipt_key_ring(settings: Settings) -> KeyRing:
    """SM2 (YWR2) under the national suite, Ed25519 (YWR1) under the international one;
    every other key this deployment ever signed with stays published."""
    keys = settings.receipt_keys
    signer = settings.crypto_suite.receipt_signer()
    if settings.crypto_suite.suite == "national" and signer is not None:
        ed25519 = (keys.signing_kid, keys.signing_seed) if keys.signing_kid else None
        return KeyRing.national(signer[0], signer[1], ed25519=ed25519, retired=keys.retired)
    return KeyRing.from_seeds(keys.signing_kid, keys.signing_seed, keys.retired)
