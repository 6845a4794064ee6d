"""Operator endpoints for money: refunds with a reason, the refund-review queue, and
reconciliation reports. Finance is a platform-level duty: platform admins only."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from app.errors import Forbidden, InvalidInput
from app.http.bodies import parse
from app.http.openapi import documented
from app.http.operators import operator
from app.identity.operators import OperatorPrincipal
from payments.models import ReconciliationIssue, ReconciliationRun, RefundReview

bp = Blueprint("payments_ops", url_prefix="/api/v1/operator")


class RefundRequestBody(BaseModel):
    amount_fen: int = Field(ge=1, le=10**10)
    reason: str = Field(min_length=2, max_length=256)


async def finance_operator(request: Request) -> OperatorPrincipal:
    principal = await operator(request)
    if not principal.is_admin:
        raise Forbidden("Refunds and reconciliation are for platform administrators.")
    return principal


@bp.post("/orders/<order_no:str>/refunds")
@documented(
    "Refund (part of) a paid order, with a reason; never beyond what is left.",
    body=RefundRequestBody,
    auth="operator",
    responses={201: "the refund", 409: "REFUND_EXCEEDS_BALANCE / ORDER_NOT_REFUNDABLE"},
    tag="operator",
)
async def refund(request: Request, order_no: str) -> JSONResponse:
    principal = await finance_operator(request)
    body = parse(request, RefundRequestBody)
    made = await request.app.ctx.services.refunds.request(
        order_no, body.amount_fen, reason=body.reason, requested_by=principal.username
    )
    return json(
        {
            "refund_no": made.refund_no,
            "status": made.status,
            "amount_fen": made.amount_fen,
            "reason": made.reason,
            "requested_by": made.requested_by,
        },
        status=201,
    )


@bp.get("/refund-reviews")
@documented(
    "Payments we could not accept (closed or already paid), awaiting an operator.",
    auth="operator",
    tag="operator",
)
async def refund_reviews(request: Request) -> JSONResponse:
    await finance_operator(request)
    reviews = (
        await RefundReview.filter(resolved_at=None).order_by("created_at").prefetch_related("order")
    )
    return json(
        {
            "reviews": [
                {
                    "id": r.id,
                    "order_no": r.order.order_no,
                    "channel": r.channel,
                    "channel_trade_no": r.channel_trade_no,
                    "amount_fen": r.amount_fen,
                    "reason": r.reason,
                    "created_at": r.created_at.isoformat(),
                }
                for r in reviews
            ]
        }
    )


@bp.get("/reconciliation")
@documented(
    "Reconciliation runs for a channel and day, with their open discrepancies.",
    auth="operator",
    tag="operator",
)
async def reconciliation(request: Request) -> JSONResponse:
    await finance_operator(request)
    channel = request.args.get("channel", "")
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError as exc:
        raise InvalidInput("date must be YYYY-MM-DD.", field="date") from exc
    if channel not in ("wechat", "alipay", "app"):
        raise InvalidInput("channel must be wechat, alipay or app.", field="channel")
    runs = await ReconciliationRun.filter(channel=channel, bill_date=day).order_by("-created_at")
    out = []
    for run in runs:
        issues = await ReconciliationIssue.filter(run_id=run.id)
        out.append(
            {
                "id": run.id,
                "created_at": run.created_at.isoformat(),
                "bill_lines": run.bill_lines,
                "matched": run.matched,
                "fixed": run.fixed,
                "open_issues": run.open_issues,
                "discrepancies": [
                    {"kind": i.kind, "order_no": i.order_no, "detail": i.detail, "fixed": i.fixed}
                    for i in issues
                ],
            }
        )
    return json({"channel": channel, "date": day.isoformat(), "runs": out})
