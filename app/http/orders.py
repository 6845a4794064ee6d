"""Residents' orders and payments (the payable may be a notice, a violation or a booking)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from app.appointments.models import Booking
from app.billing.ordering import order_view
from app.http.auth import resident
from app.http.bodies import parse
from app.http.columns import integer, text
from app.http.openapi import documented
from app.violations.models import Violation

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
