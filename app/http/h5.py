"""The provincial app's H5 shell at /h5/: a few static files, served small and cacheable.

The page logic, API client and error-message table are the mini-programs' own core
(``miniprogram/src/core``), served at /h5/core/ so the three shells share one source.
Files are read and gzipped once per process; a cheap phone on a slow network then gets the
home page in a few kilobytes and revalidates it with an ETag.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, json, raw

from app.errors import ChannelUnavailableError, NotFound
from app.http.bodies import parse
from app.http.openapi import documented

bp = Blueprint("h5", url_prefix="/h5")

SHELL_DIR = Path(__file__).parent / "h5"
CORE_DIR = Path(__file__).resolve().parents[2] / "miniprogram" / "src" / "core"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
SHELL_FILES = (
    "index.html",
    "app.js",
    "views.js",
    "services.js",
    "release-view.js",
    "bundles.js",
    "host.js",
    "h5.css",
    "icon.svg",
)
CORE_FILES = (
    "api.js",
    "bundles.js",
    "errors.js",
    "format.js",
    "logic.js",
    "release.js",
    "services.js",
)
# Same-origin API calls only; H5 mini-apps open in the web-view host (an https frame);
# QR images are fetched with the resident's token and shown as blob: URLs.
CSP = (
    "default-src 'self'; img-src 'self' data: blob: https:; frame-src https:; "
    "connect-src 'self'; style-src 'self'; script-src 'self'; base-uri 'none'; "
    "object-src 'none'"
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    content_type: str


_assets: dict[str, Asset] = {}


def _asset(key: str, path: Path) -> Asset:
    """Files are immutable while a process runs, so each is read and compressed once."""
    cached = _assets.get(key)
    if cached is None:
        body = path.read_bytes()
        cached = Asset(
            body=body,
            gzipped=gzip.compress(body, compresslevel=9, mtime=0),
            etag='"' + hashlib.sha256(body).hexdigest()[:24] + '"',
            content_type=TYPES[path.suffix],
        )
        _assets[key] = cached
    return cached


def _send(request: Request, asset: Asset) -> HTTPResponse:
    headers = {
        "ETag": asset.etag,
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if request.headers.get("if-none-match") == asset.etag:
        return HTTPResponse(status=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return raw(asset.gzipped, content_type=asset.content_type, headers=headers)
    return raw(asset.body, content_type=asset.content_type, headers=headers)


@bp.get("/")
@documented("The provincial app's H5 shell (Chinese, mobile-first).", tag="shells")
async def shell_index(request: Request) -> HTTPResponse:
    return _send(request, _asset("index.html", SHELL_DIR / "index.html"))


@bp.get("/<name:str>")
async def shell_file(request: Request, name: str) -> HTTPResponse:
    if name not in SHELL_FILES:
        raise NotFound()
    return _send(request, _asset(name, SHELL_DIR / name))


@bp.get("/core/<name:str>")
async def core_file(request: Request, name: str) -> HTTPResponse:
    if name not in CORE_FILES:
        raise NotFound()
    return _send(request, _asset("core/" + name, CORE_DIR / name))


@bp.get("/config.json")
@documented(
    "What the H5 shell needs to start: its channel, default region, and in the demo the "
    "sandbox's residents for the demo sign-in.",
    tag="shells",
)
async def shell_config(request: Request) -> JSONResponse:
    settings = request.app.ctx.services.settings
    config: dict[str, object] = {"channel": "app", "region": "330100", "demo": settings.demo}
    if settings.demo and settings.run_sandbox:
        from app.runtime.demo import DEMO_PEOPLE

        config["demo_people"] = [{"user": p.app_user_id, "name": p.name} for p in DEMO_PEOPLE]
    return json(config, headers={"Cache-Control": "no-store"})


class DemoTicketRequest(BaseModel):
    user: str = Field(min_length=1, max_length=64)


@bp.post("/demo/sso-ticket")
@documented(
    "Demo only: ask the sandbox's provincial SSO for a one-time ticket for a demo resident, "
    "as the app would hand one to its H5 page. 404 outside the demo.",
    body=DemoTicketRequest,
    tag="shells",
)
async def demo_ticket(request: Request) -> JSONResponse:
    settings = request.app.ctx.services.settings
    if not (settings.demo and settings.run_sandbox):
        raise NotFound()
    body = parse(request, DemoTicketRequest)
    url = settings.sandbox_url + "/sandbox/app/login-codes"
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            answer = await client.post(url, json={"user": body.user})
    except httpx.HTTPError as exc:
        raise ChannelUnavailableError("The sandbox SSO did not answer.") from exc
    if answer.status_code >= 400:
        raise NotFound("The sandbox does not know this resident.")
    return json({"ticket": answer.json()["code"]})
