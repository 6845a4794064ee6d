"""电子监察 over HTTP: the operator dashboard (cards by department) and the daily digests."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from app.http.answers import answer
from app.http.bodies import query
from app.http.evaluations import scope
from app.http.openapi import documented
from app.http.operators import operator
from app.supervision.dashboard import by_department, digests
from infra import clock

bp = Blueprint("supervision", url_prefix="/api/v1/operator/supervision")


@bp.get("/dashboard")
@documented(
    "Open deadlines with warning / yellow / red cards, by department.",
    auth="operator",
    tag="supervision",
)
async def dashboard(request: Request) -> JSONResponse:
    actor = await operator(request)
    return answer(await by_department(scope(actor)))


class DigestQuery(BaseModel):
    day: date | None = Field(default=None, description="YYYY-MM-DD; today if absent")


@bp.get("/digests")
@documented(
    "The daily digest of a day (day=YYYY-MM-DD, default today).",
    auth="operator",
    tag="supervision",
    query=DigestQuery,
)
async def daily(request: Request) -> JSONResponse:
    actor = await operator(request)
    day = query(request, DigestQuery).day or clock.shanghai_date()
    return json({"day": day.isoformat(), "digests": await digests(day, scope(actor))})
