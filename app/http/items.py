"""The item library over HTTP: residents read a published item and its guide, operators draft,
review and publish items (/api/v1/operator/items...), agencies sync them (signed).

The workflow, its checks and its scope live in ``app/catalog/library.py`` and
``app/catalog/feeds.py``; this module only reads requests. Bodies are read as plain JSON
objects so that every problem of an item and its guide is named at once
(ITEM_GUIDE_INVALID) rather than the first one a model would stop at.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, empty, raw

from app.catalog.items import version_dict
from app.http.agency import agency_caller
from app.http.answers import answer
from app.http.bodies import json_object, parse
from app.http.catalog import etag_matches
from app.http.openapi import documented
from app.http.operators import operator

bp = Blueprint("items", url_prefix="/api/v1")

GUIDE_422 = "ITEM_GUIDE_INVALID (details.problems names every problem)"


class Material(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    required: bool
    copies: int = Field(ge=1, le=20)
    form: Literal["original", "copy", "electronic"]
    licence_type: str | None = None
    note: str | None = Field(default=None, max_length=200)


class Place(BaseModel):
    name: str
    address: str
    hours: str
    phone: str


class Guide(BaseModel):
    """The guide (办事指南); docs/catalog.md gives every rule."""

    conditions: list[str]
    materials: list[Material]
    fees: list[dict[str, Any]]
    legal_time_limit_days: int = Field(ge=0, le=365)
    promised_time_limit_days: int = Field(ge=0, le=365)
    legal_basis: list[str]
    places: list[Place]
    visits: int = Field(ge=0, le=1)
    online_level: int | None = Field(default=None, ge=1, le=5)
    contact: str
    faq: list[dict[str, str]] = []


class ItemContent(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    audience: Literal["personal", "legal"]
    theme: str
    online_level: int = Field(ge=1, le=5)
    needs: list[str] = []
    keywords: list[str] = []
    guide: Guide


class NewItem(ItemContent):
    code: str
    department: str
    region: str
    note: str | None = None


class ItemRevision(ItemContent):
    expected_version: int = Field(ge=0)
    note: str | None = None


class VersionStep(BaseModel):
    version: int | None = Field(default=None, ge=1)


class ItemReview(BaseModel):
    decision: Literal["approve", "reject"]
    note: str | None = Field(default=None, max_length=500)
    version: int | None = Field(default=None, ge=1)


class FeedRequest(BaseModel):
    agency_key: str = Field(min_length=1, max_length=40)
    department: str = Field(min_length=1, max_length=32)
    trusted: bool = False


class AgencyItems(BaseModel):
    records: list[dict[str, Any]] = Field(max_length=200)


def _library(request: Request) -> Any:
    return request.app.ctx.services.catalog.items


def _optional_body(request: Request) -> dict[str, Any]:
    return json_object(request) if request.body else {}


# ---------------------------------------------------------------------------- residents


@bp.get("/items/<code:item_code>")
@documented(
    "A published service item and its guide (conditions, materials with their e-licence"
    " types, fees, time limits, legal basis, places, visits). Send If-None-Match for a 304.",
    responses={200: "the item and its guide", 304: "unchanged", 404: "ITEM_NOT_FOUND"},
    tag="catalog",
)
async def public_item(request: Request, code: str) -> HTTPResponse:
    services = request.app.ctx.services
    view = await services.catalog.item(code)
    headers = {
        "ETag": view.etag,
        "Cache-Control": (
            f"public, max-age=0, s-maxage={services.settings.catalog_cache_seconds},"
            " must-revalidate"
        ),
        "Vary": "Accept-Encoding",
    }
    if etag_matches(request.headers.get("if-none-match", ""), view.etag):
        return HTTPResponse(status=304, headers=headers)
    return raw(view.body, content_type="application/json", headers=headers)


@bp.get("/catalog/licence-types")
@documented("The e-licence types a guide's material may name (免提交).", tag="catalog")
async def licence_types(request: Request) -> JSONResponse:
    return answer({"licence_types": request.app.ctx.services.catalog.licence_types()})


# ---------------------------------------------------------------------------- operators


@bp.post("/operator/items/validate")
@documented(
    "Check an item and its guide whole without storing anything.",
    body=NewItem,
    auth="operator",
    responses={200: "valid, with the normalised content", 422: GUIDE_422},
    tag="operator",
)
async def validate_item(request: Request) -> JSONResponse:
    actor = await operator(request)
    content = await _library(request).validate(actor, json_object(request))
    return answer({"valid": True, "content": content})


@bp.post("/operator/items")
@documented(
    "Create an item with its guide as a draft (version 1). Department operators for their"
    " departments and regions; codes are never reused.",
    body=NewItem,
    auth="operator",
    responses={
        201: "the item and its versions",
        403: "FORBIDDEN",
        404: "NOT_FOUND (a department outside your scope)",
        409: "ITEM_CODE_TAKEN",
        422: f"{GUIDE_422} / INVALID_ITEM_CODE",
    },
    tag="operator",
)
async def create_item(request: Request) -> JSONResponse:
    actor = await operator(request)
    library = _library(request)
    item = await library.create(actor, json_object(request))
    return answer(await library.detail(actor, item.code), 201)


@bp.put("/operator/items/<code:item_code>")
@documented(
    "A new draft version of the item and its guide. expected_version is the latest_version"
    " you read; the open version it replaces becomes 'replaced'.",
    body=ItemRevision,
    auth="operator",
    responses={
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        409: "ITEM_CHANGED / ITEM_RETIRED",
        422: GUIDE_422,
    },
    tag="operator",
)
async def revise_item(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    library = _library(request)
    item = await library.revise(actor, code, json_object(request))
    return answer(await library.detail(actor, item.code))


@bp.get("/operator/items/<code:item_code>/versions/<number:version>")
@documented(
    "One version of the item with its content.",
    auth="operator",
    responses={404: "NOT_FOUND"},
    tag="operator",
)
async def item_version(request: Request, code: str, number: int) -> JSONResponse:
    actor = await operator(request)
    return answer(await _library(request).version(actor, code, number))


@bp.post("/operator/items/<code:item_code>/submit")
@documented(
    "Submit the latest draft for review (optional version: it must be the latest).",
    body=VersionStep,
    auth="operator",
    responses={409: "WORKFLOW_CONFLICT / ITEM_CHANGED / ITEM_RETIRED", 422: GUIDE_422},
    tag="operator",
)
async def submit_item(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    version = await _library(request).submit(actor, code, _optional_body(request))
    return answer(version_dict(version, with_content=False))


@bp.post("/operator/items/<code:item_code>/review")
@documented(
    "Approve or reject the submitted version; a reviewer other than its author and"
    " submitter. A rejection needs a note.",
    body=ItemReview,
    auth="operator",
    responses={403: "SELF_REVIEW / FORBIDDEN", 409: "WORKFLOW_CONFLICT / ITEM_CHANGED"},
    tag="operator",
)
async def review_item(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    version = await _library(request).review(actor, code, json_object(request))
    return answer(version_dict(version, with_content=False))


@bp.post("/operator/items/<code:item_code>/publish")
@documented(
    "Publish the approved version: every channel serves it at once; the previous one is"
    " kept as superseded.",
    body=VersionStep,
    auth="operator",
    responses={409: "ITEM_NOT_REVIEWED / ITEM_CHANGED / ITEM_RETIRED", 422: GUIDE_422},
    tag="operator",
)
async def publish_item(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    library = _library(request)
    item = await library.publish(actor, code, _optional_body(request))
    return answer(await library.detail(actor, item.code))


@bp.get("/operator/items/<code:item_code>/agreement")
@documented(
    "Whether the item's guide still agrees with its case form (and passes every check).",
    auth="operator",
    responses={404: "NOT_FOUND"},
    tag="operator",
)
async def item_agreement(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    return answer(await _library(request).agreement(actor, code))


@bp.get("/operator/item-feeds")
@documented(
    "Which agency syncs which department's items (within the scope).",
    auth="operator",
    tag="operator",
)
async def list_feeds(request: Request) -> JSONResponse:
    actor = await operator(request)
    return answer({"feeds": await request.app.ctx.services.catalog.feeds.list(actor)})


@bp.post("/operator/item-feeds")
@documented(
    "Let an agency sync a department's items (201 new, 200 changed or as it was); trusted"
    " (publish without review) only by a platform admin. Audited.",
    body=FeedRequest,
    auth="operator",
    responses={403: "FORBIDDEN", 404: "NOT_FOUND"},
    tag="operator",
)
async def bind_feed(request: Request) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, FeedRequest)
    feed, created = await request.app.ctx.services.catalog.feeds.bind(
        actor, body.agency_key, body.department, body.trusted
    )
    return answer(feed, 201 if created else 200)


@bp.delete("/operator/item-feeds/<feed_id:id>")
@documented(
    "Stop an agency syncing a department's items. Audited.",
    auth="operator",
    responses={404: "NOT_FOUND"},
    tag="operator",
    produces=None,
)
async def unbind_feed(request: Request, feed_id: int) -> HTTPResponse:
    actor = await operator(request)
    await request.app.ctx.services.catalog.feeds.unbind(actor, feed_id)
    return empty(status=204)


# ---------------------------------------------------------------------------- agencies


@bp.post("/agency/items")
@documented(
    "Sync items from the provincial library: bulk upsert by item_code in the batch shape of"
    " every agency import. Each record is a new version, submitted for review, or published"
    " at once for a trusted feed; bad records are reported by index and field.",
    body=AgencyItems,
    auth="agency",
    responses={200: "received, created, updated, unchanged, rejected, errors, published"},
    tag="agency",
)
async def agency_items(request: Request) -> JSONResponse:
    agency = await agency_caller(request)
    body = json_object(request)
    outcome = await request.app.ctx.services.catalog.feeds.upsert(agency, body.get("records"))
    return answer(outcome)
