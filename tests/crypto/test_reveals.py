"""Reveals of a citizen's personal data to an agency (case forms, notice payers, receipt
faces) on PostgreSQL: each look appends exactly one chained audit record naming who, which
fields of which record and why, never the values; a refused look appends none; and
``yiwang audit verify`` catches a reveal record changed afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from app.agency.models import Agency
from app.agency.signing import create_agency
from app.cases.models import Case
from app.cases.service import Cases
from app.catalog.models import AuditEntry
from app.config import Settings
from app.errors import (
    CaseNotFound,
    FormInvalid,
    MaterialNotFound,
    NoticeNotFound,
    ReceiptNotFound,
)
from app.fees.fee_items import FeeItemInput, register_fee_item
from app.fees.notices import NoticeInput, NoticeLineInput, Notices
from app.receipts.models import Receipt
from app.receipts.service import build_receipts
from payments.models import Order
from tests.cases.fixtures import GOOD_FORM, ITEM_CODE, PDF, person, seed
from tests.journeys import agency_post
from tests.receipts.helpers import new_citizen, paid_order

pytestmark = pytest.mark.usefixtures("clean")
ROOT = Path(__file__).parents[2]
REASON = "核对申请人身份"


def verify(env: dict[str, str]) -> tuple[int, dict]:
    run = subprocess.run(
        [sys.executable, "-m", "app", "audit", "verify"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return run.returncode, json.loads(run.stdout.strip().splitlines()[-1])


async def chained() -> list[AuditEntry]:
    return await AuditEntry.filter(seq__not_isnull=True).order_by("seq")


async def filed_case(settings: Settings, tmp_path: Path) -> tuple[Cases, Agency, str, dict]:
    from app.cases.materials import MaterialStore

    creds = await seed(settings, tmp_path)
    agency = await Agency.get(key=creds["key"])
    cases = Cases(settings.vault(), settings.service_rules)
    store = MaterialStore(settings.vault(), b"k" * 32, settings.service_rules.upload_max_bytes)
    who = await person("wechat")
    material = await store.store(who.citizen_id, "id.pdf", PDF)
    case = await cases.apply(
        who, ITEM_CODE, GOOD_FORM, [{"name": "身份证", "material_id": material.id}]
    )
    return cases, agency, case.case_no, creds


async def test_a_case_form_reveal_appends_one_chained_record_and_verify_catches_tampering(
    settings: Settings, env: dict[str, str], tmp_path: Path
) -> None:
    cases, agency, case_no, _ = await filed_case(settings, tmp_path)
    before = len(await chained())

    shown = await cases.reveal_form(agency, case_no, [], REASON)
    assert shown == {"applicant_phone": GOOD_FORM["applicant_phone"]}

    entries = await chained()
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry.action == "reveal.case_form"
    assert (entry.subject_type, entry.subject_id) == ("case", case_no)
    assert entry.operator_name == f"agency:{agency.key}" and entry.operator_id is None
    assert entry.after == {"fields": ["applicant_phone"]} and entry.reason == REASON
    # The record names the field, never its value.
    assert GOOD_FORM["applicant_phone"] not in json.dumps(
        [entry.before, entry.after, entry.reason], ensure_ascii=False
    )
    code, report = verify(env)
    assert code == 0 and report["intact"] is True

    # Someone with database access rewrites why the look happened: verify names the record.
    await AuditEntry.filter(id=entry.id).update(reason="例行检查")
    code, report = verify(env)
    assert code == 1 and report["first_break"]["record_id"] == entry.id
    assert report["first_break"]["problem"] == "content changed"


async def test_refused_case_form_reveals_append_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    cases, agency, case_no, _ = await filed_case(settings, tmp_path)
    before = len(await chained())
    with pytest.raises(FormInvalid):  # not a sealed field: nothing to reveal, nothing shown
        await cases.reveal_form(agency, case_no, ["bank"], REASON)
    with pytest.raises(FormInvalid):
        await cases.reveal_form(agency, case_no, ["no_such_field"], REASON)
    stranger, _ = await create_agency(settings.vault(), name="别的部门", kind="fees")
    with pytest.raises(CaseNotFound):  # another agency's case does not exist for it
        await cases.reveal_form(stranger, case_no, [], REASON)
    assert len(await chained()) == before


async def test_each_fetch_of_a_case_material_by_the_agency_is_one_chained_record(
    settings: Settings, tmp_path: Path
) -> None:
    from app.cases.materials import MaterialStore

    cases, agency, case_no, _ = await filed_case(settings, tmp_path)
    store = MaterialStore(settings.vault(), b"k" * 32, settings.service_rules.upload_max_bytes)
    material_id = (await Case.get(case_no=case_no)).materials[0]["material_id"]
    before = len(await chained())

    stranger, _ = await create_agency(settings.vault(), name="别的部门", kind="fees")
    with pytest.raises(CaseNotFound):
        await cases.material_for_agency(stranger, case_no, material_id, store)
    with pytest.raises(MaterialNotFound):
        await cases.material_for_agency(agency, case_no, material_id + 999, store)
    assert len(await chained()) == before

    for _ in range(2):
        material, data = await cases.material_for_agency(agency, case_no, material_id, store)
        assert data == PDF and material.id == material_id
    entries = await chained()
    assert len(entries) == before + 2
    assert {(e.action, e.subject_id) for e in entries[-2:]} == {("reveal.case_material", case_no)}
    assert entries[-1].after == {"fields": [f"material:{material_id}"]}


async def test_the_agency_api_reveals_a_case_form_with_a_reason_only(
    settings: Settings, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    _, _, case_no, creds = await filed_case(settings, tmp_path)
    path = f"/api/v1/agency/cases/{case_no}/form/reveal"
    before = len(await chained())

    no_reason = await agency_post(api, creds, path, {"fields": ["applicant_phone"]})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "INVALID_INPUT"
    not_sealed = await agency_post(api, creds, path, {"fields": ["bank"], "reason": REASON})
    assert not_sealed.status_code == 422 and not_sealed.json()["code"] == "FORM_INVALID"
    assert len(await chained()) == before

    shown = await agency_post(api, creds, path, {"fields": ["applicant_phone"], "reason": REASON})
    assert shown.status_code == 200, shown.text
    assert shown.json()["fields"] == {"applicant_phone": GOOD_FORM["applicant_phone"]}
    assert shown.headers["cache-control"] == "no-store"
    # The ordinary case view stays masked.
    entries = await chained()
    assert len(entries) == before + 1 and entries[-1].subject_id == case_no


async def test_a_notice_payer_reveal_is_audited_and_only_for_the_issuing_agency(
    settings: Settings,
) -> None:
    vault = settings.vault()
    agency, _ = await create_agency(vault, name="考试院", kind="fees", region_code="330000")
    await register_fee_item(agency, FeeItemInput("103001", "报名费", "103", standard_fen=3000))
    notice = await Notices(vault).issue(
        agency,
        NoticeInput(
            "张三", "11010519491231002X", (NoticeLineInput("103001", "报名费", 1, 3000, 3000),),
            date(2030, 1, 1),
        ),
    )
    other, _ = await create_agency(vault, name="别的执收单位", kind="fees")
    before = len(await chained())
    with pytest.raises(NoticeNotFound):
        await Notices(vault).reveal_payer(other, notice.payment_code, REASON)
    assert len(await chained()) == before

    payer = await Notices(vault).reveal_payer(agency, notice.payment_code, REASON)
    assert payer == {"name": "张三", "id_number": "11010519491231002X"}
    entries = await chained()
    assert len(entries) == before + 1
    assert entries[-1].action == "reveal.notice_payer"
    assert entries[-1].subject_id == notice.payment_code
    assert entries[-1].after == {"fields": ["id_number", "name"]}
    assert entries[-1].operator_name == f"agency:{agency.key}"


async def test_a_receipt_face_reveal_is_audited_and_only_for_the_collecting_agency(
    settings: Settings, redis: aioredis.Redis
) -> None:
    vault = settings.vault()
    receipts = build_receipts(vault, settings, redis)
    agency, _ = await create_agency(vault, name="交警支队", kind="traffic")
    other, _ = await create_agency(vault, name="考试院", kind="fees")
    citizen = await new_citizen()
    order, _ = await paid_order(vault, citizen.id, payer="李四光", emit=False)
    await Order.filter(id=order.id).update(agency_id=agency.id)
    await receipts.on_issue({"order_id": order.id})
    receipt = await Receipt.get(order_id=order.id)
    before = len(await chained())

    for who, number in ((other, receipt.receipt_no), (agency, "0" * 18), (agency, "../etc")):
        with pytest.raises(ReceiptNotFound):
            await receipts.reveal_face(who.id, who.key, number, REASON)
    assert len(await chained()) == before

    face = await receipts.reveal_face(agency.id, agency.key, receipt.receipt_no, REASON)
    assert face["payer"] == "李四光" and face["receipt_no"] == receipt.receipt_no
    assert face["amount_fen"] == order.amount_fen
    entries = await chained()
    assert len(entries) == before + 1
    assert entries[-1].action == "reveal.receipt_face"
    assert (entries[-1].subject_type, entries[-1].subject_id) == ("receipt", receipt.receipt_no)
    assert "李四光" not in json.dumps([entries[-1].after, entries[-1].reason], ensure_ascii=False)


async def test_the_agency_api_reveals_notice_payers_and_receipt_faces_to_their_own_agency(
    settings: Settings, api: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    vault = settings.vault()
    agency, secret = await create_agency(vault, name="考试院", kind="fees", region_code="330000")
    other, other_secret = await create_agency(vault, name="别的执收单位", kind="fees")
    mine = {"key": agency.key, "secret": secret}
    theirs = {"key": other.key, "secret": other_secret}
    await register_fee_item(agency, FeeItemInput("103001", "报名费", "103", standard_fen=3000))
    notice = await Notices(vault).issue(
        agency,
        NoticeInput(
            "张三", "11010519491231002X", (NoticeLineInput("103001", "报名费", 1, 3000, 3000),),
            date(2030, 1, 1),
        ),
    )
    payer_path = f"/api/v1/agency/notices/{notice.payment_code}/payer"
    before = len(await chained())

    assert (await agency_post(api, theirs, payer_path, {"reason": REASON})).status_code == 404
    code = notice.payment_code
    mistyped = f"/api/v1/agency/notices/{code[:-1]}{(int(code[-1]) + 1) % 10}/payer"
    refused = await agency_post(api, mine, mistyped, {"reason": REASON})
    assert refused.status_code == 422 and refused.json()["code"] == "PAYMENT_CODE_INVALID"
    assert (await agency_post(api, mine, payer_path, {"reason": "x"})).status_code == 422
    assert len(await chained()) == before

    shown = await agency_post(api, mine, payer_path, {"reason": REASON})
    assert shown.status_code == 200, shown.text
    assert shown.json()["payer"] == {"name": "张三", "id_number": "11010519491231002X"}
    assert len(await chained()) == before + 1

    receipts = build_receipts(vault, settings, redis)
    citizen = await new_citizen()
    order, _ = await paid_order(vault, citizen.id, payer="李四光", emit=False)
    await Order.filter(id=order.id).update(agency_id=agency.id)
    await receipts.on_issue({"order_id": order.id})
    receipt = await Receipt.get(order_id=order.id)
    face_path = f"/api/v1/agency/receipts/{receipt.receipt_no}/face"
    assert (await agency_post(api, theirs, face_path, {"reason": REASON})).status_code == 404
    face = await agency_post(api, mine, face_path, {"reason": REASON})
    assert face.status_code == 200, face.text
    assert face.json()["payer"] == "李四光" and face.json()["payer_masked"] != "李四光"
    entries = await chained()
    assert len(entries) == before + 2 and entries[-1].action == "reveal.receipt_face"
