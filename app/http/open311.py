"""Open311 GeoReport v2 for outside tools, under /open311: service discovery, services and
their definitions, filing requests and reading them back, each in JSON and in XML
(``app/http/georeport.py`` writes both and every error there).

Services are 12345 categories and requests are tickets (``app/interactions/open311.py``).
We are a realtime endpoint: a request gets its ``service_request_id`` at once, so there are
no tokens. ``jurisdiction_id`` is not needed (one jurisdiction) and is ignored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from app.errors import InvalidInput, NotFound, RateLimited, TicketNotFound
from app.http.auth import resident
from app.http.bodies import json_object
from app.http.georeport import FORMATS, answer
from app.http.identity import client_address
from app.http.openapi import documented
from app.interactions import clients, definitions, open311
from app.interactions.attributes import given_answers
from app.interactions.definitions import category_in_scope, definition_view
from app.interactions.models import Category, Ticket
from infra.ratelimit import allow_each

geo = Blueprint("open311", url_prefix="/open311")
H = TypeVar("H", bound=Callable[..., Any])
EXT = "<{name}:ext=json|xml>"
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def both_formats(uri: str, *methods: str) -> Callable[[H], H]:
    """Route ``uri.json`` and ``uri.xml`` to one handler (GeoReport's format by suffix)."""

    def register(handler: H) -> H:
        for fmt in ("json", "xml"):
            geo.add_route(
                handler, f"{uri}.{fmt}", methods=list(methods), name=f"{handler.__name__}_{fmt}"
            )
        return handler

    return register


def _services(request: Request) -> Any:
    return request.app.ctx.services


async def _directory(request: Request, tickets: list[Ticket] | None = None) -> open311.Directory:
    rules = _services(request).settings.service_rules
    return await open311.directory(rules.ticket_reply_working_days, tickets)


@documented(
    "Open311 service discovery (.json or .xml): the GeoReport v2 endpoint, its formats,"
    " whom to contact and how to get an api_key; changeset moves when a service"
    " definition changes.",
    tag="open311",
)
@both_formats("/discovery", "GET")
async def discovery(request: Request) -> HTTPResponse:
    settings = _services(request).settings
    document = open311.discovery_view(
        settings.public_base_url + "/open311/v2",
        await definitions.changeset(),
        formats=FORMATS,
        test=settings.demo,
    )
    return answer(request, "discovery", document)


@documented(
    "Open311 GeoReport v2 (.json or .xml): the 12345 categories as services; metadata is"
    " true when a category defines attributes.",
    tag="open311",
)
@both_formats("/v2/services", "GET")
async def services(request: Request) -> HTTPResponse:
    found = await Category.all().order_by("code")
    return answer(request, "services", [open311.service_view(c) for c in found])


@geo.get(f"/v2/services/{EXT.format(name='service_code')}")
@documented(
    "Open311 GeoReport v2 service definition (services/{service_code}.json or .xml): the"
    " category's typed attributes.",
    responses={404: "no such service_code"},
    tag="open311",
)
async def service_definition(request: Request, service_code: str, ext: str) -> HTTPResponse:
    category = await category_in_scope(None, unquote(service_code))
    return answer(request, "service_definition", definition_view(category))


def _attribute_answers(fields: dict[str, list[Any]], body: dict[str, Any] | None) -> dict:
    """``attribute[CODE]=v`` (``attribute[CODE][]=v`` repeated for a multivaluelist), as the
    spec posts them; a JSON body may also carry ``"attribute": {"CODE": v or [v, …]}``."""
    given: dict[str, list[Any]] = {}
    for name, values in fields.items():
        matched = _ATTRIBUTE.match(name)
        if matched:
            given.setdefault(matched.group(1), []).extend(values)
    if body is not None and "attribute" in body:
        if not isinstance(body["attribute"], dict):
            raise InvalidInput("attribute is an object of answers.", fields={"attribute": "?"})
        for code, values in given_answers(body["attribute"]).items():
            given.setdefault(code, []).extend(values)
    return given


def _fields(request: Request) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """POST requests takes form-encoded fields (the spec) or a JSON object: the fields
    (first value of each) and the attribute answers (every value)."""
    if (request.content_type or "").startswith("application/json"):
        body = json_object(request)
        as_lists = {k: v if isinstance(v, list) else [v] for k, v in body.items()}
        return body, _attribute_answers(as_lists, body)
    form = {k: list(v) for k, v in (request.form or {}).items()}
    return {k: v[0] for k, v in form.items()}, _attribute_answers(form, None)


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
    if len(text) > longest or "\x00" in text:
        problem = f"is text of at most {longest} characters, without NUL"
        raise InvalidInput(f"{name} {problem}.", fields={name: problem})
    return text


def _matter(f: dict[str, Any], answers: dict[str, list[Any]]) -> dict[str, Any]:
    """The request itself, the same for a client and a resident (GeoReport field names)."""
    if not f.get("service_code"):
        raise InvalidInput("service_code is required.", fields={"service_code": "is required"})
    return {
        "kind": str(f.get("kind") or "report"),
        "category_code": _text(f, "service_code", 32),
        "text": _text(f, "description", 4000) or "",
        "address": _text(f, "address_string", 200),
        "lat": _float(f.get("lat"), "lat", 90),
        "long": _float(f.get("long"), "long", 180),
        "media_url": f.get("media_url"),
        "attributes": answers,
    }


@documented(
    "Open311 GeoReport v2: file a request (requests.json or .xml) and get 200 with its"
    " service_request_id, as the spec's examples. api_key (form field, JSON or query) of"
    " a client made by `yiwang open311 create-client`; the requester's email, first_name,"
    " last_name, phone and device_id are sealed; attribute[CODE] answers the service"
    " definition. Extensions: a resident bearer token instead of api_key; `kind` report"
    " (default), complaint or consult.",
    responses={
        200: "[{service_request_id, service_notice, account_id}]",
        400: "missing or malformed fields",
        403: "api_key missing, unknown or revoked",
        422: "attribute answers that do not fit the service definition, one error each",
    },
    tag="open311",
)
@both_formats("/v2/requests", "POST")
async def post_request(request: Request) -> HTTPResponse:
    f, answers = _fields(request)
    api_key = f.get("api_key") or request.args.get("api_key")
    await _within_post_limits(request, api_key)
    svc = _services(request).public.interactions
    if api_key is None and request.headers.get("authorization"):
        ticket = await svc.file(await resident(request), **_matter(f, answers))
    else:
        client = await clients.authenticate(api_key)
        ticket = await svc.file_for_client(client, f, **_matter(f, answers))
    names = await _directory(request)
    # account_id: the requester's account in our system; requesters of clients have none.
    created = {
        "service_request_id": str(ticket.id),
        "service_notice": names.notice(ticket.department_code),
        "account_id": None,
    }
    return answer(request, "service_requests", [created])


async def _within_post_limits(request: Request, api_key: object) -> None:
    """New requests per api_key (or signed-in resident) and per client address, per minute."""
    limits = request.app.ctx.settings.abuse
    who = str(api_key) if api_key is not None else request.headers.get("authorization", "")
    if not await allow_each(
        _services(request).redis,
        {
            f"open311-post:{hashlib.sha256(who.encode()).hexdigest()[:32]}": (
                limits.open311_posts_per_minute_key
            ),
            f"open311-post:ip:{client_address(request)}": limits.open311_posts_per_minute_client,
        },
        window_seconds=60,
    ):
        raise RateLimited()


async def _requests_answer(request: Request, found: list[Ticket]) -> HTTPResponse:
    names = await _directory(request, found)
    base = _services(request).settings.public_base_url
    views = [open311.request_view(t, names, base) for t in found]
    return answer(request, "service_requests", views)


@documented(
    "Open311 GeoReport v2 (requests.json or .xml): requests by service_request_id, or by"
    " service_code, status (open, closed; comma delimited), start_date, end_date (at most"
    " 90 days apart; the last 90 days by default; 1000 at most).",
    tag="open311",
)
@both_formats("/v2/requests", "GET")
async def get_requests(request: Request) -> HTTPResponse:
    args = {
        k: request.args.get(k)
        for k in ("service_request_id", "service_code", "status", "start_date", "end_date")
    }
    found = await open311.search(args)
    return await _requests_answer(request, found)


@geo.get(f"/v2/requests/{EXT.format(name='service_request_id')}")
@documented(
    "Open311 GeoReport v2: one request (requests/{id}.json or .xml), as a list of one.",
    responses={404: "no such request"},
    tag="open311",
)
async def get_request(request: Request, service_request_id: str, ext: str) -> HTTPResponse:
    request_id = unquote(service_request_id)
    found = await open311.search({"service_request_id": request_id}) if request_id.isdigit() else []
    if not found:
        raise TicketNotFound("No such service request.", service_request_id=request_id[:32])
    return await _requests_answer(request, found)


@geo.get(f"/v2/tokens/{EXT.format(name='token_id')}")
@documented(
    "Open311 GeoReport v2 tokens (tokens/{token_id}.json or .xml): we are realtime, a POST"
    " answers its service_request_id at once and issues no token, so every token is 404.",
    responses={404: "no such token (none are issued)"},
    tag="open311",
)
async def token(request: Request, token_id: str, ext: str) -> HTTPResponse:
    raise NotFound(
        "No such token: requests are filed in real time and answer their"
        " service_request_id at once."
    )


@geo.get("/v2/media/<ticket_id:id>")
@documented(
    "The photo behind a report's media_url: its first photo with EXIF, XMP, comments and"
    " PNG text removed. Complaints and consultations have none (404).",
    tag="open311",
    produces="image/*",
)
async def media(request: Request, ticket_id: int) -> HTTPResponse:
    found = await open311.public_photo(ticket_id, _services(request).public.materials)
    if found is None:
        raise NotFound("No photo for this request.")
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
