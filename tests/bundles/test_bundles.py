"""Bundles (一件事) on real PostgreSQL, through the domain: definitions checked whole,
applying once (all or nothing, idempotent), predecessors gating successors through the
case room's outbox event, one supplement reaching every case, 容缺 and 告知承诺, one result,
one rating with rectifications, and the supervisor's board."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.agency.models import Agency
from app.bundles import definitions
from app.bundles.board import bundles_board
from app.bundles.demo import seed as seed_bundles
from app.bundles.demo import shipped
from app.bundles.models import BundleCase, BundleDefinition, BundleItem
from app.bundles.rating import BundleRatings
from app.bundles.service import Bundles
from app.bundles.views import bundle_case_view, bundle_detail
from app.cases.materials import MaterialStore
from app.cases.models import Case, CaseStep, ELicence
from app.cases.service import CASE_FINISHED, Cases
from app.catalog.demo import seed_reference
from app.errors import (
    AlreadyRated,
    BundleCaseNotFound,
    BundleDefinitionInvalid,
    BundleMaterialPending,
    BundleNotFinished,
    BundleRequestReused,
    BundleSupplementUnneeded,
    CaseNotFound,
    FormInvalid,
    LegalPersonRequired,
    NotAuthorisedForLegalPerson,
)
from app.evaluations.models import Evaluation, Rectification
from app.identity.sessions import Principal
from app.supervision.models import Deadline
from infra.outbox.models import OutboxEvent
from tests.cases.fixtures import PDF, PNG, person
from tests.identity.legal_fixtures import OTHER_ID, REP_ID, USCC, push, record, registry_agency
from tests.identity.legal_fixtures import person as legal_person

BIRTH = "YJS-330100-XSECS"
FORM = {
    "child_name": "张小宝",
    "child_gender": "男",
    "birth_date": "2026-11-20",
    "mother_name": "王芳",
    "mother_id_number": "330382199508150025",
    "hospital": "杭州市妇产科医院",
    "address": "杭州市上城区解放路 1 号",
    "phone": "13700137000",
    "pay_bank": "杭州银行",
}


@pytest.fixture
async def world(clean: None, settings, tmp_path: Path) -> dict[str, Any]:
    await seed_reference()
    agencies = await seed_bundles(settings.vault(), tmp_path)
    cases = Cases(settings.vault(), settings.service_rules)
    bundles = Bundles(cases, settings.vault(), settings.service_rules)
    cases.guards.append(bundles.guard)
    store = MaterialStore(settings.vault(), b"k" * 32, settings.service_rules.upload_max_bytes)
    ids = {
        d: (await Agency.get(key=a["key"])).id for d, a in agencies.items()
    }
    return {"cases": cases, "bundles": bundles, "store": store, "agency": ids,
            "ratings": BundleRatings(settings.service_rules)}  # fmt: skip


async def _materials(store: MaterialStore, who: Principal, *names: str) -> list[dict]:
    out = []
    for name in names:
        m = await store.store(who.citizen_id, f"{name}.pdf", PDF if len(out) % 2 else PNG)
        out.append({"name": name, "material_id": m.id})
    return out


async def _deliver(bundles: Bundles) -> int:
    """Run the case.finished events as the worker would (twice each: handlers are idempotent)."""
    events = await OutboxEvent.filter(kind=CASE_FINISHED).order_by("id")
    for e in events:
        await bundles.on_case_finished(e.payload)
        await bundles.on_case_finished(e.payload)
    return len(events)


async def _work(world: dict, case_no: str, licence: dict | None = None) -> Case:
    cases: Cases = world["cases"]
    case = await Case.get(case_no=case_no)
    agency = world["agency"][case.department_code]
    if case.status == "submitted":
        await cases.act(agency, case_no, "accept")
    if (await Case.get(case_no=case_no)).status == "accepted":
        await cases.act(agency, case_no, "approve")
    result = {"licence": licence} if licence else {"note": "已办结"}
    return await cases.act(agency, case_no, "complete", result=result)


def test_the_shipped_definitions_are_data() -> None:
    codes = {d["bundle"]["code"] for d in shipped()}
    assert codes == {BIRTH, "YJS-330100-KBCYD"}
    birth = next(d for d in shipped() if d["bundle"]["code"] == BIRTH)
    assert len({i["department"] for i in birth["items"]}) >= 2


async def test_the_demo_bundles_are_published_with_a_combined_guide(world: dict) -> None:
    detail = await bundle_detail(await definitions.published(BIRTH))
    assert detail["items"][0]["code"] == "GG-330100-00301-001"
    assert detail["guide"]["time_limit_days"] == 10
    assert {"item": "QR-330100-00302-001", "material": "出生医学证明",
            "by": "GG-330100-00301-001"} in detail["guide"]["licence_replaced"]  # fmt: skip
    # One set of materials: the ID cards three items ask for are asked once.
    names = [m["name"] for m in detail["form"]["materials"]]
    assert names.count("父母身份证") == 1 and "出生医学证明" not in names
    assert all("maps" not in f for f in detail["form"]["fields"])


async def test_a_definition_is_checked_whole(world: dict) -> None:
    doc = copy.deepcopy(next(d for d in shipped() if d["bundle"]["code"] == BIRTH)["bundle"])
    doc["code"] = "YJS-330100-TEST"
    # An unmapped required item field, named.
    doc["fields"] = [f for f in doc["fields"] if f["name"] != "hospital"]
    with pytest.raises(BundleDefinitionInvalid) as refused:
        await definitions.create_definition(None, doc)
    assert refused.value.details["problems"] == {
        "items.GG-330100-00301-001.fields.hospital":
            "is required by the item's form and no bundle field fills it"
    }  # fmt: skip
    # A cycle in the order, named.
    doc = copy.deepcopy(next(d for d in shipped() if d["bundle"]["code"] == BIRTH)["bundle"])
    doc["code"] = "YJS-330100-TEST"
    doc["items"][0]["after"] = ["GG-330100-00304-001"]
    with pytest.raises(BundleDefinitionInvalid) as refused:
        await definitions.create_definition(None, doc)
    assert "items.after" in refused.value.details["problems"]
    assert "GG-330100-00301-001" in refused.value.details["problems"]["items.after"]
    # A field whose type cannot fill its item field.
    doc = copy.deepcopy(next(d for d in shipped() if d["bundle"]["code"] == BIRTH)["bundle"])
    doc["code"] = "YJS-330100-TEST"
    doc["fields"][2]["type"] = "text"
    with pytest.raises(BundleDefinitionInvalid) as refused:
        await definitions.create_definition(None, doc)
    assert refused.value.details["problems"]["fields[2].maps.GG-330100-00301-001"].startswith(
        "is text but the item field is date"
    )
    assert not await BundleDefinition.filter(code="YJS-330100-TEST").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"items": [{"item": ["x"]}, {"item": "GG-330100-00301-001", "after": [{"a": 1}]}]},
        {"fields": [{"name": "x", "label": "X", "type": "text", "max_length": "9",
                     "maps": {"GG-330100-00301-001": ["child_name"]}}]},
        {"fields": [{"name": "x", "label": "X", "type": "choice", "choices": 3, "maps": 1}]},
        {"materials": [{"name": "A", "maps": {"GG-330100-00301-001": ["父母身份证"]}}]},
        {"items": [{"item": "GG-330100-00301-001", "receives": [{"from": [], "material": {}}]}]},
        {"guide": {"conditions": [1], "fees": 3}, "time_limit_days": True},
    ],
)
async def test_a_malformed_definition_is_refused_not_crashed(world: dict, change: dict) -> None:
    doc = copy.deepcopy(next(d for d in shipped() if d["bundle"]["code"] == BIRTH)["bundle"])
    with pytest.raises(BundleDefinitionInvalid) as refused:
        await definitions.check_definition({**doc, **change})
    assert refused.value.details["problems"]


async def test_a_form_missing_a_field_creates_nothing(world: dict) -> None:
    who = await person("wechat")
    mats = await _materials(world["store"], who, "父母身份证", "监护人户口簿", "新生儿照片")
    form = {k: v for k, v in FORM.items() if k != "birth_date"}
    with pytest.raises(FormInvalid) as refused:
        await world["bundles"].apply(who, {"bundle_code": BIRTH, "form": form,
                                           "materials": mats}, "key-missing-01")  # fmt: skip
    assert refused.value.details["fields"] == {"birth_date": "is required"}
    assert await BundleCase.all().count() == 0 and await Case.all().count() == 0
    # A key material cannot be declared pending.
    with pytest.raises(FormInvalid) as refused:
        await world["bundles"].apply(
            who, {"bundle_code": BIRTH, "form": FORM, "materials": mats[1:],
                  "pending": ["父母身份证"]}, "key-missing-02")  # fmt: skip
    assert "key material" in refused.value.details["materials"]["父母身份证"]
    assert await BundleCase.all().count() == 0 and await Case.all().count() == 0


async def test_the_birth_bundle_end_to_end(world: dict) -> None:
    bundles: Bundles = world["bundles"]
    who = await person("wechat")
    mats = await _materials(world["store"], who, "父母身份证", "监护人户口簿")
    body = {"bundle_code": BIRTH, "form": FORM, "materials": mats, "pending": ["新生儿照片"]}
    bundle, created = await bundles.apply(who, body, "birth-0001")
    again, created_again = await bundles.apply(who, body, "birth-0001")
    assert created and not created_again and again.id == bundle.id
    with pytest.raises(BundleRequestReused):
        await bundles.apply(who, {**body, "form": {**FORM, "child_name": "张二宝"}}, "birth-0001")
    view = await bundle_case_view(bundle)
    assert [c["status"] for c in view["cases"]] == ["submitted", "waiting", "waiting", "waiting"]
    assert view["status"] == "supplement_needed"  # the photo is owed (容缺)
    assert await Case.all().count() == 1
    first = view["cases"][0]["case_no"]
    # Another department's agency cannot see it.
    with pytest.raises(CaseNotFound):
        await world["cases"].act(world["agency"]["hz-gaj"], first, "accept")
    await _work(world, first, {"kind": "birth-certificate", "title": "出生医学证明",
                               "number": "P330100001"})  # fmt: skip
    assert await _deliver(bundles) == 1
    view = await bundle_case_view(bundle)
    hukou = view["cases"][1]
    assert hukou["status"] == "submitted" and hukou["received"][0]["material"] == "出生医学证明"
    hukou_case = await Case.get(case_no=hukou["case_no"])
    licence = await ELicence.get(number="P330100001")
    assert {"name": "出生医学证明", "licence_id": licence.id} in hukou_case.materials
    # Work 户口: the two items waiting on it start together.
    await _work(world, hukou["case_no"], {"kind": "household-register", "title": "户口簿",
                                          "number": "HK330100001"})  # fmt: skip
    await _deliver(bundles)
    view = await bundle_case_view(bundle)
    assert [c["status"] for c in view["cases"]][2:] == ["submitted", "submitted"]
    # The social-security card waits for the photo: no approval while it is owed.
    card_no = view["cases"][3]["case_no"]
    await world["cases"].act(world["agency"]["hz-rsj"], card_no, "accept")
    with pytest.raises(BundleMaterialPending):
        await world["cases"].act(world["agency"]["hz-rsj"], card_no, "approve")
    # The health insurer asks for a phone fix; one supplement answers it and the photo, and
    # reaches every case that needs either.
    ins_no = view["cases"][2]["case_no"]
    await world["cases"].act(world["agency"]["hz-ybj"], ins_no, "request_material",
                             note="请核对监护人电话")  # fmt: skip
    assert (await bundle_case_view(bundle))["status"] == "supplement_needed"
    photo = await _materials(world["store"], who, "新生儿照片")
    await bundles.supplement(who, bundle.bundle_no, {"phone": "13900139000"}, photo)
    ins = await Case.get(case_no=ins_no)
    card = await Case.get(case_no=card_no)
    assert ins.status == "submitted" and ins.form["guardian_phone"]["masked"] == "139****9000"
    assert card.status == "accepted" and card.form["guardian_phone"]["masked"] == "139****9000"
    assert any(m["name"] == "照片" for m in card.materials)
    assert (await bundle_case_view(bundle))["status"] == "in_progress"
    with pytest.raises(BundleSupplementUnneeded):
        await bundles.supplement(who, bundle.bundle_no, {}, [])
    with pytest.raises(BundleNotFinished):
        await world["ratings"].rate(bundle, "app", dict.fromkeys(
            ("overall", "efficiency", "guide_accuracy", "convenience", "ease_of_use"), 5), None)
    await _work(world, ins_no)
    await _work(world, card_no, {"kind": "social-security-card", "title": "社会保障卡",
                                 "number": "SB330100001"})  # fmt: skip
    await _deliver(bundles)
    bundle = await BundleCase.get(id=bundle.id)
    view = await bundle_case_view(bundle)
    assert view["status"] == "completed"
    assert {x["number"] for x in view["result"]["licences"]} == {
        "P330100001", "HK330100001", "SB330100001"}  # fmt: skip
    assert await ELicence.filter(citizen_id=who.citizen_id, legal_person_id=None).count() == 3
    assert not await Deadline.filter(subject_type="bundle", met_at=None).exists()
    # One rating, counted for every department; a bad one rectifies the lead (none was slow).
    scores = {"overall": 2, "efficiency": 2, "guide_accuracy": 3, "convenience": 2,
              "ease_of_use": 3}  # fmt: skip
    rated = await world["ratings"].rate(bundle, "app", scores, "等了好几天")
    assert len(rated["evaluations"]) == 4
    assert [t["department_code"] for t in rated["rectifications"]] == ["hz-wjw"]
    with pytest.raises(AlreadyRated):
        await world["ratings"].rate(await BundleCase.get(id=bundle.id), "app", scores, None)
    assert await Evaluation.all().count() == 4 and await Rectification.all().count() == 1
    print("\n" + json.dumps(view["timeline"], ensure_ascii=False))


async def test_a_refused_predecessor_cancels_what_waits_and_rectifies_it(world: dict) -> None:
    bundles: Bundles = world["bundles"]
    who = await person("app")
    mats = await _materials(world["store"], who, "父母身份证", "监护人户口簿", "新生儿照片")
    bundle, _ = await bundles.apply(
        who, {"bundle_code": BIRTH, "form": FORM, "materials": mats}, "birth-refused"
    )
    first = (await BundleItem.get(bundle_case_id=bundle.id, position=0)).case_id
    case = await Case.get(id=first)
    await world["cases"].act(world["agency"]["hz-wjw"], case.case_no, "reject", note="信息不符")
    await _deliver(bundles)
    bundle = await BundleCase.get(id=bundle.id)
    assert bundle.status == "partly_refused"
    statuses = [i.status for i in await BundleItem.filter(bundle_case_id=bundle.id)
                .order_by("position")]  # fmt: skip
    assert statuses == ["filed", "cancelled", "cancelled", "cancelled"]
    scores = dict.fromkeys(("overall", "efficiency", "guide_accuracy", "convenience",
                            "ease_of_use"), 1)  # fmt: skip
    rated = await world["ratings"].rate(bundle, "app", scores, None)
    assert rated["rectifications"] == [
        {"id": rated["rectifications"][0]["id"], "department_code": "hz-wjw",
         "slow_or_refused": True}
    ]  # fmt: skip


async def test_the_board_shows_who_holds_a_bundle_up(world: dict) -> None:
    who = await person("wechat")
    mats = await _materials(world["store"], who, "父母身份证", "监护人户口簿", "新生儿照片")
    bundle, _ = await world["bundles"].apply(
        who, {"bundle_code": BIRTH, "form": FORM, "materials": mats}, "birth-board"
    )
    board = await bundles_board(None)
    [row] = board["bundles"]
    assert row["bundle_no"] == bundle.bundle_no and row["held_up_by"] == "hz-wjw"
    assert row["holding"][0]["blocks"] == ["出生登记（户口登记）"]
    assert row["lead_department"] == "hz-wjw" and row["due_date"] == bundle.due_date.isoformat()
    assert (await bundles_board(("hz-jj",)))["bundles"] == []
    assert len((await bundles_board(("hz-rsj",)))["bundles"]) == 1


CANYIN = "YJS-330100-KBCYD"
SHOP = {
    "shop_name": "夕阳红小厨（解放路店）",
    "address": "杭州市上城区解放路 8 号",
    "manager_name": "张三",
    "contact_phone": "13800138000",
    "food_category": "热食类食品制售",
    "floor_area": 180,
}


async def test_the_restaurant_bundle_for_a_legal_person(world: dict, settings) -> None:
    """Applied for on behalf of a company: the fire check approves on the signed pledge
    (告知承诺), the licences go to the company's wallet, not the representative's."""
    vault = settings.vault()
    registry = await registry_agency(vault)
    await push(vault, registry, record())
    rep = await legal_person(vault, "张三", REP_ID)
    stranger = await legal_person(vault, "王五", OTHER_ID)
    bundles: Bundles = world["bundles"]
    mats = await _materials(
        world["store"], rep, "经营场所使用证明", "负责人身份证", "食品安全管理制度"
    )
    body = {"bundle_code": CANYIN, "form": SHOP, "materials": mats,
            "pending": ["场所平面布局图"], "pledges": ["XK-330100-00403-001"]}  # fmt: skip
    with pytest.raises(LegalPersonRequired):
        await bundles.apply(rep, body, "shop-0001")
    with pytest.raises(NotAuthorisedForLegalPerson):
        await bundles.apply(stranger, {**body, "on_behalf_of": USCC}, "shop-0001")
    assert await BundleCase.all().count() == 0
    bundle, _ = await bundles.apply(rep, {**body, "on_behalf_of": USCC}, "shop-0001")
    view = await bundle_case_view(bundle)
    assert view["legal_person"]["uscc"] == USCC
    assert [c["status"] for c in view["cases"]] == ["submitted", "waiting", "approved"]
    fire = view["cases"][2]
    assert fire["pledge"]["text"].startswith("本单位承诺") and fire["step"] == "deliver"
    steps = await CaseStep.filter(case_id=(await Case.get(case_no=fire["case_no"])).id)
    assert [(s.action, s.actor) for s in steps][1:] == [("accept", "pledge"), ("approve", "pledge")]
    # Someone without standing cannot see it.
    with pytest.raises(BundleCaseNotFound):
        await bundles.visible(stranger, bundle.bundle_no)
    await _work(world, view["cases"][0]["case_no"], {"kind": "business-licence",
                                                     "title": "营业执照", "number": "BL001"})
    await _work(world, fire["case_no"], {"kind": "fire-safety", "title": "消防安全检查合格证",
                                         "number": "XF001"})
    await _deliver(bundles)
    view = await bundle_case_view(bundle)
    food = view["cases"][1]
    assert food["status"] == "submitted" and food["received"][0]["material"] == "营业执照"
    assert food["pending"][0]["name"] == "场所平面布局图"
    plan = await _materials(world["store"], rep, "场所平面布局图")
    await bundles.supplement(rep, bundle.bundle_no, {}, plan)
    await _work(world, food["case_no"], {"kind": "food-licence", "title": "食品经营许可证",
                                         "number": "JY001"})
    await _deliver(bundles)
    assert (await BundleCase.get(id=bundle.id)).status == "completed"
    company = await ELicence.filter(legal_person_id__not_isnull=True).values_list(
        "number", flat=True
    )
    assert sorted(company) == ["BL001", "JY001", "XF001"]
    assert await ELicence.filter(citizen_id=rep.citizen_id, legal_person_id=None).count() == 0
    assert [x.number for x in await world["cases"].licences_of_legal_person(rep, USCC)] == [
        "JY001", "XF001", "BL001"]  # fmt: skip
