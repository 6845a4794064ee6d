"""Signed agency requests: the shared check, and ``whoami`` for agencies to test signing."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from app.agency.models import Agency
from app.agency.signing import SignedRequest
from app.http.openapi import documented

bp = Blueprint("agency", url_prefix="/api/v1/agency")


async def agency_caller(request: Request) -> Agency:
    """The agency that signed this request, or AgencySignatureInvalid and friends."""
    signed = SignedRequest(
        key=request.headers.get("x-agency-key"),
        timestamp=request.headers.get("x-timestamp"),
        signature=request.headers.get("x-signature"),
        nonce=request.headers.get("x-nonce"),
        method=request.method,
        path=request.path,
        body=request.body or b"",
    )
    agency: Agency = await request.app.ctx.services.agency_gate.authenticate(signed)
    return agency


@bp.get("/whoami")
@documented("Check a request signature: answers the calling agency.", auth="agency", tag="agency")
async def whoami(request: Request) -> JSONResponse:
    agency = await agency_caller(request)
    return json(
        {
            "key": agency.key,
            "name": agency.name,
            "kind": agency.kind,
            "region_code": agency.region_code,
        }
    )
