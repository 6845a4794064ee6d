"""统一互动 (12345) over HTTP: residents file, reopen and rate; departments read, dispatch
and reply, and define their categories' Open311 attributes. The Open311 GeoReport v2
endpoints for other tools are in ``app/http/open311.py``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from app.cases.models import Material
from app.http.answers import answer
from app.http.auth import resident
from app.http.bodies import parse
from app.http.columns import integer
from app.http.evaluations import scope
from app.http.openapi import documented
from app.http.operators import operator
from app.interactions import definitions
from app.interactions.attributes import given_answers
from app.interactions.models import Category, Ticket
from app.interactions.service import ticket_view

bp = Blueprint("interactions", url_prefix="/api/v1")


class FileRequest(BaseModel):
    kind: str = Field(pattern="^(consult|complaint|report)$")
    category_code: str = Field(min_length=1, max_length=32)
    text: str = Field(min_length=1, max_length=4000)
    address: str | None = Field(default=None, max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    photo_ids: list[integer(Material, "id")] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=20
    )
    # Answers to the category's Open311 attributes: {"CODE": value, or [values] for a
    # multivaluelist}; checked against its service definition.
    attributes: dict[str, Any] = Field(default_factory=dict, max_length=30)


class RateTicketRequest(BaseModel):
    rating: int = Field(ge=1, le=5)


class ReplyRequest(BaseModel):
    reply: str = Field(min_length=1, max_length=4000)


class DispatchRequest(BaseModel):
    department_code: str = Field(min_length=1, max_length=32)


def _svc(request: Request) -> Any:
    return request.app.ctx.services.public.interactions


@bp.post("/interactions")
@documented(
    "File a consultation, complaint or report (12345) with photos (material ids).",
    body=FileRequest,
    auth="resident",
    tag="interactions",
)
async def file_ticket(request: Request) -> JSONResponse:
    who = await resident(request)
    body = parse(request, FileRequest)
    matter = body.model_dump()
    matter["attributes"] = given_answers(body.attributes)
    ticket = await _svc(request).file(who, **matter)
    return answer(ticket_view(ticket), 201)


@bp.get("/interactions/categories")
@documented(
    "The 12345 categories a resident files under (code, name, group) with each one's typed"
    " attributes (its Open311 service definition), for the filing page to render.",
    tag="interactions",
)
async def categories(request: Request) -> JSONResponse:
    found = await Category.all().order_by("group", "code")
    return answer(
        {
            "categories": [
                {
                    "code": c.code,
                    "name": c.name,
                    "group": c.group,
                    "description": c.description,
                    "attributes": list(c.attributes or []),
                }
                for c in found
            ]
        }
    )


@bp.get("/me/interactions")
@documented(
    "My 12345 tickets from every channel, newest first (the latest 100).",
    auth="resident",
    tag="interactions",
)
async def my_tickets(request: Request) -> JSONResponse:
    who = await resident(request)
    found = await Ticket.filter(citizen_id=who.citizen_id).order_by("-id").limit(100)
    return answer({"tickets": [ticket_view(t) for t in found]})


@bp.get("/interactions/<ticket_id:id>")
@documented("One of my 12345 tickets.", auth="resident", tag="interactions")
async def get_ticket(request: Request, ticket_id: int) -> JSONResponse:
    who = await resident(request)
    return answer(ticket_view(await _svc(request).owned(who, ticket_id)))


@bp.post("/interactions/<ticket_id:id>/reopen")
@documented(
    "Reopen a replied ticket (within 10 days of the reply).", auth="resident", tag="interactions"
)
async def reopen(request: Request, ticket_id: int) -> JSONResponse:
    who = await resident(request)
    svc = _svc(request)
    return answer(ticket_view(await svc.reopen(await svc.owned(who, ticket_id))))


@bp.post("/interactions/<ticket_id:id>/rating")
@documented(
    "Rate the answer 1–5; this closes the ticket.",
    body=RateTicketRequest,
    auth="resident",
    tag="interactions",
)
async def rate_answer(request: Request, ticket_id: int) -> JSONResponse:
    who = await resident(request)
    body = parse(request, RateTicketRequest)
    svc = _svc(request)
    return answer(ticket_view(await svc.rate(await svc.owned(who, ticket_id), body.rating)))


@bp.post("/operator/interactions/<ticket_id:id>/reply")
@documented("The department's reply.", body=ReplyRequest, auth="operator", tag="interactions")
async def reply(request: Request, ticket_id: int) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, ReplyRequest)
    svc = _svc(request)
    ticket = await svc.for_department(ticket_id, scope(actor))
    return answer(ticket_view(await svc.reply(ticket, body.reply)))


class RevealRequest(BaseModel):
    reason: str = Field(min_length=4, max_length=200)


@bp.post("/operator/interactions/<ticket_id:id>/requester")
@documented(
    "An Open311 requester's contact in full, to call them back (the department's operators;"
    " every look is audited with its reason).",
    body=RevealRequest,
    auth="operator",
    responses={200: "requester (null if none was given)", 403: "FORBIDDEN"},
    tag="interactions",
)
async def reveal_requester(request: Request, ticket_id: int) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, RevealRequest)
    svc = _svc(request)
    ticket = await svc.for_department(ticket_id, scope(actor))
    contact = await svc.reveal_requester(ticket, actor, body.reason)
    return json(
        {"ticket_id": ticket.id, "requester": contact},
        ensure_ascii=False,
        headers={"Cache-Control": "no-store"},
    )


@bp.post("/operator/interactions/<ticket_id:id>/dispatch")
@documented(
    "Send a ticket to another department.",
    body=DispatchRequest,
    auth="operator",
    tag="interactions",
)
async def dispatch(request: Request, ticket_id: int) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, DispatchRequest)
    svc = _svc(request)
    ticket = await svc.for_department(ticket_id, scope(actor))
    return answer(ticket_view(await svc.dispatch(ticket, body.department_code)))


@bp.get("/operator/interactions/<ticket_id:id>")
@documented(
    "A ticket as its department reads it, with the answers to its category's attributes"
    " and an Open311 requester's contact masked.",
    auth="operator",
    responses={404: "TICKET_NOT_FOUND (also another department's ticket)"},
    tag="interactions",
)
async def read_ticket(request: Request, ticket_id: int) -> JSONResponse:
    actor = await operator(request)
    return answer(ticket_view(await _svc(request).for_department(ticket_id, scope(actor))))


class AttributesDocument(BaseModel):
    """The PUT body. Each attribute is checked by ``attributes.check_definition``, which
    names every problem at once (SERVICE_DEFINITION_INVALID)."""

    model_config = ConfigDict(extra="forbid")

    attributes: list[Any]
    reason: str | None = Field(default=None, max_length=500)


ATTRIBUTES_PATH = "/operator/interactions/categories/<code:str>/attributes"


@bp.get(ATTRIBUTES_PATH)
@documented(
    "A 12345 category's Open311 service definition (typed attributes), for its department's"
    " operators, reviewers and platform admins.",
    auth="operator",
    responses={404: "CATEGORY_NOT_FOUND (also another department's category)"},
    tag="interactions",
)
async def read_attributes(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    return answer(definitions.operator_view(await definitions.category_in_scope(actor, code)))


@bp.put(ATTRIBUTES_PATH)
@documented(
    "Define a 12345 category's Open311 attributes (string, number, datetime, text,"
    " singlevaluelist, multivaluelist; required, datatype_description, order, values):"
    " checked whole, audited; its department's operators and platform admins.",
    body=AttributesDocument,
    auth="operator",
    responses={
        403: "FORBIDDEN (reviewers)",
        404: "CATEGORY_NOT_FOUND",
        422: "SERVICE_DEFINITION_INVALID with details.problems; INVALID_INPUT",
    },
    tag="interactions",
)
async def define_attributes(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    doc = parse(request, AttributesDocument)
    category, changed = await definitions.define_attributes(
        actor, code, doc.attributes, reason=(doc.reason or "").strip() or None
    )
    return answer({**definitions.operator_view(category), "changed": changed})
