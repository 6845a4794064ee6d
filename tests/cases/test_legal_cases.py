"""Cases on behalf of a legal person: who may file, see and supplement them, and bad input
that stores nothing (real PostgreSQL; domain calls, no HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.agency.models import Agency
from app.cases.demo import LEGAL_ITEM_CODE
from app.cases.materials import MaterialStore, attached_material
from app.cases.models import Case, CaseStep
from app.cases.service import Cases
from app.cases.views import case_view
from app.errors import (
    CaseNotFound,
    LegalPersonDeregistered,
    LegalPersonNotFound,
    LegalPersonRequired,
    NotAuthorisedForLegalPerson,
    NotVerified,
    OnBehalfNotAllowed,
    UsccInvalid,
)
from app.identity.legal.agents import LegalAgents
from app.supervision.models import Deadline
from infra.outbox.models import OutboxEvent
from tests.cases.fixtures import GOOD_FORM, ITEM_CODE, PDF, PNG, seed
from tests.identity.legal_fixtures import (
    AGENT_ID,
    NEW_REP_ID,
    OTHER_ID,
    REP_ID,
    USCC,
    person,
    push,
    record,
    registry_agency,
    vault_of,
)

LEGAL_FORM = {"address": "杭州市西湖区文三路 1 号", "beds": 120, "contact_phone": "13900139000"}


@pytest.fixture
async def world(clean: None, settings, tmp_path: Path):
    creds = await seed(settings, tmp_path)
    vault = vault_of(settings)
    desk = await Agency.get(key=creds["key"])
    registry = await registry_agency(vault)
    await push(vault, registry, record())
    cases = Cases(vault, settings.service_rules)
    store = MaterialStore(settings.vault(), b"k" * 32, settings.service_rules.upload_max_bytes)
    return vault, cases, store, desk, registry


async def _counts() -> tuple[int, int, int, int]:
    return (
        await Case.all().count(),
        await CaseStep.all().count(),
        await OutboxEvent.all().count(),
        await Deadline.all().count(),
    )


async def _licence_file(store: MaterialStore, who) -> list[dict]:
    m = await store.store(who.citizen_id, "licence.pdf", PDF)
    return [{"name": "营业执照", "material_id": m.id}]


async def test_audience_decides_whether_on_behalf_of_is_required(world) -> None:
    vault, cases, store, _, _ = world
    rep = await person(vault, "张三", REP_ID)
    own = await store.store(rep.citizen_id, "id.png", PNG)
    personal_att = [{"name": "身份证", "material_id": own.id}]
    legal_att = await _licence_file(store, rep)
    before = await _counts()
    with pytest.raises(OnBehalfNotAllowed) as refused:
        await cases.apply(rep, ITEM_CODE, GOOD_FORM, personal_att, on_behalf_of=USCC)
    assert refused.value.details["field"] == "on_behalf_of"
    with pytest.raises(LegalPersonRequired):
        await cases.apply(rep, LEGAL_ITEM_CODE, LEGAL_FORM, legal_att)
    with pytest.raises(LegalPersonRequired):
        await cases.apply(rep, LEGAL_ITEM_CODE, LEGAL_FORM, legal_att, on_behalf_of="")
    with pytest.raises(UsccInvalid):
        await cases.apply(rep, LEGAL_ITEM_CODE, LEGAL_FORM, legal_att, on_behalf_of=USCC[:17])
    with pytest.raises(LegalPersonNotFound):
        await cases.apply(
            rep, LEGAL_ITEM_CODE, LEGAL_FORM, legal_att, on_behalf_of="91330100716105852F"
        )
    assert await _counts() == before

    personal = await cases.apply(rep, ITEM_CODE, GOOD_FORM, personal_att)
    assert personal.legal_person_id is None
    filed = await cases.apply(rep, LEGAL_ITEM_CODE, LEGAL_FORM, legal_att, on_behalf_of=USCC)
    view = await case_view(filed)
    assert view["legal_person"] == {"uscc": USCC, "name": "杭州示例科技有限公司"}
    assert view["form"]["contact_phone"] == "139****9000"
    assert (await case_view(personal))["legal_person"] is None


async def test_only_the_representative_and_current_agents_file_and_see(world) -> None:
    vault, cases, store, desk, _ = world
    agents = LegalAgents(vault)
    rep = await person(vault, "张三", REP_ID)
    agent = await person(vault, "李四", AGENT_ID)
    stranger = await person(vault, "王五", OTHER_ID)
    unverified_rep = await person(vault, "张三", REP_ID, verified=False)

    # Not (yet) an agent: refused, and nothing is stored.
    stranger_att = await _licence_file(store, stranger)
    agent_att = await _licence_file(store, agent)
    before = await _counts()
    for who, att in ((stranger, stranger_att), (agent, agent_att)):
        with pytest.raises(NotAuthorisedForLegalPerson):
            await cases.apply(who, LEGAL_ITEM_CODE, LEGAL_FORM, att, on_behalf_of=USCC)
    with pytest.raises(NotVerified):  # the same ID number, not proven: no authority
        await cases.apply(unverified_rep, LEGAL_ITEM_CODE, LEGAL_FORM, [], on_behalf_of=USCC)
    assert await _counts() == before

    grant = await agents.grant(rep.citizen_id, USCC, name="李四", id_number=AGENT_ID)
    case = await cases.apply(agent, LEGAL_ITEM_CODE, LEGAL_FORM, agent_att, on_behalf_of=USCC)
    assert case.citizen_id == agent.citizen_id and case.legal_person_id is not None
    for who in (agent, rep):
        assert (await cases.visible(who, case.case_no)).id == case.id
    with pytest.raises(CaseNotFound):
        await cases.visible(stranger, case.case_no)
    listed = await cases.for_legal_person(rep, USCC)
    assert [c.case_no for c in listed] == [case.case_no]
    with pytest.raises(NotAuthorisedForLegalPerson):
        await cases.for_legal_person(stranger, USCC)

    # Sent back: the representative supplements the agent's case with a file of their own,
    # and the department can open it.
    await cases.act(desk.id, case.case_no, "request_material", note="缺消防验收意见")
    fire = await store.store(rep.citizen_id, "fire.png", PNG)
    resumed = await cases.supplement(
        rep, case.case_no, {"beds": 150}, [{"name": "消防验收意见", "material_id": fire.id}]
    )
    assert resumed.status == "submitted" and resumed.form["beds"] == 150
    assert (await attached_material(resumed, fire.id)).citizen_id == rep.citizen_id

    # Revoked: the agent who filed it no longer sees it, nor can file or supplement.
    await agents.revoke(rep.citizen_id, USCC, grant.id)
    with pytest.raises(CaseNotFound):
        await cases.visible(agent, case.case_no)
    await cases.act(desk.id, case.case_no, "request_material", note="再补")
    with pytest.raises(CaseNotFound):
        await cases.supplement(agent, case.case_no, {"beds": 10}, [])
    before = await _counts()
    with pytest.raises(NotAuthorisedForLegalPerson):
        await cases.apply(agent, LEGAL_ITEM_CODE, LEGAL_FORM, agent_att, on_behalf_of=USCC)
    assert await _counts() == before
    assert (await Case.get(id=case.id)).form["beds"] == 150
    assert (await cases.visible(rep, case.case_no)).status == "returned"


async def test_registry_changes_reach_cases(world) -> None:
    vault, cases, store, _, registry = world
    rep = await person(vault, "张三", REP_ID)
    new_rep = await person(vault, "赵六", NEW_REP_ID)
    case = await cases.apply(
        rep, LEGAL_ITEM_CODE, LEGAL_FORM, await _licence_file(store, rep), on_behalf_of=USCC
    )
    await push(vault, registry, record(rep_name="赵六", rep_id=NEW_REP_ID))
    with pytest.raises(CaseNotFound):
        await cases.visible(rep, case.case_no)
    assert (await cases.visible(new_rep, case.case_no)).id == case.id

    await push(vault, registry, record(rep_name="赵六", rep_id=NEW_REP_ID, status="deregistered"))
    before = await _counts()
    with pytest.raises(LegalPersonDeregistered):
        await cases.apply(
            new_rep,
            LEGAL_ITEM_CODE,
            LEGAL_FORM,
            await _licence_file(store, new_rep),
            on_behalf_of=USCC,
        )
    assert await _counts() == before
    # The representative still follows the legal person's earlier cases.
    assert (await cases.visible(new_rep, case.case_no)).id == case.id
