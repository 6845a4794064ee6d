"""电子监察 over HTTP: the operator dashboard (cards by department), the daily digests, and the
work calendar behind every working-day deadline (a platform admin loads a year's holiday
arrangement, audited)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from app.catalog.scope import require_role
from app.errors import InvalidInput
from app.http.answers import answer
from app.http.bodies import details_message, parse, query
from app.http.evaluations import scope
from app.http.openapi import documented
from app.http.operators import operator
from app.supervision import arrangements
from app.supervision.dashboard import by_department, digests
from infra import clock

bp = Blueprint("supervision", url_prefix="/api/v1/operator/supervision")
calendar = Blueprint("work_calendar", url_prefix="/api/v1/operator/calendar")


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


class CalendarQuery(BaseModel):
    year: int | None = Field(default=None, ge=2000, le=2100, description="this year if absent")


@calendar.get("")
@documented(
    "The work calendar of a year (year=YYYY, default this year): its days off with their"
    " names, its make-up working days, whether an arrangement is loaded, and the years whose"
    " published arrangement this release ships.",
    auth="operator",
    tag="supervision",
    query=CalendarQuery,
)
async def work_calendar(request: Request) -> JSONResponse:
    await operator(request)
    year = query(request, CalendarQuery).year or clock.shanghai_date().year
    return answer(await arrangements.loaded(year))


class CalendarLoad(BaseModel):
    # None: the arrangement this release ships for the year.
    arrangement: dict[str, Any] | None = Field(
        description="{year, source, days_off: [{name, from, to}], workdays: [{name, day}]},"
        " or null for the one this release ships"
    )
    reason: str = Field(min_length=4, max_length=200, description="kept in the audit log")


def _refused(field: str, message: str) -> InvalidInput:
    fields = {field: message}
    return InvalidInput(details_message(fields), fields=fields)


@calendar.put("/<year:int>")
@documented(
    "Load a year's holiday arrangement (platform admin only): it replaces the year's days"
    " whole, in one transaction with an audit record naming the operator and the reason."
    " A wrong arrangement, or one for another year, is refused and changes nothing.",
    body=CalendarLoad,
    auth="operator",
    responses={
        200: "the year's calendar as loaded",
        403: "FORBIDDEN (not a platform admin)",
        422: "INVALID_INPUT (details.fields names the field)",
    },
    tag="supervision",
)
async def load_work_calendar(request: Request, year: int) -> JSONResponse:
    actor = await operator(request)
    require_role(actor, "platform_admin")
    body = parse(request, CalendarLoad)
    if body.arrangement is None:
        try:
            arrangement = arrangements.shipped(year)
        except InvalidInput as exc:
            raise _refused("arrangement", exc.message) from None
    else:
        try:
            arrangement = arrangements.parse(body.arrangement)
        except InvalidInput as exc:
            where = str(exc.details.get("field", "arrangement"))
            field = where if where == "arrangement" else f"arrangement.{where}"
            raise _refused(field, exc.message) from None
        if arrangement.year != year:
            raise _refused(
                "arrangement.year", f"The arrangement is for {arrangement.year}, not {year}."
            )
    await arrangements.load(arrangement, reason=body.reason, actor=actor)
    return answer(await arrangements.loaded(year))
