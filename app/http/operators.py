"""The operator API (/api/v1/operator/...) and the operator console (/console).

Operators authenticate with their own bearer tokens (``OperatorAuth``), never resident ones.
Every query is scoped to the operator's departments and regions in the domain layer.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, empty, file

from app.catalog import audit as audit_view
from app.catalog import items as catalog_items
from app.catalog import search as catalog_search
from app.catalog.models import AuditEntry, Department, Region, Theme
from app.catalog.parity import parity_report
from app.errors import NotFound, RateLimited
from app.http.answers import answer
from app.http.auth import bearer_token
from app.http.bodies import parse, query
from app.http.columns import text
from app.http.identity import client_address
from app.http.openapi import documented
from app.operators.auth import OperatorPrincipal
from infra.ratelimit import allow

bp = Blueprint("operators", url_prefix="/api/v1/operator")
console = Blueprint("console")
CONSOLE_DIR = Path(__file__).parent / "console"
CONSOLE_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


async def operator(request: Request) -> OperatorPrincipal:
    """The signed-in operator, or 401. A resident token is simply unknown here."""
    principal: OperatorPrincipal = await request.app.ctx.services.operators.resolve(
        bearer_token(request)
    )
    request.ctx.operator = principal
    return principal


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=256)


class ManifestRequest(BaseModel):
    manifest: dict[str, Any]


class ReviewRequest(BaseModel):
    decision: str = Field(pattern="^(approve|reject)$")
    reason: str = Field(default="", max_length=500)


class PublishRequest(BaseModel):
    # None: everywhere the manifest allows; a list: grey release to those regions first.
    regions: list[str] | None = Field(default=None, max_length=100)
    # Why (recorded in the audit; the console always asks).
    reason: str = Field(default="", max_length=500)


class RollbackRequest(BaseModel):
    reason: str = Field(default="", max_length=500)


class DisableRequest(BaseModel):
    reason: str = Field(default="", max_length=500)


class RetireRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


@bp.post("/sessions")
@documented(
    "Operator sign-in (username + password). After a few failures each try waits longer"
    " (per account and per client, up to 5 minutes); an account is never locked.",
    body=LoginRequest,
    responses={
        201: "token",
        401: "OPERATOR_LOGIN_FAILED",
        429: "RATE_LIMITED / SIGN_IN_THROTTLED (Retry-After)",
    },
    tag="operator",
)
async def sign_in(request: Request) -> JSONResponse:
    services = request.app.ctx.services
    if not await allow(
        services.redis,
        f"oplogin:{client_address(request)}",
        limit=services.settings.login_rate_per_minute,
        window_seconds=60,
    ):
        raise RateLimited()
    body = parse(request, LoginRequest)
    token, principal = await services.operators.sign_in(
        body.username, body.password, client_address(request)
    )
    return answer(
        {
            "token": token,
            "expires_at": principal.expires_at.isoformat() if principal.expires_at else None,
            "operator": principal.as_dict(),
        },
        201,
    )


@bp.delete("/sessions/current")
@documented(
    "Operator sign-out; the token stops working at once.",
    auth="operator",
    tag="operator",
    produces=None,
)
async def sign_out(request: Request) -> HTTPResponse:
    principal = await operator(request)
    await request.app.ctx.services.operators.revoke(principal)
    return empty(status=204)


@bp.get("/me")
@documented("The signed-in operator and their scope.", auth="operator", tag="operator")
async def me(request: Request) -> JSONResponse:
    return answer((await operator(request)).as_dict())


@bp.get("/items")
@documented(
    "Service items in the operator's scope; q= searches them.", auth="operator", tag="operator"
)
async def list_items(request: Request) -> JSONResponse:
    actor = await operator(request)
    items = await catalog_items.items_in_scope(actor)
    query = (request.args.get("q") or "").strip()
    if query:
        by_id = {i.id: i for i in items}
        hits = await catalog_search.rank(query, set(by_id))
        items = [by_id[h.item_id] for h in hits]
    latest = await catalog_items.latest_versions(items)
    return answer({"items": [catalog_items.item_dict(i, latest.get(i.id)) for i in items]})


@bp.get("/items/<code:item_code>")
@documented(
    "One item with its published guide, its versions (newest first) and the latest and"
    " published contents (404 outside the scope).",
    auth="operator",
    tag="operator",
)
async def get_item(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    return answer(await request.app.ctx.services.catalog.items.detail(actor, code))


@bp.post("/items/<code:item_code>/retire")
@documented(
    "Retire an item (a draft or a published one): off every channel at once; its code is"
    " never reused.",
    body=RetireRequest,
    auth="operator",
    responses={403: "FORBIDDEN", 404: "NOT_FOUND", 409: "ITEM_RETIRED"},
    tag="operator",
)
async def retire_item(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, RetireRequest)
    item = await catalog_items.retire_item(actor, code, body.reason)
    await request.app.ctx.services.catalog.bump()
    return answer(catalog_items.item_dict(item))


@bp.post("/miniapps/validate")
@documented(
    "Validate a manifest; 422 MANIFEST_INVALID lists every problem.",
    body=ManifestRequest,
    auth="operator",
    tag="operator",
)
async def validate(request: Request) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, ManifestRequest)
    manifest = await request.app.ctx.services.catalog.publishing.validate(actor, body.manifest)
    return answer({"valid": True, "manifest": manifest})


@bp.post("/miniapps")
@documented(
    "Submit a manifest as a new version for review.",
    body=ManifestRequest,
    auth="operator",
    responses={201: "the submitted version", 422: "MANIFEST_INVALID"},
    tag="operator",
)
async def submit(request: Request) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, ManifestRequest)
    publishing = request.app.ctx.services.catalog.publishing
    version = await publishing.submit(actor, body.manifest)
    return answer(
        {"miniapp_id": version.miniapp_id, "number": version.number, "status": "submitted"}, 201
    )


@bp.get("/miniapps")
@documented("Mini-apps in the operator's scope.", auth="operator", tag="operator")
async def list_miniapps(request: Request) -> JSONResponse:
    actor = await operator(request)
    return answer({"miniapps": await request.app.ctx.services.catalog.publishing.list(actor)})


@bp.get("/miniapps/<miniapp_id:miniapp_id>")
@documented(
    "A mini-app with its versions (404 outside the scope).", auth="operator", tag="operator"
)
async def get_miniapp(request: Request, miniapp_id: str) -> JSONResponse:
    actor = await operator(request)
    return answer(await request.app.ctx.services.catalog.publishing.get(actor, miniapp_id))


@bp.get("/reviews")
@documented("Versions waiting for review in the scope.", auth="operator", tag="operator")
async def reviews(request: Request) -> JSONResponse:
    actor = await operator(request)
    pending = await request.app.ctx.services.catalog.publishing.pending_reviews(actor)
    return answer({"pending": pending})


@bp.post("/miniapps/<miniapp_id:miniapp_id>/versions/<number:version>/review")
@documented(
    "Approve or reject a submitted version (not your own).",
    body=ReviewRequest,
    auth="operator",
    responses={403: "SELF_REVIEW", 409: "WORKFLOW_CONFLICT"},
    tag="operator",
)
async def review(request: Request, miniapp_id: str, number: int) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, ReviewRequest)
    publishing = request.app.ctx.services.catalog.publishing
    version = await publishing.review(
        actor, miniapp_id, number, body.decision == "approve", body.reason
    )
    return answer({"miniapp_id": miniapp_id, "number": version.number, "status": version.status})


@bp.post("/miniapps/<miniapp_id:miniapp_id>/versions/<number:version>/publish")
@documented(
    "Publish an approved version: to the given regions first (grey) or everywhere.",
    body=PublishRequest,
    auth="operator",
    tag="operator",
)
async def publish(request: Request, miniapp_id: str, number: int) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, PublishRequest)
    publishing = request.app.ctx.services.catalog.publishing
    app = await publishing.publish(actor, miniapp_id, number, body.regions, body.reason or None)
    return answer(await publishing.get(actor, app.id))


@bp.post("/miniapps/<miniapp_id:miniapp_id>/release")
@documented(
    "Change the grey regions of the live version, or (regions null) release it everywhere.",
    body=PublishRequest,
    auth="operator",
    tag="operator",
)
async def release(request: Request, miniapp_id: str) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, PublishRequest)
    publishing = request.app.ctx.services.catalog.publishing
    app = await publishing.release(actor, miniapp_id, body.regions, body.reason or None)
    return answer(await publishing.get(actor, app.id))


@bp.post("/miniapps/<miniapp_id:miniapp_id>/rollback")
@documented(
    "Roll back to the previous version in one step (an optional reason goes to the audit).",
    body=RollbackRequest,
    auth="operator",
    tag="operator",
)
async def rollback(request: Request, miniapp_id: str) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, RollbackRequest) if request.body else RollbackRequest()
    publishing = request.app.ctx.services.catalog.publishing
    app = await publishing.rollback(actor, miniapp_id, body.reason or None)
    return answer(await publishing.get(actor, app.id))


@bp.post("/miniapps/<miniapp_id:miniapp_id>/disable")
@documented(
    "Take the mini-app off every channel.", body=DisableRequest, auth="operator", tag="operator"
)
async def disable(request: Request, miniapp_id: str) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, DisableRequest) if request.body else DisableRequest()
    publishing = request.app.ctx.services.catalog.publishing
    app = await publishing.disable(actor, miniapp_id, body.reason)
    return answer(await publishing.get(actor, app.id))


class AuditQuery(BaseModel):
    limit: int = Field(default=100, ge=1, le=500)
    subject: text(AuditEntry, "subject_id") | None = None  # type: ignore[valid-type]
    action: text(AuditEntry, "action") | None = None  # type: ignore[valid-type]
    operator: text(AuditEntry, "operator_name") | None = None  # type: ignore[valid-type]
    since: datetime | None = Field(default=None, description="ISO 8601, with its offset")
    until: datetime | None = Field(default=None, description="ISO 8601, with its offset")


@bp.get("/audit")
@documented(
    "The audit log in the operator's scope, newest first (limit=, subject=, action=,"
    " operator=, since=, until=).",
    auth="operator",
    tag="operator",
    query=AuditQuery,
)
async def audit_log(request: Request) -> JSONResponse:
    actor = await operator(request)
    wanted = query(request, AuditQuery)
    entries_in_scope = AuditEntry.all().order_by("-id")
    if not actor.is_admin:
        entries_in_scope = entries_in_scope.filter(department_code__in=list(actor.departments))
    if wanted.subject:
        entries_in_scope = entries_in_scope.filter(subject_id=wanted.subject)
    if wanted.action:
        entries_in_scope = entries_in_scope.filter(action=wanted.action)
    if wanted.operator:
        entries_in_scope = entries_in_scope.filter(operator_name=wanted.operator)
    if wanted.since:
        entries_in_scope = entries_in_scope.filter(at__gte=wanted.since)
    if wanted.until:
        entries_in_scope = entries_in_scope.filter(at__lt=wanted.until)
    entries = await entries_in_scope.limit(wanted.limit)
    return answer({"entries": [audit_view.entry_dict(e) for e in entries]})


@bp.get("/directory")
@documented(
    "The region tree, the departments and the life-event themes by name, for the console's"
    " pickers and labels.",
    auth="operator",
    tag="operator",
)
async def directory(request: Request) -> JSONResponse:
    await operator(request)
    regions = await Region.all().order_by("code").values("code", "name", "parent_code", "level")
    departments = await Department.all().order_by("code").values("code", "name", "region_code")
    themes = await Theme.all().order_by("position").values("code", "name")
    return answer({"regions": regions, "departments": departments, "themes": themes})


@bp.get("/search-analytics")
@documented("What residents search for, and what finds nothing.", auth="operator", tag="operator")
async def search_analytics(request: Request) -> JSONResponse:
    await operator(request)
    return answer(await catalog_search.analytics())


@bp.get("/parity")
@documented(
    "Every difference between the channels with its reason (region= for one region).",
    auth="operator",
    tag="operator",
)
async def parity(request: Request) -> JSONResponse:
    await operator(request)
    return answer(await parity_report(request.args.get("region") or None))


@console.get("/console")
async def console_index(request: Request) -> HTTPResponse:
    """The console's page (built from console/ by Vite; shipped in the package)."""
    return await _console_file(CONSOLE_DIR / "index.html", "text/html", "no-cache")


@console.get("/console/assets/<name:str>")
async def console_asset(request: Request, name: str) -> HTTPResponse:
    """A built script, style or font; content-hashed names, so cached for a year."""
    path = (CONSOLE_DIR / "assets" / name).resolve()
    kind = CONSOLE_TYPES.get(path.suffix)
    if kind is None or path.parent != (CONSOLE_DIR / "assets").resolve() or not path.is_file():
        raise NotFound()
    return await _console_file(path, kind, "public, max-age=31536000, immutable")


async def _console_file(path: Path, kind: str, cache: str) -> HTTPResponse:
    """From the package (nothing fetched at run time), under a strict CSP: scripts from here
    only; inline styles because Element Plus positions its popups with them."""
    return await file(
        path,
        mime_type=kind + ("; charset=utf-8" if kind.startswith("text/") else ""),
        headers={
            "Cache-Control": cache,
            "Content-Security-Policy": (
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
                " img-src 'self' https: data: blob:; frame-ancestors 'none'"
            ),
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
        },
    )
