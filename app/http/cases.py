"""统一申报 / 统一查询 over HTTP: uploads, applications, supplements, progress, e-licences,
and the signed agency API that works cases (accept, request material, approve, reject,
complete)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, raw

from app.cases.materials import licence_view, material_view, owned_material
from app.cases.models import Case, CaseForm, ELicence, Material
from app.cases.service import MIN_ONLINE_LEVEL
from app.cases.views import case_summary, case_view
from app.catalog.models import ServiceItem
from app.errors import InvalidInput, ItemNotApplicable
from app.http.agency import agency_caller
from app.http.answers import answer
from app.http.auth import resident
from app.http.bodies import parse
from app.http.columns import integer
from app.http.openapi import documented

bp = Blueprint("cases", url_prefix="/api/v1")


class Attachment(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    material_id: integer(Material, "id") | None = None  # type: ignore[valid-type]
    licence_id: integer(ELicence, "id") | None = None  # type: ignore[valid-type]


class ApplyRequest(BaseModel):
    item_code: str = Field(min_length=1, max_length=19)
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[Attachment] = Field(default_factory=list, max_length=20)
    # The USCC of the legal person this is filed for: required by items whose audience is
    # legal, refused by personal ones.
    on_behalf_of: str | None = Field(default=None, min_length=1, max_length=32)


class SupplementRequest(BaseModel):
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[Attachment] = Field(default_factory=list, max_length=20)


class AgencyActRequest(BaseModel):
    note: str | None = Field(default=None, max_length=500)
    # complete only: the result (e.g. {"licence": {"kind", "title", "number"}}) and 快递单号.
    result: dict[str, Any] | None = None
    express_no: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{6,32}$")


class RevealFormRequest(BaseModel):
    # Which sealed fields (ID numbers, phones); none means every sealed field of the form.
    fields: list[str] = Field(default_factory=list, max_length=50)
    reason: str = Field(min_length=4, max_length=200)


def _public(request: Request) -> Any:
    return request.app.ctx.services.public


@bp.post("/materials")
@documented(
    "Upload a material (multipart field `file`): PDF, JPEG or PNG by content, 5 MB at most.",
    auth="resident",
    responses={201: "stored", 413: "UPLOAD_TOO_LARGE", 415: "UPLOAD_TYPE_NOT_ALLOWED"},
    tag="cases",
)
async def upload(request: Request) -> JSONResponse:
    who = await resident(request)
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise InvalidInput(
            "Send the file as multipart/form-data field 'file'.", fields={"file": "is required"}
        )
    material = await _public(request).materials.store(
        who.citizen_id, upload.name or "", upload.body
    )
    return answer(material_view(material), 201)


@bp.get("/materials/<material_id:id>")
@documented("A material's content, to its owner only.", auth="resident", tag="cases")
async def material_content(request: Request, material_id: int) -> HTTPResponse:
    who = await resident(request)
    material = await owned_material(who.citizen_id, material_id)
    data = await _public(request).materials.content(material)
    return raw(
        data,
        content_type=material.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Content-Disposition": "attachment"},
    )


@bp.get("/me/licences")
@documented(
    "The e-licences the platform holds for me (attach them by licence_id); a legal "
    "person's are in its own wallet.",
    auth="resident",
    tag="cases",
)
async def my_licences(request: Request) -> JSONResponse:
    who = await resident(request)
    found = await ELicence.filter(citizen_id=who.citizen_id, legal_person_id=None).order_by("-id")
    return answer({"licences": [licence_view(x) for x in found]})


@bp.get("/legal-persons/<uscc:uscc>/licences")
@documented(
    "A legal person's e-licences (its wallet), for its representative and current agents.",
    auth="resident",
    responses={403: "NOT_AUTHORISED_FOR_LEGAL_PERSON", 404: "LEGAL_PERSON_NOT_FOUND"},
    tag="cases",
)
async def legal_person_licences(request: Request, uscc: str) -> JSONResponse:
    who = await resident(request)
    found = await _public(request).cases.licences_of_legal_person(who, uscc)
    return answer({"licences": [licence_view(x) for x in found]})


@bp.get("/items/<code:item_code>/form")
@documented(
    "The item's application form as a resident fills it: typed fields (each type has its "
    "native control), the materials (upload one, or attach an e-licence I hold), who "
    "applies (personal, or legal: on behalf of a legal person) and the form's version. "
    "Read on every visit, so a form an operator changes shows at once.",
    responses={409: "ITEM_NOT_APPLICABLE"},
    tag="cases",
)
async def apply_form(request: Request, code: str) -> JSONResponse:
    item = await ServiceItem.get_or_none(code=code, status="active")
    form = await CaseForm.get_or_none(item_code=code)
    if item is None or form is None or item.online_level < MIN_ONLINE_LEVEL:
        raise ItemNotApplicable(item_code=code)
    return answer(
        {
            "item_code": item.code,
            "item_name": item.name,
            "audience": item.audience,
            "version": form.version,
            "time_limit_days": form.time_limit_days,
            "fields": form.fields_spec,
            "materials": [
                {"name": m["name"], "required": m.get("required", True), "hint": m.get("hint")}
                for m in form.materials_spec
            ],
        }
    )


@bp.post("/cases")
@documented(
    "Apply for a service item online: form + materials → a case number. A legal item is "
    "filed on_behalf_of a legal person (USCC) by its representative or a current agent.",
    body=ApplyRequest,
    auth="resident",
    responses={
        201: "case",
        422: "FORM_INVALID, LEGAL_PERSON_REQUIRED, ON_BEHALF_NOT_ALLOWED, USCC_INVALID",
        409: "ITEM_NOT_APPLICABLE, LEGAL_PERSON_DEREGISTERED",
        403: "NOT_AUTHORISED_FOR_LEGAL_PERSON",
        404: "LEGAL_PERSON_NOT_FOUND",
    },
    tag="cases",
)
async def apply(request: Request) -> JSONResponse:
    who = await resident(request)
    body = parse(request, ApplyRequest)
    case = await _public(request).cases.apply(
        who,
        body.item_code,
        body.form,
        [a.model_dump() for a in body.materials],
        on_behalf_of=body.on_behalf_of,
    )
    return answer(await case_view(case), 201)


@bp.get("/me/cases")
@documented(
    "My personal cases, newest first (a legal person's cases are listed under it).",
    auth="resident",
    tag="cases",
)
async def my_cases(request: Request) -> JSONResponse:
    who = await resident(request)
    found = (
        await Case.filter(citizen_id=who.citizen_id, legal_person_id=None)
        .order_by("-id")
        .limit(100)
    )
    return answer({"cases": [case_summary(c) for c in found]})


@bp.get("/legal-persons/<uscc:uscc>/cases")
@documented(
    "A legal person's cases, newest first, for its representative and current agents.",
    auth="resident",
    responses={403: "NOT_AUTHORISED_FOR_LEGAL_PERSON", 404: "LEGAL_PERSON_NOT_FOUND"},
    tag="cases",
)
async def legal_person_cases(request: Request, uscc: str) -> JSONResponse:
    who = await resident(request)
    found = await _public(request).cases.for_legal_person(who, uscc)
    return answer({"cases": [case_summary(c) for c in found]})


@bp.get("/cases/<case_no:case_no>")
@documented(
    "A case and its timeline: to its owner, or for a legal person's case to its "
    "representative and current agents; anyone else gets CASE_NOT_FOUND.",
    auth="resident",
    tag="cases",
)
async def get_case(request: Request, case_no: str) -> JSONResponse:
    who = await resident(request)
    return answer(await case_view(await _public(request).cases.visible(who, case_no)))


@bp.post("/cases/<case_no:case_no>/supplement")
@documented(
    "Supplement a sent-back case (补正): it resumes with the same number.",
    body=SupplementRequest,
    auth="resident",
    tag="cases",
)
async def supplement(request: Request, case_no: str) -> JSONResponse:
    who = await resident(request)
    body = parse(request, SupplementRequest)
    case = await _public(request).cases.supplement(
        who, case_no, body.form, [a.model_dump() for a in body.materials]
    )
    return answer(await case_view(case))


# --------------------------------------------------------------------------- agencies


@bp.get("/agency/cases/<case_no:case_no>")
@documented("A case of the agency's departments, with its timeline.", auth="agency", tag="agency")
async def agency_case(request: Request, case_no: str) -> JSONResponse:
    agency = await agency_caller(request)
    case = await _public(request).cases.for_agency(agency.id, case_no)
    return answer(await case_view(case))


@bp.get("/agency/cases/<case_no:case_no>/materials/<material_id:id>")
@documented("A material attached to a case of the agency.", auth="agency", tag="agency")
async def agency_material(request: Request, case_no: str, material_id: int) -> HTTPResponse:
    agency = await agency_caller(request)
    public = _public(request)
    material, data = await public.cases.material_for_agency(
        agency, case_no, material_id, public.materials
    )
    return raw(
        data, content_type=material.content_type, headers={"X-Content-Type-Options": "nosniff"}
    )


@bp.post("/agency/cases/<case_no:case_no>/form/reveal")
@documented(
    "The case form's sealed fields (ID numbers, phones) in full, for the agency working the"
    " case; every look is written to the audit chain with the fields and the reason.",
    body=RevealFormRequest,
    auth="agency",
    responses={200: '{"case_no", "fields"}', 404: "CASE_NOT_FOUND", 422: "FORM_INVALID"},
    tag="agency",
)
async def agency_reveal_form(request: Request, case_no: str) -> JSONResponse:
    agency = await agency_caller(request)
    body = parse(request, RevealFormRequest)
    shown = await _public(request).cases.reveal_form(agency, case_no, body.fields, body.reason)
    return answer({"case_no": case_no, "fields": shown}, headers={"Cache-Control": "no-store"})


@bp.post("/agency/cases/<case_no:case_no>/<action:str>")
@documented(
    "Work a case: accept, request_material (补正), approve, reject, complete.",
    body=AgencyActRequest,
    auth="agency",
    responses={409: "CASE_TRANSITION_FORBIDDEN"},
    tag="agency",
)
async def agency_act(request: Request, case_no: str, action: str) -> JSONResponse:
    agency = await agency_caller(request)
    body = parse(request, AgencyActRequest)
    case = await _public(request).cases.act(
        agency.id, case_no, action, note=body.note, result=body.result, express_no=body.express_no
    )
    return answer(await case_view(case))
