"""统一互动 (12345) over HTTP: residents file, reopen and rate; departments dispatch and
reply; and the Open311 GeoReport v2 endpoints under /open311/v2 for other tools."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, json, raw

from app.cases.models import Material
from app.errors import DomainError, InvalidInput
from app.http.auth import resident
from app.http.bodies import json_object, parse
from app.http.columns import integer
from app.http.errors import status_for
from app.http.evaluations import scope
from app.http.openapi import documented
from app.http.operators import operator
from app.interactions import clients, open311
from app.interactions.models import Category
from app.interactions.service import ticket_view

bp = Blueprint("interactions", url_prefix="/api/v1")
geo = Blueprint("open311", url_prefix="/open311/v2")


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


class RateTicketRequest(BaseModel):
    rating: int = Field(ge=1, le=5)


class ReplyRequest(BaseModel):
    reply: str = Field(min_length=1, max_length=4000)


class DispatchRequest(BaseModel):
    department_code: str = Field(min_length=1, max_length=32)


def _svc(request: Request) -> Any:
    return request.app.ctx.services.public.interactions


def _dump(body: Any, status: int = 200) -> JSONResponse:
    return json(body, status=status, ensure_ascii=False)


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
    ticket = await _svc(request).file(who, **body.model_dump())
    return _dump(ticket_view(ticket), 201)


@bp.get("/interactions/<ticket_id:id>")
@documented("One of my 12345 tickets.", auth="resident", tag="interactions")
async def get_ticket(request: Request, ticket_id: int) -> JSONResponse:
    who = await resident(request)
    return _dump(ticket_view(await _svc(request).owned(who, ticket_id)))


@bp.post("/interactions/<ticket_id:id>/reopen")
@documented(
    "Reopen a replied ticket (within 10 days of the reply).", auth="resident", tag="interactions"
)
async def reopen(request: Request, ticket_id: int) -> JSONResponse:
    who = await resident(request)
    svc = _svc(request)
    return _dump(ticket_view(await svc.reopen(await svc.owned(who, ticket_id))))


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
    return _dump(ticket_view(await svc.rate(await svc.owned(who, ticket_id), body.rating)))


@bp.post("/operator/interactions/<ticket_id:id>/reply")
@documented("The department's reply.", body=ReplyRequest, auth="operator", tag="interactions")
async def reply(request: Request, ticket_id: int) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, ReplyRequest)
    svc = _svc(request)
    ticket = await svc.for_department(ticket_id, scope(actor))
    return _dump(ticket_view(await svc.reply(ticket, body.reply)))


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
    return _dump(ticket_view(await svc.dispatch(ticket, body.department_code)))


# --------------------------------------------------------------------------- Open311 v2

Handler = Callable[..., Awaitable[HTTPResponse]]


def georeport(handler: Handler) -> Handler:
    """GeoReport v2 errors are a JSON array of {code, description}. Statuses come from our
    table, except that malformed or missing fields are GeoReport's 400 (not our 422)."""

    @wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        try:
            return await handler(request, *args, **kwargs)
        except DomainError as exc:
            status = 400 if isinstance(exc, InvalidInput) else status_for(exc)
            return json(
                [{"code": status, "description": exc.message}], status=status, ensure_ascii=False
            )

    return wrapped


@geo.get("/services.json")
@documented("Open311 GeoReport v2: the 12345 categories as services.", tag="open311")
@georeport
async def services(request: Request) -> JSONResponse:
    found = await Category.all().order_by("code")
    return _dump([open311.service_view(c) for c in found])


def _fields(request: Request) -> dict[str, Any]:
    """POST requests takes form-encoded fields (the spec) or a JSON object."""
    if (request.content_type or "").startswith("application/json"):
        return json_object(request)
    return {k: v[0] for k, v in (request.form or {}).items()}


def _float(raw: Any, name: str, bound: float) -> float | None:
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} must be a number.", fields={name: str(raw)}) from exc
    if not -bound <= value <= bound:
        raise InvalidInput(f"{name} is between -{bound} and {bound}.", fields={name: str(raw)})
    return value


