"""E-receipts over HTTP: the owner's receipt and files, the wallet, public verification
(JSON and the mobile page the QR opens), and the published signing keys."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, html, json, raw

from app.errors import InvalidInput, RateLimited
from app.http.agency import agency_caller
from app.http.auth import resident
from app.http.bodies import parse
from app.http.columns import text
from app.http.identity import client_address
from app.http.openapi import documented
from app.receipts import page
from app.receipts.models import Receipt
from app.receipts.storage import CONTENT_TYPES
from infra.ratelimit import allow

bp = Blueprint("receipts")


class VerifyRequest(BaseModel):
    """Either the scanned QR text (link or bare payload) or the number and check code."""

    qr: str | None = Field(default=None, max_length=1024)
    receipt_no: text(Receipt, "receipt_no") | None = None  # type: ignore[valid-type]
    check_code: str | None = Field(default=None, max_length=16)

    @model_validator(mode="after")
    def one_way(self) -> VerifyRequest:
        by_number = self.receipt_no is not None or self.check_code is not None
        if (self.qr is None) == (not by_number):
            raise ValueError("give either qr, or receipt_no and check_code")
        if by_number and (self.receipt_no is None or self.check_code is None):
            raise ValueError("receipt_no and check_code go together")
        return self


class ReceiptRevealRequest(BaseModel):
    reason: str = Field(min_length=4, max_length=200)


async def _admit(request: Request) -> None:
    services = request.app.ctx.services
    if not await allow(
        services.redis,
        f"receipt-verify:{client_address(request)}",
        limit=services.settings.receipt_verifications_per_minute,
        window_seconds=60,
    ):
        raise RateLimited()


def _int_arg(request: Request, name: str, default: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    if not value.isdigit() or len(value) > 6:
        raise InvalidInput(f"{name} must be a positive integer.", fields={name: "not an integer"})
    return int(value)


@bp.get("/api/v1/receipts/public-key")
@documented(
    "The public keys QR signatures verify against, by key id (current first): SM2 now, "
    "retired Ed25519 keys for YWR1 receipts.",
    tag="receipts",
)
async def public_key(request: Request) -> JSONResponse:
    keys = request.app.ctx.services.receipts.keys
    return json(
        {"current_key_id": keys.signing_kid, "keys": keys.published()},
        headers={"Cache-Control": "public, max-age=3600"},
    )


@bp.post("/api/v1/receipts/verify")
@documented(
    "Verify a receipt by its scanned QR or by receipt number + check code.",
    body=VerifyRequest,
    responses={
        200: "status genuine | tampered | voided | unknown, with reason and the public view",
        429: "RATE_LIMITED",
    },
    tag="receipts",
)
async def verify(request: Request) -> JSONResponse:
    await _admit(request)
    body = parse(request, VerifyRequest)
    verifier = request.app.ctx.services.receipts.verifier
    if body.qr is not None:
        return json(await verifier.scanned(body.qr))
    return json(await verifier.by_number(body.receipt_no or "", body.check_code or ""))


@bp.get("/verify")
@documented("The public mobile verification page the receipt QR links to.", tag="receipts")
async def verify_page(request: Request) -> HTTPResponse:
    verifier = request.app.ctx.services.receipts.verifier
    scanned = request.args.get("q")
    number, check = request.args.get("receipt_no"), request.args.get("check_code")
    answer: dict[str, Any] | None = None
    headers = {"Cache-Control": "no-store"}
    if scanned is not None or number is not None:
        try:
            await _admit(request)
        except RateLimited:
            return html(
                page.render(None, notice="查验过于频繁，请稍后再试"), status=429, headers=headers
            )
        if scanned is not None:
            answer = await verifier.scanned(scanned[:2048])
        else:
            answer = await verifier.by_number((number or "")[:32], (check or "")[:16])
    return html(page.render(answer), headers=headers)


@bp.get("/api/v1/me/receipts")
@documented(
    "The signed-in citizen's receipts from every channel, newest first (page, page_size).",
    auth="resident",
    tag="receipts",
)
async def my_receipts(request: Request) -> JSONResponse:
    principal = await resident(request)
    listing = await request.app.ctx.services.receipts.wallet(
        principal.citizen_id,
        page=_int_arg(request, "page", 1),
        page_size=_int_arg(request, "page_size", 20),
    )
    return json(listing)


@bp.get("/api/v1/receipts/<receipt_no:receipt_no>")
@documented("One of your receipts, with its check code and QR.", auth="resident", tag="receipts")
async def receipt_detail(request: Request, receipt_no: str) -> JSONResponse:
    principal = await resident(request)
    return json(await request.app.ctx.services.receipts.detail(principal.citizen_id, receipt_no))


async def _file(request: Request, receipt_no: str, fmt: str) -> HTTPResponse:
    principal = await resident(request)
    content = await request.app.ctx.services.receipts.file(principal.citizen_id, receipt_no, fmt)
    headers = {"Cache-Control": "private, max-age=86400"}
    if fmt == "pdf":
        headers["Content-Disposition"] = f'inline; filename="receipt-{receipt_no}.pdf"'
    return raw(content, content_type=CONTENT_TYPES[fmt], headers=headers)


@bp.get("/api/v1/receipts/<receipt_no:receipt_no>/qr.png")
@documented("The receipt's QR code as PNG (error correction M).", auth="resident", tag="receipts")
async def receipt_qr_png(request: Request, receipt_no: str) -> HTTPResponse:
    return await _file(request, receipt_no, "png")


@bp.get("/api/v1/receipts/<receipt_no:receipt_no>/qr.svg")
@documented("The receipt's QR code as SVG.", auth="resident", tag="receipts")
async def receipt_qr_svg(request: Request, receipt_no: str) -> HTTPResponse:
    return await _file(request, receipt_no, "svg")


@bp.get("/api/v1/receipts/<receipt_no:receipt_no>/receipt.pdf")
@documented("The receipt face as PDF (财政电子票据).", auth="resident", tag="receipts")
async def receipt_pdf(request: Request, receipt_no: str) -> HTTPResponse:
    return await _file(request, receipt_no, "pdf")


@bp.post("/api/v1/agency/receipts/<receipt_no:receipt_no>/face")
@documented(
    "A receipt as printed, the payer's name in full, to the collecting agency it was paid to;"
    " every look is written to the audit chain with its reason.",
    body=ReceiptRevealRequest,
    auth="agency",
    responses={404: "RECEIPT_NOT_FOUND"},
    tag="agency",
)
async def agency_receipt_face(request: Request, receipt_no: str) -> JSONResponse:
    agency = await agency_caller(request)
    body = parse(request, ReceiptRevealRequest)
    face = await request.app.ctx.services.receipts.reveal_face(
        agency.id, agency.key, receipt_no, body.reason
    )
    return json(face, ensure_ascii=False, headers={"Cache-Control": "no-store"})
