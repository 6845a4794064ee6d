"""The channel-facing catalog: one service set for app, WeChat and Alipay, cacheable by ETag."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, json, raw

from app.http.bodies import query
from app.http.openapi import documented

bp = Blueprint("catalog", url_prefix="/api/v1/catalog")


def etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    # If-None-Match compares weakly (RFC 9110): W/"x" and "x" name the same version.
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return etag.removeprefix("W/") in candidates


Channel = Literal["app", "wechat", "alipay"]
Region = Annotated[str, Field(pattern=r"^\d{6}$")]


class CatalogQuery(BaseModel):
    channel: Channel
    region: Region = "330000"


class SearchQuery(BaseModel):
    q: str = Field(min_length=1, max_length=64)
    channel: Channel | None = None
    region: Region | None = None


@bp.get("")
@documented(
    "The service set for a channel and region (items and mini-apps; entries a channel cannot "
    "serve carry available=false and the reason). Send If-None-Match for a 304.",
    responses={200: "the catalog view", 304: "unchanged", 422: "INVALID_INPUT / UNKNOWN_REGION"},
    tag="catalog",
    query=CatalogQuery,
)
async def catalog_view(request: Request) -> HTTPResponse:
    services = request.app.ctx.services
    wanted = query(request, CatalogQuery)
    view = await services.catalog.view(wanted.channel, wanted.region)
    max_age = services.settings.catalog_cache_seconds
    headers = {
        "ETag": view.etag,
        # Shared caches may keep it, but must revalidate: a publish changes it at once.
        "Cache-Control": f"public, max-age=0, s-maxage={max_age}, must-revalidate",
        "Vary": "Accept-Encoding",
    }
    if etag_matches(request.headers.get("if-none-match", ""), view.etag):
        return HTTPResponse(status=304, headers=headers)
    return raw(view.body, content_type="application/json", headers=headers)


@bp.get("/search")
@documented(
    "Search service items by Chinese keyword (names, synonyms, guide text), ranked. "
    "Optional channel and region narrow it to what that resident sees.",
    responses={200: "ranked results", 422: "INVALID_INPUT / UNKNOWN_REGION"},
    tag="catalog",
    query=SearchQuery,
)
async def catalog_search(request: Request) -> JSONResponse:
    wanted = query(request, SearchQuery)
    result = await request.app.ctx.services.catalog.search(wanted.q, wanted.channel, wanted.region)
    return json(result, ensure_ascii=False, headers={"Cache-Control": "no-store"})


@bp.get("/online-levels")
@documented("What each online level (星级) 1-5 means.", tag="catalog")
async def online_levels(request: Request) -> JSONResponse:
    levels = request.app.ctx.services.catalog.online_levels
    return json({"levels": [{"level": k, "meaning": v} for k, v in sorted(levels.items())]})
