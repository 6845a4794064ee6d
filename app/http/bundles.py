"""高效办成一件事 over HTTP: bundles and their combined guide, applying once, following,
supplementing and rating a bundle case; operators define, review and publish bundles; the
supervisor's bundle board."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse

from app.bundles import definitions
from app.bundles.board import bundles_board
from app.bundles.models import BundleCase
from app.bundles.views import (
    bundle_case_summary,
    bundle_case_view,
    bundle_detail,
    bundle_summary,
)
from app.errors import InvalidInput
from app.http.answers import answer
from app.http.auth import resident
from app.http.bodies import json_object, parse
from app.http.cases import Attachment
from app.http.evaluations import scope
from app.http.openapi import documented
from app.http.operators import operator
from payments.refunds import REQUEST_KEY

bp = Blueprint("bundles", url_prefix="/api/v1")
IDEMPOTENCY_KEY = "Idempotency-Key"
Score = Field(ge=1, le=5)


class BundleApplyRequest(BaseModel):
    bundle_code: str = Field(min_length=1, max_length=32)
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[Attachment] = Field(default_factory=list, max_length=20)
    # 容缺: non-key materials the applicant will supply later (bundle material names).
    pending: list[str] = Field(default_factory=list, max_length=20)
    # 告知承诺: the items whose pledge the applicant signs (item codes).
    pledges: list[str] = Field(default_factory=list, max_length=12)
    on_behalf_of: str | None = Field(default=None, min_length=1, max_length=32)


class BundleSupplementRequest(BaseModel):
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[Attachment] = Field(default_factory=list, max_length=20)


class BundleRateRequest(BaseModel):
    overall: int = Score
    efficiency: int = Score
    guide_accuracy: int = Score
    convenience: int = Score
    ease_of_use: int = Score
    comment: str | None = Field(default=None, max_length=500)


class BundleReviewRequest(BaseModel):
    decision: str = Field(pattern="^(approve|reject)$")
    note: str | None = Field(default=None, max_length=500)


def _bundles(request: Request) -> Any:
    return request.app.ctx.services.public.bundles


@bp.get("/bundles")
@documented("The published bundles (一件事) and the items each joins.", tag="bundles")
async def list_bundles(request: Request) -> JSONResponse:
    found = await definitions.all_published()
    return answer({"bundles": [await bundle_summary(d) for d in found]})


@bp.get("/bundles/<code:bundle_code>")
@documented(
    "A bundle: its combined guide (一次告知) and its one merged form and materials.",
    responses={404: "BUNDLE_NOT_FOUND"},
    tag="bundles",
)
async def get_bundle(request: Request, code: str) -> JSONResponse:
    return answer(await bundle_detail(await definitions.published(code)))


@bp.post("/bundle-cases")
@documented(
    "Apply once for a bundle: one form, one set of materials → one bundle case with one "
    "case per item. An Idempotency-Key header (8-64 of A-Z a-z 0-9 _ -) makes a retry "
    "answer the same bundle case (200); without one, the same request does.",
    body=BundleApplyRequest,
    auth="resident",
    responses={
        201: "bundle case",
        200: "the bundle case this request (or key) already made",
        404: "BUNDLE_NOT_FOUND",
        409: "BUNDLE_REQUEST_REUSED, ITEM_NOT_APPLICABLE",
        422: "FORM_INVALID (naming the bundle's fields and materials), LEGAL_PERSON_REQUIRED",
    },
    tag="bundles",
)
async def apply(request: Request) -> JSONResponse:
    who = await resident(request)
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is not None and not REQUEST_KEY.fullmatch(key):
        raise InvalidInput(
            "An Idempotency-Key is 8-64 letters, digits, '_' or '-'.",
            fields={IDEMPOTENCY_KEY: "is 8-64 of A-Z a-z 0-9 _ -"},
        )
    body = parse(request, BundleApplyRequest)
    bundle, created = await _bundles(request).apply(who, body.model_dump(), key)
    return answer(await bundle_case_view(bundle), 201 if created else 200)


@bp.get("/me/bundle-cases")
@documented("My bundle cases, newest first.", auth="resident", tag="bundles")
async def my_bundle_cases(request: Request) -> JSONResponse:
    who = await resident(request)
    found = await BundleCase.filter(citizen_id=who.citizen_id).order_by("-id").limit(100)
    return answer({"bundle_cases": [bundle_case_summary(b) for b in found]})


@bp.get("/bundle-cases/<bundle_no:bundle_no>")
@documented(
    "A bundle case: status from its cases (in_progress, supplement_needed, completed, "
    "partly_refused), each case's step and deadline, the one result, the timeline.",
    auth="resident",
    responses={404: "BUNDLE_CASE_NOT_FOUND"},
    tag="bundles",
)
async def get_bundle_case(request: Request, bundle_no: str) -> JSONResponse:
    who = await resident(request)
    return answer(await bundle_case_view(await _bundles(request).visible(who, bundle_no)))


@bp.post("/bundle-cases/<bundle_no:bundle_no>/supplement")
@documented(
    "Answer once: the fields and materials reach every case of the bundle that needs "
    "them (a sent-back case resumes; a material accepted as pending is supplied).",
    body=BundleSupplementRequest,
    auth="resident",
    responses={404: "BUNDLE_CASE_NOT_FOUND", 422: "FORM_INVALID, BUNDLE_SUPPLEMENT_UNNEEDED"},
    tag="bundles",
)
async def supplement(request: Request, bundle_no: str) -> JSONResponse:
    who = await resident(request)
    body = parse(request, BundleSupplementRequest)
    bundle = await _bundles(request).supplement(
        who, bundle_no, body.form, [a.model_dump() for a in body.materials]
    )
    return answer(await bundle_case_view(bundle))


@bp.post("/bundle-cases/<bundle_no:bundle_no>/rating")
@documented(
    "Rate the finished bundle once; a bad rating opens a rectification for each department "
    "whose case was slow or refused.",
    body=BundleRateRequest,
    auth="resident",
    responses={201: "rated", 409: "BUNDLE_NOT_FINISHED, ALREADY_RATED"},
    tag="bundles",
)
async def rate(request: Request, bundle_no: str) -> JSONResponse:
    who = await resident(request)
    body = parse(request, BundleRateRequest)
    bundle = await _bundles(request).visible(who, bundle_no)
    scores = body.model_dump(exclude={"comment"})
    rated = await request.app.ctx.services.public.bundle_ratings.rate(
        bundle, who.channel, scores, body.comment
    )
    return answer(rated, 201)


# --------------------------------------------------------------------------- operators


@bp.post("/operator/bundles")
@documented(
    "Write a bundle definition (a new draft version), checked whole: every required item "
    "field filled, every required material provided, no cycle in the order.",
    auth="operator",
    responses={201: "draft", 422: "BUNDLE_DEFINITION_INVALID (problems by path)"},
    tag="bundles",
)
async def create_definition(request: Request) -> JSONResponse:
    actor = await operator(request)
    made = await definitions.create_definition(actor, json_object(request))
    return answer(definitions.definition_view(made), 201)


@bp.get("/operator/bundles/<code:bundle_code>")
@documented("Every version of a bundle definition.", auth="operator", tag="bundles")
async def definition_versions(request: Request, code: str) -> JSONResponse:
    await operator(request)
    found = await definitions.versions(code)
    return answer({"versions": [definitions.definition_view(v) for v in found]})


@bp.post("/operator/bundles/<code:bundle_code>/submit")
@documented("Submit the newest draft for review.", auth="operator", tag="bundles")
async def submit_definition(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    return answer(definitions.definition_view(await definitions.submit(actor, code)))


@bp.post("/operator/bundles/<code:bundle_code>/review")
@documented(
    "Approve or reject the submitted version (a reviewer other than its author).",
    body=BundleReviewRequest,
    auth="operator",
    responses={403: "SELF_REVIEW", 409: "BUNDLE_WORKFLOW_CONFLICT"},
    tag="bundles",
)
async def review_definition(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    body = parse(request, BundleReviewRequest)
    done = await definitions.review(actor, code, body.decision, body.note)
    return answer(definitions.definition_view(done))


@bp.post("/operator/bundles/<code:bundle_code>/publish")
@documented(
    "Publish the approved version: it serves every channel from now on.",
    auth="operator",
    responses={409: "BUNDLE_WORKFLOW_CONFLICT", 422: "BUNDLE_DEFINITION_INVALID"},
    tag="bundles",
)
async def publish_definition(request: Request, code: str) -> JSONResponse:
    actor = await operator(request)
    return answer(definitions.definition_view(await definitions.publish(actor, code)))


@bp.get("/operator/supervision/bundles")
@documented(
    "Open bundles with their whole time limit and the agency holding each up.",
    auth="operator",
    tag="supervision",
)
async def board(request: Request) -> JSONResponse:
    actor = await operator(request)
    return answer(await bundles_board(scope(actor)))