def _text(f: dict[str, Any], name: str, longest: int) -> str | None:
    raw = f.get(name)
    if raw in (None, ""):
        return None
    text = str(raw)
    if len(text) > longest:
        raise InvalidInput(f"{name} is at most {longest} characters.", fields={name: "too long"})
    return text


def _matter(f: dict[str, Any]) -> dict[str, Any]:
    """The request itself, the same for a client and a resident (GeoReport field names)."""
    if not f.get("service_code"):
        raise InvalidInput("service_code is required.", fields={"service_code": "is required"})
    return {
        "kind": str(f.get("kind") or "report"),
        "category_code": str(f["service_code"]),
        "text": _text(f, "description", 4000) or "",
        "address": _text(f, "address_string", 200),
        "lat": _float(f.get("lat"), "lat", 90),
        "long": _float(f.get("long"), "long", 180),
        "media_url": f.get("media_url"),
    }


@geo.post("/requests.json")
@documented(
    "Open311 GeoReport v2: file a request. api_key (form field, JSON or query) of a client"
    " made by `yiwang open311 create-client`; the requester's email, first_name,"
    " last_name, phone and device_id are sealed. Extensions: a resident bearer token"
    " instead of api_key; `kind` report (default), complaint or consult.",
    responses={
        201: "[{service_request_id, service_notice, account_id}]",
        400: "missing or malformed fields",
        403: "api_key missing, unknown or revoked",
    },
    tag="open311",
)
@georeport
async def post_request(request: Request) -> JSONResponse:
    f = _fields(request)
    api_key = f.get("api_key") or request.args.get("api_key")
    svc = _svc(request)
    if api_key is None and request.headers.get("authorization"):
        ticket = await svc.file(await resident(request), **_matter(f))
    else:
        client = await clients.authenticate(api_key)
        ticket = await svc.file_for_client(client, f, **_matter(f))
    rules = request.app.ctx.services.settings.service_rules
    notice = await open311.service_notice(ticket, rules.ticket_reply_working_days)
    # account_id: the requester's account in our system; requesters of clients have none.
    return _dump(
        [{"service_request_id": str(ticket.id), "service_notice": notice, "account_id": None}],
        201,
    )


@geo.get("/requests.json")
@documented(
    "Open311 GeoReport v2: requests by service_request_id, or by service_code,"
    " status, start_date, end_date.",
    tag="open311",
)
@georeport
async def get_requests(request: Request) -> JSONResponse:
    args = {
        k: request.args.get(k)
        for k in ("service_request_id", "service_code", "status", "start_date", "end_date")
    }
    found = await open311.search(args)
    names = await open311.service_names()
    base = request.app.ctx.services.settings.public_base_url
    return _dump([open311.request_view(t, names, base) for t in found])


@geo.get("/requests/<request_file:str>")
@documented("Open311 GeoReport v2: one request's status.", tag="open311")
@georeport
async def get_request(request: Request, request_file: str) -> JSONResponse:
    request_id = request_file.removesuffix(".json")
    found = await open311.search({"service_request_id": request_id}) if request_id.isdigit() else []
    if not found:
        return _dump([{"code": 404, "description": "No such service request."}], 404)
    names = await open311.service_names()
    base = request.app.ctx.services.settings.public_base_url
    return _dump([open311.request_view(t, names, base) for t in found])


@geo.get("/media/<ticket_id:id>")
@documented(
    "The photo behind a report's media_url: its first photo with EXIF, XMP, comments and"
    " PNG text removed. Complaints and consultations have none (404).",
    tag="open311",
)
@georeport
async def media(request: Request, ticket_id: int) -> HTTPResponse:
    found = await open311.public_photo(ticket_id, request.app.ctx.services.public.materials)
    if found is None:
        return _dump([{"code": 404, "description": "No photo for this request."}], 404)
    data, content_type = found
    return raw(
        data,
        content_type=content_type,
        headers={
            "Cache-Control": "public, max-age=300",
            "Content-Security-Policy": "default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )
