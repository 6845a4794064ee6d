"""Residents' orders and payments (the payable may be a notice, a violation or a booking)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse, json
from tortoise.expressions import Q

from app.appointments.models import Booking
from app.billing.ordering import order_view
from app.fees.models import PaymentNotice
from app.fees.notices import is_overdue
from app.http.auth import resident
from app.http.bodies import parse, query
from app.http.columns import integer, text
from app.http.openapi import documented
from app.identity.legal.standing import verified_id_hashes
from app.identity.models import Citizen
from app.violations.late_fee import late_fee_fen
from app.violations.models import DriverAccess, VehicleAccess, Violation
from infra import clock
from infra.pii import PiiVault
from payments.models import Order

bp = Blueprint("orders", url_prefix="/api/v1")


class NoticePayable(BaseModel):
    type: Literal["notice"]
    payment_code: str = Field(min_length=1, max_length=40)


class ViolationPayable(BaseModel):
    type: Literal["violation"]
    decision_no: text(Violation, "decision_no")  # type: ignore[valid-type]


class AppointmentPayable(BaseModel):
    type: Literal["appointment"]
    # A number or its digits, as the contract has always taken both.
    appointment_id: integer(Booking, "id", strict=False)  # type: ignore[valid-type]


Payable = Annotated[
    NoticePayable | ViolationPayable | AppointmentPayable, Field(discriminator="type")
]


class OrderRequest(BaseModel):
    payable: Payable


class PaymentRequest(BaseModel):
    channel: Literal["wechat", "alipay", "app"]
    # Alipay in the app's H5 pays through the WAP cashier; mini-programs use "jsapi".
    mode: Literal["jsapi", "wap"] = "jsapi"


def _ref(payable: NoticePayable | ViolationPayable | AppointmentPayable) -> str:
    if isinstance(payable, NoticePayable):
        return payable.payment_code
    if isinstance(payable, ViolationPayable):
        return payable.decision_no
    return str(payable.appointment_id)


@bp.post("/orders")
@documented(
    "Open an order for a payable; a second call returns the open order.",
    body=OrderRequest,
    auth="resident",
    responses={201: "the order with its items", 409: "ALREADY_PAID"},
    tag="payments",
)
async def create_order(request: Request) -> JSONResponse:
    principal = await resident(request)
    body = parse(request, OrderRequest)
    order = await request.app.ctx.services.ordering.open(
        principal.citizen_id, body.payable.type, _ref(body.payable)
    )
    return json(await order_view(order), status=201)


@bp.post("/orders/<order_no:order_no>/payments")
@documented(
    "Start paying an order on a channel; answers what the client pays with.",
    body=PaymentRequest,
    auth="resident",
    tag="payments",
)
async def start_payment(request: Request, order_no: str) -> JSONResponse:
    principal = await resident(request)
    body = parse(request, PaymentRequest)
    params = await request.app.ctx.services.ordering.pay(
        order_no, principal, body.channel, body.mode
    )
    return json({"channel": body.channel, "channel_params": params})


@bp.get("/orders/<order_no:order_no>")
@documented("An order's status, items and (once paid) receipt.", auth="resident", tag="payments")
async def get_order(request: Request, order_no: str) -> JSONResponse:
    principal = await resident(request)
    services = request.app.ctx.services
    order = await services.orders.owned(order_no, principal.citizen_id)
    view = await order_view(order)
    for hook in services.order_view_extensions:
        view.update(await hook(order))
    return json(view)


class PageQuery(BaseModel):
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=20, ge=1, le=50)


def _paged(rows: list[dict[str, object]], wanted: PageQuery) -> dict[str, object]:
    start = (wanted.page - 1) * wanted.page_size
    return {
        "items": rows[start : start + wanted.page_size],
        "page": wanted.page,
        "page_size": wanted.page_size,
        "total": len(rows),
    }


async def _notices_owed(citizen: Citizen, vault: PiiVault) -> list[dict[str, object]]:
    """Unpaid notices issued to this verified citizen's ID number (its hash under every
    lookup key, so a notice written before or after a key rotation is found)."""
    hashes = await verified_id_hashes(citizen.id, vault)
    if not hashes:
        return []
    found = (
        await PaymentNotice.filter(payer_id_number_hash__in=hashes, status="UNPAID")
        .order_by("due_date", "id")
        .prefetch_related("agency", "lines")
        .limit(200)
    )
    return [
        {
            "type": "notice",
            "ref": n.payment_code,
            "title": "、".join(line.name for line in n.lines)[:128],
            "agency_name": n.agency.name,
            "payer_masked": n.payer_name_masked,
            "amount_fen": n.total_fen,
            "due_date": n.due_date.isoformat(),
            "overdue": is_overdue(n),
            "payable": {"type": "notice", "payment_code": n.payment_code},
        }
        for n in found
    ]


def _plate_masked(plate: str) -> str:
    """浙A12345 → 浙A***45: enough for the owner to tell their cars apart."""
    return plate[:2] + "*" * max(len(plate) - 4, 1) + plate[-2:]


async def _fines_owed(citizen: Citizen) -> list[dict[str, object]]:
    """Decided, unpaid fines of the vehicles I bound and the licences I proved I hold."""
    vehicles = await VehicleAccess.filter(citizen_id=citizen.id, bound=True).values_list(
        "vehicle_id", flat=True
    )
    drivers = await DriverAccess.filter(citizen_id=citizen.id).values_list(
        "driver_id", flat=True
    )
    if not vehicles and not drivers:
        return []
    found = await Violation.filter(
        handling_status="decided", payment_status="unpaid"
    ).filter(
        Q(vehicle_id__in=list(vehicles)) | Q(driver_id__in=list(drivers))
    ).prefetch_related("agency", "vehicle").order_by("decided_at", "id").limit(200)
    today = clock.shanghai_date()
    rows: list[dict[str, object]] = []
    for v in found:
        late = late_fee_fen(v.fine_fen, v.decided_at, today)
        rows.append(
            {
                "type": "violation",
                "ref": v.decision_no,
                "title": v.behavior,
                "agency_name": v.agency.name,
                "plate_no_masked": _plate_masked(v.vehicle.plate_no),
                "occurred_at": v.occurred_at.astimezone(clock.SHANGHAI).isoformat(),
                "amount_fen": v.fine_fen + late,
                "late_fee_fen": late,
                "due_date": None,
                "overdue": late > 0,
                "payable": {"type": "violation", "decision_no": v.decision_no},
            }
        )
    return rows


@bp.get("/me/payables")
@documented(
    "What is owed to me (我的待缴): unpaid notices issued to my ID number (verified residents"
    " only) and the decided unpaid fines of my bound vehicles, payer and plate masked, each"
    " with the payable to open an order for in one tap. Paged (page, page_size ≤ 50).",
    auth="resident",
    query=PageQuery,
    tag="payments",
)
async def my_payables(request: Request) -> JSONResponse:
    principal = await resident(request)
    wanted = query(request, PageQuery)
    citizen = await Citizen.get(id=principal.citizen_id)
    vault = request.app.ctx.services.vault
    rows = await _notices_owed(citizen, vault) + await _fines_owed(citizen)
    listing = _paged(rows, wanted)
    listing["verified"] = citizen.verified
    return json(listing, ensure_ascii=False)


@bp.get("/me/orders")
@documented(
    "My orders from every channel, newest first, with their status (page, page_size ≤ 50).",
    auth="resident",
    query=PageQuery,
    tag="payments",
)
async def my_orders(request: Request) -> JSONResponse:
    principal = await resident(request)
    wanted = query(request, PageQuery)
    mine = Order.filter(citizen_id=principal.citizen_id)
    total = await mine.count()
    found = (
        await mine.order_by("-created_at", "-id")
        .offset((wanted.page - 1) * wanted.page_size)
        .limit(wanted.page_size)
    )
    items = [
        {
            "id": o.order_no,
            "status": o.status,
            "description": o.description,
            "agency_name": o.agency_name,
            "amount_fen": o.amount_fen,
            "refunded_fen": o.refunded_fen,
            "payable": {"type": o.payable_type, "ref": o.payable_ref},
            "channel": o.channel,
            "created_at": o.created_at.astimezone(clock.SHANGHAI).isoformat(),
            "paid_at": o.paid_at.astimezone(clock.SHANGHAI).isoformat() if o.paid_at else None,
        }
        for o in found
    ]
    return json(
        {"items": items, "page": wanted.page, "page_size": wanted.page_size, "total": total},
        ensure_ascii=False,
    )
