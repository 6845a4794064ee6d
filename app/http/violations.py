"""Traffic violations: residents' lookups and "my vehicles", and the traffic police's upsert."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, empty, json

from app.http.agency import agency_caller
from app.http.auth import resident
from app.http.bodies import json_object, parse
from app.http.identity import client_address
from app.http.openapi import documented
from app.violations.records import ViolationIn

bp = Blueprint("violations", url_prefix="/api/v1")


class BindRequest(BaseModel):
    plate_type: str = Field(max_length=8)
    plate_no: str = Field(max_length=32)
    vin_tail: str = Field(max_length=32)


class AgencyViolations(BaseModel):
    """Documentation of the batch; each record is checked on its own (see ViolationIn)."""

    records: list[ViolationIn] = Field(max_length=1000)


def _arg(request: Request, name: str) -> str | None:
    value = request.args.get(name)
    return value if isinstance(value, str) else None


@bp.get("/violations")
@documented(
    "Violations of a vehicle (plate_type + plate_no + vin_tail, or plate only once bound) "
    "or of a driving licence (licence_no + file_no), with fine, points, late fee, total and "
    "payable flag.",
    auth="resident",
    responses={
        200: "vehicle or driver, violations, summary",
        404: "VEHICLE_NOT_FOUND / DRIVER_NOT_FOUND (also for a wrong proof)",
        422: "PLATE_TYPE_UNKNOWN, PLATE_NO_INVALID, VIN_TAIL_INVALID, OWNERSHIP_PROOF_REQUIRED",
        429: "RATE_LIMITED",
    },
    tag="violations",
)
async def lookup(request: Request) -> JSONResponse:
    principal = await resident(request)
    lookups = request.app.ctx.services.violations.lookup
    client = client_address(request)
    answer: dict[str, Any]
    if _arg(request, "licence_no") is not None or _arg(request, "file_no") is not None:
        answer = await lookups.by_licence(
            principal, client, _arg(request, "licence_no"), _arg(request, "file_no")
        )
    else:
        answer = await lookups.by_plate(
            principal,
            client,
            _arg(request, "plate_type"),
            _arg(request, "plate_no"),
            _arg(request, "vin_tail"),
        )
    return json(answer)


@bp.post("/me/vehicles")
@documented(
    'Bind a vehicle to "my vehicles" with one proof of ownership (the VIN tail); later '
    "lookups of its plate need no VIN.",
    body=BindRequest,
    auth="resident",
    responses={201: "the vehicle and its violations", 404: "VEHICLE_NOT_FOUND"},
    tag="violations",
)
async def bind(request: Request) -> JSONResponse:
    principal = await resident(request)
    body = parse(request, BindRequest)
    answer = await request.app.ctx.services.violations.lookup.by_plate(
        principal,
        client_address(request),
        body.plate_type,
        body.plate_no,
        body.vin_tail,
        bind=True,
    )
    return json(answer, status=201)


@bp.get("/me/vehicles")
@documented("My bound vehicles, each with a summary.", auth="resident", tag="violations")
async def my_vehicles(request: Request) -> JSONResponse:
    principal = await resident(request)
    vehicles = await request.app.ctx.services.violations.lookup.my_vehicles(principal)
    return json({"vehicles": vehicles})


@bp.delete("/me/vehicles/<vehicle_id:id>")
@documented(
    "Unbind a vehicle.",
    auth="resident",
    responses={204: "unbound"},
    tag="violations",
    produces=None,
)
async def unbind(request: Request, vehicle_id: int) -> HTTPResponse:
    principal = await resident(request)
    await request.app.ctx.services.violations.lookup.unbind(principal, vehicle_id)
    return empty(status=204)


@bp.post("/agency/violations")
@documented(
    "Traffic police: bulk upsert of violations by violation_id (idempotent). Bad records are "
    "reported by index and field; the others are applied.",
    body=AgencyViolations,
    auth="agency",
    responses={200: "received, created, updated, unchanged, rejected and errors"},
    tag="agency",
)
async def agency_upsert(request: Request) -> JSONResponse:
    agency = await agency_caller(request)
    body = json_object(request)
    outcome = await request.app.ctx.services.violations.imports.upsert(agency, body.get("records"))
    return json(outcome.as_dict())
