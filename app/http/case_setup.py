"""Operators define case forms and case desks (/api/v1/operator/...): scoped, audited.

The scope and role checks live in ``app/cases/setup.py``; this module only reads requests.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, empty

from app.cases import setup
from app.cases.forms import spec_document
from app.cases.models import CaseFormVersion
from app.errors import InvalidInput
from app.http.answers import answer
from app.http.bodies import json_object, parse, query
from app.http.columns import bounds, integer
from app.http.openapi import documented
from app.http.operators import operator

bp = Blueprint("case_setup", url_prefix="/api/v1/operator")
FORM_EXTRA_KEYS = frozenset({"expected_version", "reason"})


class FormDocument(BaseModel):
    """The PUT body (documented; read by hand so every spec problem is CASE_FORM_SPEC_INVALID)."""

    fields: list[dict[str, Any]] = Field(max_length=50)
    materials: list[dict[str, Any]] = Field(max_length=20)
    time_limit_days: int | None = Field(default=None, ge=1, le=365)
    expected_version: int | None = Field(default=None, ge=0)
    reason: str | None = Field(default=None, max_length=500)


class DeskRequest(BaseModel):
    agency_key: str = Field(min_length=1, max_length=40)
    department_code: str = Field(min_length=1, max_length=32)
    reason: str | None = Field(default=None, max_length=500)


def _optional_int(raw: Any, name: str, low: int) -> int | None:
    if raw is None:
        return None
    highest = bounds(CaseFormVersion, "version")["le"]
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= highest:
        raise InvalidInput(f"{name} is a whole number ≥ {low}.", fields={name: str(raw)})
    return raw


def _reason(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > 500:
        raise InvalidInput("reason is a text of at most 500 characters.", fields={"reason": "?"})
    return raw.strip() or None


class FormQuery(BaseModel):
    version: integer(CaseFormVersion, "version", strict=False) | None = None  # type: ignore[valid-type]


@bp.get("/items/<code:item_code>/case-form")
@documented(
    "The item's case form (fields, materials, time limit) with its version history;"
    " ?version=N for an older version. Any operator role within the scope.",
    auth="operator",
    responses={404: "NOT_FOUND / CASE_FORM_NOT_FOUND"},
    tag="cases",
    query=FormQuery,
)
async def get_form(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    version = query(request, FormQuery).version
    if version is not None:
        return answer(await setup.read_version(actor, code, version))
    return answer(await setup.read_form(actor, code))


@bp.put("/items/<code:item_code>/case-form")
@documented(
    "Define or change the item's case form: a new version, audited. Department operators"
    " for their departments' items, platform admins for all; reviewers read only."
    " expected_version (0 before the first definition) guards against lost updates.",
    body=FormDocument,
    auth="operator",
    responses={
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        409: "CASE_FORM_CHANGED",
        422: "CASE_FORM_SPEC_INVALID",
    },
    tag="cases",
)
async def put_form(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    doc = json_object(request)
    fields_spec, materials_spec, time_limit = spec_document(doc, FORM_EXTRA_KEYS)
    rules = request.app.ctx.services.settings.service_rules
    await setup.define_form(
        code,
        fields_spec,
        materials_spec,
        time_limit,
        actor=actor,
        expected_version=_optional_int(doc.get("expected_version"), "expected_version", 0),
        attachments_limit=rules.materials_per_case,
        reason=_reason(doc.get("reason")),
    )
    return answer(await setup.read_form(actor, code))


@bp.get("/case-desks")
@documented(
    "Which agency works which department's cases (within the scope).",
    auth="operator",
    tag="cases",
)
async def list_desks(request: Request) -> JSONResponse:
    actor = await operator(request)
    return answer({"desks": await setup.list_desks(actor)})


@bp.post("/case-desks")
@documented(
    "Bind a signed agency (by its key) to a department's cases; 201 when bound now,"
    " 200 when it already was. Audited.",
    body=DeskRequest,
    auth="operator",
    responses={403: "FORBIDDEN", 422: "AGENCY_UNKNOWN / DEPARTMENT_UNKNOWN"},
    tag="cases",
)
async def bind_desk(request: Request) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, DeskRequest)
    desk, created = await setup.bind_desk(
        body.agency_key, body.department_code, actor=actor, reason=body.reason
    )
    return answer(desk, 201 if created else 200)


class UnbindQuery(BaseModel):
    reason: str | None = Field(default=None, min_length=1, max_length=500)


@bp.delete("/case-desks/<desk_id:id>")
@documented(
    "Unbind: the agency stops seeing the department's cases at once. Audited, with the"
    " reason= given.",
    auth="operator",
    responses={403: "FORBIDDEN", 404: "CASE_DESK_NOT_FOUND"},
    tag="cases",
    produces=None,
    query=UnbindQuery,
)
async def unbind_desk(request: Request, desk_id: int) -> HTTPResponse:
    actor = await operator(request)
    reason = query(request, UnbindQuery).reason
    await setup.unbind_desk(desk_id, actor=actor, reason=reason)
    return empty(status=204)
