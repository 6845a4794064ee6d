"""Operator endpoints for money: refunds with a reason, the refund-review queue, and
reconciliation reports. Finance is a platform-level duty: platform admins only.

A refund needs an ``Idempotency-Key`` header: a retry with the same key answers the refund
the first request made (200 and ``Idempotent-Replayed: true``) instead of refunding twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from app.errors import Forbidden, InvalidInput
from app.http.answers import answer
from app.http.bodies import parse, query
from app.http.openapi import documented
from app.http.operators import operator
from app.operators.auth import OperatorPrincipal
from payments.models import ReconciliationIssue, ReconciliationRun, Refund
from payments.refunds import checked_request_key
from payments.reviews import Resolution, ReviewAction

bp = Blueprint("payments_ops", url_prefix="/api/v1/operator")
IDEMPOTENCY_KEY = "Idempotency-Key"


class RefundRequestBody(BaseModel):
    amount_fen: int = Field(ge=1, le=10**10)
    reason: str = Field(min_length=2, max_length=256)


class ResolveReviewBody(BaseModel):
    action: Literal["refund", "settled_offline"]
    note: str = Field(min_length=2, max_length=500)


async def finance_operator(request: Request) -> OperatorPrincipal:
    principal = await operator(request)
    if not principal.is_admin:
        raise Forbidden("Refunds and reconciliation are for platform administrators.")
    return principal


def refund_json(refund: Refund) -> dict[str, Any]:
    return {
        "refund_no": refund.refund_no,
        "status": refund.status,
        "amount_fen": refund.amount_fen,
        "reason": refund.reason,
        "requested_by": refund.requested_by,
        "channel_refund_no": refund.channel_refund_no,
        "failure": refund.failure,
    }


@bp.post("/orders/<order_no:order_no>/refunds")
@documented(
    "Refund (part of) a paid order, with a reason; never beyond what is left. Requires an "
    "Idempotency-Key header (8-64 of A-Z a-z 0-9 _ -): a retry with the same key answers "
    "the same refund with 200 and Idempotent-Replayed: true.",
    body=RefundRequestBody,
    auth="operator",
    responses={
        200: "the refund an earlier request with this Idempotency-Key made",
        201: "the refund",
        409: "REFUND_EXCEEDS_BALANCE / ORDER_NOT_REFUNDABLE / IDEMPOTENCY_KEY_REUSED",
        422: "IDEMPOTENCY_KEY_REQUIRED / IDEMPOTENCY_KEY_INVALID / INVALID_INPUT",
        502: "PAYMENT_CHANNEL_FAILED",
    },
    tag="operator",
)
async def refund(request: Request, order_no: str) -> JSONResponse:
    principal = await finance_operator(request)
    key = checked_request_key(request.headers.get(IDEMPOTENCY_KEY))
    body = parse(request, RefundRequestBody)
    made = await request.app.ctx.services.refunds.request(
        order_no,
        body.amount_fen,
        reason=body.reason,
        requested_by=principal.username,
        request_key=key,
    )
    return json(
        {**refund_json(made.refund), "idempotency_key": key},
        status=200 if made.replayed else 201,
        headers={"Idempotent-Replayed": "true" if made.replayed else "false"},
        ensure_ascii=False,
    )


def review_json(found: Resolution) -> dict[str, Any]:
    r = found.review
    decided = r.action is not None
    return {
        "id": r.id,
        "order_no": r.order.order_no,
        "channel": r.channel,
        "channel_trade_no": r.channel_trade_no,
        "amount_fen": r.amount_fen,
        "reason": r.reason,
        "created_at": r.created_at.isoformat(),
        "status": r.status,
        "resolution": {
            "action": r.action,
            "note": r.resolution,
            "by": r.resolved_by,
            "decided_at": r.decided_at.isoformat() if r.decided_at else None,
            "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
        }
        if decided
        else None,
        "failure": r.failure,
        "refund": refund_json(found.refund) if found.refund is not None else None,
    }


@bp.get("/refund-reviews")
@documented(
    "Payments we could not accept (closed or already paid). ?status=open (default: awaiting "
    "an operator, or REFUNDING at the channel) or ?status=resolved (REFUNDED or "
    "SETTLED_OFFLINE, with the resolution).",
    auth="operator",
    tag="operator",
)
async def refund_reviews(request: Request) -> JSONResponse:
    await finance_operator(request)
    wanted = request.args.get("status", "open")
    if wanted not in ("open", "resolved"):
        raise InvalidInput("status must be open or resolved.", field="status")
    found = await request.app.ctx.services.refund_reviews.listed(resolved=wanted == "resolved")
    return answer({"reviews": [review_json(f) for f in found]})


@bp.post("/refund-reviews/<review_id:id>/resolve")
@documented(
    "Resolve a refund review: refund the trade in full at its channel (the order's own "
    "refunds, status and receipts are untouched), or record that it was settled offline. "
    "Resolving again with the same action answers the resolution already made.",
    body=ResolveReviewBody,
    auth="operator",
    responses={
        200: "the review with its resolution (and refund)",
        404: "REFUND_REVIEW_NOT_FOUND",
        409: "REFUND_REVIEW_RESOLVED / REFUND_REVIEW_TRADE_MISMATCH",
        502: "PAYMENT_CHANNEL_FAILED (the review stays open, with the failure)",
        503: "PAYMENT_CHANNEL_UNAVAILABLE (nothing changed)",
    },
    tag="operator",
)
async def resolve_review(request: Request, review_id: int) -> JSONResponse:
    principal = await finance_operator(request)
    body = parse(request, ResolveReviewBody)
    found = await request.app.ctx.services.refund_reviews.resolve(
        review_id, ReviewAction(body.action), note=body.note, by=principal.username
    )
    return answer(review_json(found))


class ReconciliationQuery(BaseModel):
    channel: Literal["wechat", "alipay", "app"]
    day: date = Field(alias="date", description="the bill's day, YYYY-MM-DD")


@bp.get("/reconciliation")
@documented(
    "Reconciliation runs for a channel and day, with their open discrepancies.",
    auth="operator",
    tag="operator",
    query=ReconciliationQuery,
)
async def reconciliation(request: Request) -> JSONResponse:
    await finance_operator(request)
    wanted = query(request, ReconciliationQuery)
    channel, day = wanted.channel, wanted.day
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
