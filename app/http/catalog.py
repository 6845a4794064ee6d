"""The channel-facing catalog: one service set for app, WeChat and Alipay, cacheable by ETag."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, json, raw

from app.http.openapi import documented

bp = Blueprint("catalog", url_prefix="/api/v1/catalog")


def _etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return etag in candidates


@bp.get("")
@documented(
    "The service set for a channel and region (items and mini-apps; entries a channel cannot "
    "serve carry available=false and the reason). Send If-None-Match for a 304.",
    responses={200: "the catalog view", 304: "unchanged", 422: "INVALID_INPUT / UNKNOWN_REGION"},
    tag="catalog",
)
async def catalog_view(request: Request) -> HTTPResponse:
    services = request.app.ctx.services
    channel = request.args.get("channel", "")
    region = request.args.get("region", "330000")
    view = await services.catalog.view(channel, region)
    max_age = services.settings.catalog_cache_seconds
    headers = {
        "ETag": view.etag,
        # Shared caches may keep it, but must revalidate: a publish changes it at once.
        "Cache-Control": f"public, max-age=0, s-maxage={max_age}, must-revalidate",
        "Vary": "Accept-Encoding",
    }
    if _etag_matches(request.headers.get("if-none-match", ""), view.etag):
        return HTTPResponse(status=304, headers=headers)
    return raw(view.body, content_type="application/json", headers=headers)


@bp.get("/search")
@documented(
    "Search service items by Chinese keyword (names, synonyms, guide text), ranked. "
    "Optional channel and region narrow it to what that resident sees.",
    responses={200: "ranked results", 422: "INVALID_INPUT / UNKNOWN_REGION"},
    tag="catalog",
)
async def catalog_search(request: Request) -> JSONResponse:
    result = await request.app.ctx.services.catalog.search(
        request.args.get("q", ""),
        request.args.get("channel") or None,
        request.args.get("region") or None,
    )
    return json(result, ensure_ascii=False, headers={"Cache-Control": "no-store"})


@bp.get("/online-levels")
@documented("What each online level (星级) 1-5 means.", tag="catalog")
async def online_levels(request: Request) -> JSONResponse:
    levels = request.app.ctx.services.catalog.online_levels
    return json({"levels": [{"level": k, "meaning": v} for k, v in sorted(levels.items())]})
