"""好差评 over HTTP: residents rate what they used; departments work rectifications;
operators read statistics."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse

from app.errors import InvalidInput
from app.evaluations.service import (
    evaluation_view,
    rectification_view,
    statistics,
)
from app.http.answers import answer
from app.http.auth import resident
from app.http.bodies import parse
from app.http.openapi import documented
from app.http.operators import operator
from app.operators.auth import OperatorPrincipal
from app.supervision.deadlines import deadline_view
from app.supervision.models import Deadline
from infra import clock

bp = Blueprint("evaluations", url_prefix="/api/v1")

Score = Field(ge=1, le=5)


class RateRequest(BaseModel):
    subject_type: str = Field(pattern="^(case|appointment|payment)$")
    subject_ref: str = Field(min_length=1, max_length=32)
    overall: int = Score
    efficiency: int = Score
    guide_accuracy: int = Score
    convenience: int = Score
    ease_of_use: int = Score
    comment: str | None = Field(default=None, max_length=500)


class StepRequest(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


def scope(actor: OperatorPrincipal) -> tuple[str, ...] | None:
    """None: every department (platform admins); else the operator's departments."""
    return None if actor.is_admin else tuple(actor.departments)


@bp.post("/evaluations")
@documented(
    "Rate a case, appointment or payment I used (1–5 on the national indicators).",
    body=RateRequest,
    auth="resident",
    responses={201: "rated", 409: "NOT_RATEABLE / ALREADY_RATED"},
    tag="evaluations",
)
async def rate(request: Request) -> JSONResponse:
    who = await resident(request)
    body = parse(request, RateRequest)
    scores = body.model_dump(exclude={"subject_type", "subject_ref", "comment"})
    evaluation, ticket = await request.app.ctx.services.public.evaluations.rate(
        who, body.subject_type, body.subject_ref, scores, body.comment
    )
    # A bad rating opens a rectification: the resident sees what happens next and by when.
    shown = None
    if ticket is not None:
        deadlines = await Deadline.filter(
            subject_type="rectification", subject_ref=str(ticket.id)
        ).order_by("due_date", "id")
        shown = {**rectification_view(ticket), "deadlines": [deadline_view(d) for d in deadlines]}
    return answer(
        {
            **evaluation_view(evaluation),
            "rectification_id": ticket.id if ticket is not None else None,
            "rectification": shown,
        },
        201,
    )


@bp.get("/operator/rectifications")
@documented(
    "Rectification tickets of my departments (status= to filter).",
    auth="operator",
    tag="evaluations",
)
async def rectifications(request: Request) -> JSONResponse:
    actor = await operator(request)
    found = await request.app.ctx.services.public.evaluations.tickets(
        scope(actor), request.args.get("status")
    )
    return answer({"rectifications": [rectification_view(t) for t in found]})


@bp.post("/operator/rectifications/<ticket_id:id>/<step:str>")
@documented(
    "Work a rectification: reply (1 working day), fix (15), visit (closes it).",
    body=StepRequest,
    auth="operator",
    tag="evaluations",
)
async def rectify(request: Request, ticket_id: int, step: str) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, StepRequest)
    ticket = await request.app.ctx.services.public.evaluations.rectify(
        ticket_id, step, body.text, scope(actor)
    )
    return answer(rectification_view(ticket))


def _day(raw: str | None, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput("Dates are YYYY-MM-DD.", fields={"date": raw}) from exc


@bp.get("/operator/evaluations/stats")
@documented(
    "Ratings by=department|item|channel and period=day|month, from= to= (Shanghai).",
    auth="operator",
    tag="evaluations",
)
async def stats(request: Request) -> JSONResponse:
    actor = await operator(request)
    today = clock.shanghai_date()
    start = _day(request.args.get("from"), today - timedelta(days=30))
    end = _day(request.args.get("to"), today)
    rows = await statistics(
        request.args.get("by", "department"),
        request.args.get("period", "month"),
        start,
        end,
        scope(actor),
    )
    return answer({"from": start.isoformat(), "to": end.isoformat(), "rows": rows})
