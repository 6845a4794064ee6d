"""The case state machine, supplement-and-resume, and bad input that stores nothing
(real PostgreSQL; domain calls, no HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tortoise import connections

from app.agency.models import Agency
from app.cases import states
from app.cases.materials import MaterialStore
from app.cases.models import Case, CaseStep, Material, MaterialBlob
from app.cases.service import Cases, case_number
from app.errors import (
    CaseNotFound,
    CaseTransitionForbidden,
    FormInvalid,
    ItemNotApplicable,
    MaterialNotFound,
    NotVerified,
    UploadTooLarge,
    UploadTypeNotAllowed,
)
from app.fees.payment_codes import mod11_10_check_digit
from app.supervision.models import Deadline
from infra.outbox.models import OutboxEvent
from tests.cases.fixtures import GOOD_FORM, ITEM_CODE, PDF, PNG, person, seed


@pytest.fixture
async def world(clean: None, settings, tmp_path: Path):
    creds = await seed(settings, tmp_path)
    agency = await Agency.get(key=creds["key"])
    cases = Cases(settings.vault(), settings.service_rules)
    store = MaterialStore(settings.vault(), b"k" * 32, settings.service_rules.upload_max_bytes)
    return cases, store, agency


async def _counts() -> tuple[int, int, int, int]:
    return (
        await Case.all().count(),
        await CaseStep.all().count(),
        await Material.all().count(),
        await OutboxEvent.all().count(),
    )


def test_the_transition_table_is_the_only_way() -> None:
    assert states.next_status("returned", "supplement") == "submitted"
    for status in ("completed", "rejected"):
        for action in states.AGENCY_ACTIONS | states.RESIDENT_ACTIONS:
            with pytest.raises(CaseTransitionForbidden):
                states.next_status(status, action)
    with pytest.raises(CaseTransitionForbidden):
        states.next_status("submitted", "complete")


def test_case_numbers_carry_a_check_digit() -> None:
    from datetime import date

    no = case_number(42, date(2025, 6, 12))
    assert no.startswith("202506120000042") and len(no) == 16
    assert mod11_10_check_digit(no[:15]) == no[15]


async def test_full_flow_with_supplement_and_resume(world) -> None:
    cases, store, agency = world
    who = await person("wechat")
    m = await store.store(who.citizen_id, "../../etc/id.pdf", PDF)
    assert m.filename == "id.pdf" and m.content_type == "application/pdf"
    assert await store.content(m) == PDF
    assert bytes((await MaterialBlob.get(material_id=m.id)).sealed).find(PDF) == -1
    case = await cases.apply(who, ITEM_CODE, GOOD_FORM, [{"name": "身份证", "material_id": m.id}])
    assert case.status == "submitted"
    accept = await Deadline.get(subject_ref=case.case_no, step="accept")
    assert accept.met_at is None

    returned = await cases.act(agency.id, case.case_no, "request_material", note="缺银行卡")
    assert returned.status == "returned"
    assert (await Deadline.get(id=accept.id)).met_at is not None
    # The agency cannot work a returned case until the resident supplements it.
    with pytest.raises(CaseTransitionForbidden):
        await cases.act(agency.id, case.case_no, "accept")

    app_who = type(who)(who.citizen_id, who.account_id, "app", "t", who.expires_at)
    card = await store.store(who.citizen_id, "card.png", PNG)
    resumed = await cases.supplement(
        app_who, case.case_no, {"bank": "农业银行"}, [{"name": "银行卡", "material_id": card.id}]
    )
    assert resumed.status == "submitted" and resumed.case_no == case.case_no
    assert resumed.form["bank"] == "农业银行"
    assert resumed.form["applicant_phone"]["masked"] == "138****8000"
    assert len(resumed.materials) == 2
    with pytest.raises(CaseTransitionForbidden):
        await cases.supplement(app_who, case.case_no, {}, [])  # only a returned case

    for action in ("accept", "approve"):
        await cases.act(agency.id, case.case_no, action)
    done = await cases.act(
        agency.id, case.case_no, "complete", result={"ok": True}, express_no="SF100200300"
    )
    assert done.status == "completed" and done.finished_at is not None
    assert await Deadline.filter(subject_ref=case.case_no, met_at=None).count() == 0
    steps = await CaseStep.filter(case_id=case.id).order_by("id").values_list("action", flat=True)
    assert steps == ["apply", "request_material", "supplement", "accept", "approve", "complete"]
    assert await OutboxEvent.filter(kind="case.notice").count() == 6
    with pytest.raises(CaseTransitionForbidden):
        await cases.act(agency.id, case.case_no, "reject")


async def test_bad_input_stores_nothing(world, settings) -> None:
    cases, store, agency = world
    who = await person()
    m = await store.store(who.citizen_id, "id.png", PNG)
    before = await _counts()
    att = [{"name": "身份证", "material_id": m.id}]
    with pytest.raises(FormInvalid) as bad:
        await cases.apply(
            who, ITEM_CODE, {**GOOD_FORM, "birth_date": "1940-13-01", "extra": "x"}, att
        )
    assert set(bad.value.details["fields"]) == {"birth_date", "extra"}
    with pytest.raises(FormInvalid):
        await cases.apply(who, ITEM_CODE, GOOD_FORM, [])  # 身份证 is required
    with pytest.raises(FormInvalid):
        await cases.apply(who, ITEM_CODE, {k: v for k, v in GOOD_FORM.items() if k != "bank"}, att)
    stranger = await person()
    with pytest.raises(MaterialNotFound):  # someone else's material cannot be attached
        await cases.apply(stranger, ITEM_CODE, GOOD_FORM, att)
    with pytest.raises(NotVerified):
        await cases.apply(await person(verified=False), ITEM_CODE, GOOD_FORM, att)
    with pytest.raises(ItemNotApplicable):
        await cases.apply(who, "QR-330100-00071-001", GOOD_FORM, att)
    with pytest.raises(UploadTooLarge):
        await store.store(
            who.citizen_id, "big.png", PNG + b"0" * settings.service_rules.upload_max_bytes
        )
    with pytest.raises(UploadTypeNotAllowed):
        await store.store(who.citizen_id, "x.pdf", b"MZ\x90\x00 an exe named pdf")
    assert await _counts() == before

    case = await cases.apply(who, ITEM_CODE, GOOD_FORM, att)
    with pytest.raises(CaseNotFound):
        await cases.visible(stranger, case.case_no)
    other_agency = await Agency.create(
        key="k-other", secret_enc="x", name="别的部门", kind="fees", created_at=case.created_at
    )
    with pytest.raises(CaseNotFound):  # an agency sees only its departments' cases
        await cases.act(other_agency.id, case.case_no, "accept")
    before = await _counts()
    with pytest.raises(CaseTransitionForbidden):
        await cases.act(agency.id, case.case_no, "complete")
    with pytest.raises(CaseTransitionForbidden):
        await cases.act(agency.id, case.case_no, "supplement")
    assert await _counts() == before
    assert (await Case.get(id=case.id)).status == "submitted"


async def test_check_constraints_exist_in_postgresql(clean: None) -> None:
    rows = await connections.get("default").execute_query_dict(
        "SELECT conname FROM pg_constraint WHERE contype = 'c'"
    )
    names = {r["conname"] for r in rows}
    assert {
        "case_status_known",
        "case_finished_consistent",
        "case_material_type_known",
        "evaluation_overall_1_5",
        "evaluation_rectification_status",
        "interaction_ticket_status",
        "interaction_rating_1_5",
        "supervision_deadline_card_known",
    } <= names


async def test_a_case_in_flight_keeps_the_form_it_was_filed_under(world) -> None:
    """An operator drops the phone field and adds a required one; the returned case is
    still supplemented and worked against the version it was filed under."""
    from app.cases.demo import FIELDS, MATERIALS
    from app.cases.setup import define_form

    cases, store, agency = world
    who = await person("wechat")
    m = await store.store(who.citizen_id, "id.png", PNG)
    case = await cases.apply(who, ITEM_CODE, GOOD_FORM, [{"name": "身份证", "material_id": m.id}])
    assert case.form_version == 1
    changed = [f for f in FIELDS if f["name"] != "applicant_phone"] + [
        {"name": "guardian", "label": "监护人", "type": "text", "required": True}
    ]
    form, did_change = await define_form(ITEM_CODE, changed, MATERIALS)
    assert did_change and form.version == 2
    await cases.act(agency.id, case.case_no, "request_material", note="请补充地址")
    resumed = await cases.supplement(who, case.case_no, {"address": "杭州市西湖区文三路 2 号"}, [])
    assert resumed.status == "submitted" and resumed.form_version == 1
    assert resumed.form["applicant_phone"]["masked"] == "138****8000"
    assert "guardian" not in resumed.form
    # A new application meets the new form.
    with pytest.raises(FormInvalid) as refused:
        await cases.apply(who, ITEM_CODE, GOOD_FORM, [{"name": "身份证", "material_id": m.id}])
    assert set(refused.value.details["fields"]) == {"applicant_phone", "guardian"}
