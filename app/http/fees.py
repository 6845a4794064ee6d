"""Payment notices: agencies issue them; residents look them up by payment code."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from app.errors import AgencyKindForbidden, RateLimited
from app.fees.fee_items import FeeItemInput, register_fee_item
from app.fees.models import NoticeLine, PaymentNotice
from app.fees.notices import NoticeInput, NoticeLineInput, is_overdue, is_payer
from app.http.agency import agency_caller
from app.http.auth import resident
from app.http.bodies import parse
from app.http.identity import client_address
from app.http.openapi import documented
from infra.ratelimit import allow_each

bp = Blueprint("fees", url_prefix="/api/v1")


class Payer(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=15, max_length=18)


class NoticeItem(BaseModel):
    item_code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    quantity: int = Field(ge=1, le=10_000)
    standard_fen: int = Field(ge=0, le=10**10)
    amount_fen: int = Field(ge=1, le=10**10)


class NoticeRequest(BaseModel):
    payer: Payer
    items: list[NoticeItem] = Field(min_length=1, max_length=50)
    due_date: date
    notice_no: str | None = Field(default=None, max_length=64)


class NoticeRevealRequest(BaseModel):
    reason: str = Field(min_length=4, max_length=200)


class FeeItemRequest(BaseModel):
    item_code: str = Field(pattern=r"^[0-9A-Za-z-]{1,32}$")
    name: str = Field(min_length=1, max_length=128)
    kind_code: str = Field(pattern=r"^\d{3}$")
    standard_fen: int | None = Field(default=None, ge=1)
    min_fen: int | None = Field(default=None, ge=1)
    max_fen: int | None = Field(default=None, ge=1)


async def counter_view(notice: PaymentNotice) -> dict[str, object]:
    """What a bank counter shows anyone holding the code: who collects, how much, by when,
    the payer's masked name to check against. No ID number, no items."""
    agency = await notice.agency  # type: ignore[attr-defined]
    return {
        "payment_code": notice.payment_code,
        "agency": {"name": agency.name, "region_code": agency.region_code},
        "payer": {"name_masked": notice.payer_name_masked},
        "total_fen": notice.total_fen,
        "due_date": notice.due_date.isoformat(),
        "status": notice.status,
        "overdue": notice.status == "UNPAID" and is_overdue(notice),
        "view": "counter",
    }


async def notice_view(notice: PaymentNotice) -> dict[str, object]:
    lines = await NoticeLine.filter(notice_id=notice.id).order_by("position")
    agency = await notice.agency  # type: ignore[attr-defined]
    return {
        "view": "payer",
        "payment_code": notice.payment_code,
        "agency": {"name": agency.name, "region_code": agency.region_code},
        "payer": {
            "name_masked": notice.payer_name_masked,
            "id_number_masked": notice.payer_id_number_masked,
        },
        "items": [
            {
                "item_code": x.item_code,
                "name": x.name,
                "quantity": x.quantity,
                "standard_fen": x.standard_fen,
                "amount_fen": x.amount_fen,
            }
            for x in lines
        ],
        "total_fen": notice.total_fen,
        "due_date": notice.due_date.isoformat(),
        "status": notice.status,
        "overdue": notice.status == "UNPAID" and is_overdue(notice),
        "paid_at": notice.paid_at.isoformat() if notice.paid_at else None,
    }


@bp.get("/notices/<payment_code:str>")
@documented(
    "Look up a payment notice by its 20-digit code (a mistyped code fails the check digit)."
    " The payer (verified, same ID number) sees it whole; anyone else what a bank counter"
    " shows. Rate-limited per resident and per client.",
    auth="resident",
    responses={422: "PAYMENT_CODE_INVALID", 404: "NOTICE_NOT_FOUND", 429: "RATE_LIMITED"},
    tag="fees",
)
async def get_notice(request: Request, payment_code: str) -> JSONResponse:
    principal = await resident(request)
    services = request.app.ctx.services
    limits = request.app.ctx.settings.abuse
    if not await allow_each(
        services.redis,
        {
            f"notice-lookup:c:{principal.citizen_id}": limits.notice_lookups_per_minute_citizen,
            f"notice-lookup:ip:{client_address(request)}": limits.notice_lookups_per_minute_client,
        },
        window_seconds=60,
    ):
        raise RateLimited()
    notice = await services.notices.find(payment_code)
    if await is_payer(notice, principal.citizen_id):
        return json(await notice_view(notice))
    return json(await counter_view(notice))


@bp.post("/agency/notices")
@documented(
    "Issue a payment notice (fee-issuing agencies); answers its payment code.",
    body=NoticeRequest,
    auth="agency",
    responses={201: '{"payment_code"}'},
    tag="agency",
)
async def issue_notice(request: Request) -> JSONResponse:
    agency = await agency_caller(request)
    if agency.kind != "fees":
        raise AgencyKindForbidden()
    body = parse(request, NoticeRequest)
    notice = await request.app.ctx.services.notices.issue(
        agency,
        NoticeInput(
            payer_name=body.payer.name,
            payer_id_number=body.payer.id_number,
            lines=tuple(NoticeLineInput(**item.model_dump()) for item in body.items),
            due_date=body.due_date,
            notice_no=body.notice_no,
        ),
    )
    return json({"payment_code": notice.payment_code, "total_fen": notice.total_fen}, status=201)


@bp.post("/agency/notices/<payment_code:str>/payer")
@documented(
    "The payer's name and ID number in full, to the agency that issued the notice; every"
    " look is written to the audit chain with its reason.",
    body=NoticeRevealRequest,
    auth="agency",
    responses={200: '{"payment_code", "payer"}', 404: "NOTICE_NOT_FOUND"},
    tag="agency",
)
async def reveal_notice_payer(request: Request, payment_code: str) -> JSONResponse:
    agency = await agency_caller(request)
    body = parse(request, NoticeRevealRequest)
    payer = await request.app.ctx.services.notices.reveal_payer(agency, payment_code, body.reason)
    return json(
        {"payment_code": payment_code, "payer": payer},
        ensure_ascii=False,
        headers={"Cache-Control": "no-store"},
    )


@bp.post("/agency/fee-items")
@documented(
    "Register or update a fee item (执收项目) the agency collects.",
    body=FeeItemRequest,
    auth="agency",
    tag="agency",
)
async def put_fee_item(request: Request) -> JSONResponse:
    agency = await agency_caller(request)
    if agency.kind != "fees":
        raise AgencyKindForbidden()
    body = parse(request, FeeItemRequest)
    item = await register_fee_item(agency, FeeItemInput(**body.model_dump()))
    return json(
        {
            "item_code": item.item_code,
            "name": item.name,
            "kind_code": item.kind_code,
            "standard_fen": item.standard_fen,
            "min_fen": item.min_fen,
            "max_fen": item.max_fen,
        },
        status=201,
    )
