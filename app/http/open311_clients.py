"""Open311 clients from the operator console (/api/v1/operator/open311-clients): the same
create / list / revoke as ``yiwang open311 ...``, for platform administrators, audited."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse
from tortoise.transactions import in_transaction

from app.catalog import audit
from app.errors import Forbidden
from app.http.answers import answer
from app.http.bodies import parse
from app.http.openapi import documented
from app.http.operators import operator
from app.interactions import clients
from app.operators.auth import OperatorPrincipal

bp = Blueprint("open311_clients", url_prefix="/api/v1/operator/open311-clients")


class CreateClientRequest(BaseModel):
    name: str = Field(min_length=1, max_length=64)


class RevokeClientRequest(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


async def admin(request: Request) -> OperatorPrincipal:
    principal = await operator(request)
    if not principal.is_admin:
        raise Forbidden("Open311 clients are for platform administrators.")
    return principal


@bp.get("")
@documented("Every Open311 client (never its key).", auth="operator", tag="open311")
async def list_clients(request: Request) -> JSONResponse:
    await admin(request)
    return answer({"clients": await clients.list_clients()})


@bp.post("")
@documented(
    "A new Open311 client; the answer holds its api_key, shown this once. Audited.",
    body=CreateClientRequest,
    auth="operator",
    responses={201: "the client and its api_key", 403: "FORBIDDEN"},
    tag="open311",
)
async def create_client(request: Request) -> JSONResponse:
    actor = await admin(request)
    body = parse(request, CreateClientRequest)
    async with in_transaction() as tx:
        # The client and its audit row commit together (queries in the block use ``tx``).
        client, api_key = await clients.create_client(body.name)
        view = clients.client_view(client)
        await audit.record(
            actor,
            "open311_client_create",
            "open311_client",
            str(client.id),
            department=None,
            using=tx,
            after=view,
        )
    return answer({**view, "api_key": api_key}, 201)


@bp.post("/<client_id:id>/revoke")
@documented(
    "Revoke a client at once, with a reason (audited); revoking twice keeps the first time.",
    body=RevokeClientRequest,
    auth="operator",
    responses={403: "FORBIDDEN", 404: "OPEN311_CLIENT_NOT_FOUND"},
    tag="open311",
)
async def revoke_client(request: Request, client_id: int) -> JSONResponse:
    actor = await admin(request)
    body = parse(request, RevokeClientRequest)
    async with in_transaction() as tx:
        client = await clients.revoke_client(client_id)
        view = clients.client_view(client)
        await audit.record(
            actor,
            "open311_client_revoke",
            "open311_client",
            str(client.id),
            department=None,
            using=tx,
            after=view,
            reason=body.reason,
        )
    return answer(view)
