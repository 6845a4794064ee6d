"""Legal persons: the USCC check, the registry's upsert, and the representative's agents
(real PostgreSQL; domain calls, no HTTP)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from tortoise import connections

from app.errors import (
    AgencyKindForbidden,
    AgentAlreadyAuthorised,
    AgentNameMismatch,
    AgentNotFound,
    InvalidIdNumber,
    InvalidInput,
    LegalPersonDeregistered,
    LegalPersonNotFound,
    NotAuthorisedForLegalPerson,
    NotLegalRepresentative,
    UsccInvalid,
)
from app.identity.legal.agents import LegalAgents, agent_status, agent_view
from app.identity.legal.registry import LegalRegistry
from app.identity.legal.standing import acting_for, standing
from app.identity.legal.uscc import ALPHABET, check_character, normalise_uscc, with_check_character
from app.identity.models import LegalPerson, LegalPersonAgent, LegalPersonEvent
from infra import clock
from tests.identity.legal_fixtures import (
    AGENT_ID,
    NEW_REP_ID,
    OTHER_ID,
    OTHER_USCC,
    REP_ID,
    USCC,
    person,
    push,
    record,
    registry_agency,
    vault_of,
)


def mistyped(code: str) -> str:
    """The same code with its last character changed (a typo the check must catch)."""
    return code[:17] + ("1" if code[17] != "1" else "2")


# Published codes of real enterprises (国家企业信用信息公示系统).
REAL_CODES = ("91330100716105852F", "9144030071526726XG", "91110000600037341L")


def test_real_codes_pass_and_are_normalised() -> None:
    for code in REAL_CODES:
        assert normalise_uscc(code) == code
        assert normalise_uscc(f"  {code.lower()} ") == code
        assert check_character(code[:17]) == code[17]
    assert normalise_uscc(USCC) == USCC and len(USCC) == 18


def test_every_single_character_mistype_is_caught() -> None:
    code = REAL_CODES[0]
    for position in range(18):
        for other in ALPHABET:
            if other == code[position] or (2 <= position < 8 and not other.isdigit()):
                continue
            typo = code[:position] + other + code[position + 1 :]
            with pytest.raises(UsccInvalid):
                normalise_uscc(typo)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("91330100716105852", "18 characters"),
        ("91330100716105852FF", "18 characters"),
        ("91330100I16105852F", "I, O, S, V and Z"),
        ("9133010O716105852F", "I, O, S, V and Z"),
        ("91A30100716105852F", "region"),
        ("91330100716105852G", "check character"),
        (None, "18 characters"),
        (913301007161058520, "18 characters"),
    ],
)
def test_malformed_codes_say_what_is_wrong(raw: object, says: str) -> None:
    with pytest.raises(UsccInvalid) as refused:
        normalise_uscc(raw)
    assert refused.value.code == "USCC_INVALID" and says in refused.value.message


def test_the_helper_makes_valid_codes() -> None:
    made = with_check_character("91330106MA2B0000X")
    assert normalise_uscc(made) == made


async def test_only_a_registry_may_register(clean: None, settings) -> None:
    vault = vault_of(settings)
    for kind in ("fees", "traffic", "health"):
        agency = await registry_agency(vault, kind)
        with pytest.raises(AgencyKindForbidden) as refused:
            await push(vault, agency, record())
        assert refused.value.code == "AGENCY_KIND_FORBIDDEN"
    assert await LegalPerson.all().count() == 0
    assert await LegalPersonEvent.all().count() == 0


async def test_upsert_counts_and_bad_records_change_nothing(clean: None, settings) -> None:
    vault = vault_of(settings)
    registry = await registry_agency(vault)
    bad_uscc = record(mistyped(USCC))
    bad_id = record(OTHER_USCC, rep_id=mistyped(REP_ID))
    extra = {**record(OTHER_USCC), "capital_fen": 100}
    blank = record(OTHER_USCC, name="   ")
    out = await push(vault, registry, record(), bad_uscc, bad_id, extra, blank, record())
    assert (out["received"], out["created"], out["updated"], out["unchanged"]) == (6, 1, 0, 0)
    assert [(e["index"], e["field"], e["code"]) for e in out["errors"]] == [
        (1, "uscc", "USCC_INVALID"),
        (2, "representative.id_number", "INVALID_ID_NUMBER"),
        (3, "capital_fen", "INVALID_INPUT"),
        (4, "name", "INVALID_INPUT"),
        (5, "uscc", "DUPLICATE_IN_BATCH"),
    ]
    assert REP_ID not in json.dumps(out)  # refusals never echo personal data
    assert await LegalPerson.filter(uscc=OTHER_USCC).count() == 0
    stored = await LegalPerson.get(uscc=USCC)
    assert stored.status == "active" and stored.name == "杭州示例科技有限公司"
    assert stored.representative_name_masked == "张*"
    assert stored.representative_id_number_masked == REP_ID[:6] + "********" + REP_ID[-4:]
    assert REP_ID not in stored.representative_id_number_enc
    assert "张三" not in stored.representative_name_enc
    assert vault.decrypt("id_number", stored.representative_id_number_enc) == REP_ID
    assert stored.representative_id_number_hash == vault.lookup_hash("id_number", REP_ID)

    again = await push(vault, registry, record())
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)
    renamed = await push(vault, registry, record(name="杭州示例数字科技有限公司"))
    assert renamed["updated"] == 1
    assert (await LegalPerson.get(uscc=USCC)).name == "杭州示例数字科技有限公司"
    actions = await LegalPersonEvent.all().order_by("id").values_list("action", flat=True)
    assert actions == ["registered", "renamed"]
    events = json.dumps(await LegalPersonEvent.all().values("details"), ensure_ascii=False)
    assert REP_ID not in events and "张三" not in events

    with pytest.raises(InvalidInput):
        await push(vault, registry)  # an empty batch
    with pytest.raises(InvalidInput):
        await LegalRegistry(vault).upsert(registry, {"uscc": USCC})
    assert await LegalPerson.all().count() == 1


async def test_representative_appoints_lists_and_revokes_agents(clean: None, settings) -> None:
    vault = vault_of(settings)
    registry = await registry_agency(vault)
    await push(vault, registry, record(), record(OTHER_USCC, rep_id=OTHER_ID, rep_name="王五"))
    agents = LegalAgents(vault)
    rep = await person(vault, "张三", REP_ID)
    assert [(s.legal_person.uscc, s.role) for s in await acting_for(rep.citizen_id, vault)] == [
        (USCC, "representative")
    ]

    # The agent has no account yet: matched later by the ID number's hash.
    granted = await agents.grant(rep.citizen_id, USCC, name="李四", id_number=AGENT_ID)
    assert granted.granted_by_citizen_id == rep.citizen_id
    view = agent_view(granted)
    assert view["name_masked"] == "李*" and view["status"] == "active"
    assert view["id_number_masked"] == AGENT_ID[:6] + "********" + AGENT_ID[-4:]
    assert AGENT_ID not in json.dumps(view, ensure_ascii=False)
    agent = await person(vault, "李四", AGENT_ID)
    held = await standing(agent.citizen_id, USCC, vault)
    assert held.role == "agent" and held.agent is not None and held.agent.id == granted.id
    assert [s.role for s in await acting_for(agent.citizen_id, vault)] == ["agent"]

    before = await LegalPersonAgent.all().count()
    # Agents cannot appoint agents, list them or revoke them.
    with pytest.raises(NotLegalRepresentative):
        await agents.grant(agent.citizen_id, USCC, name="王五", id_number=OTHER_ID)
    with pytest.raises(NotLegalRepresentative):
        await agents.listed(agent.citizen_id, USCC)
    with pytest.raises(NotLegalRepresentative):
        await agents.revoke(agent.citizen_id, USCC, granted.id)
    # Nor can a stranger, an unverified citizen or the representative of another company.
    stranger = await person(vault, "赵六", NEW_REP_ID)
    unverified = await person(vault, "张三", REP_ID, verified=False)
    other_rep = await person(vault, "王五", OTHER_ID)
    for who in (stranger, unverified, other_rep):
        with pytest.raises(NotLegalRepresentative):
            await agents.grant(who.citizen_id, USCC, name="赵六", id_number=NEW_REP_ID)
    # Bad requests by the representative.
    with pytest.raises(AgentAlreadyAuthorised):
        await agents.grant(rep.citizen_id, USCC, name="李四", id_number=AGENT_ID)
    with pytest.raises(AgentNameMismatch):  # 王五 has a verified account under that number
        await agents.grant(rep.citizen_id, USCC, name="王六", id_number=OTHER_ID)
    with pytest.raises(InvalidInput):
        await agents.grant(rep.citizen_id, USCC, name="张三", id_number=REP_ID)
    with pytest.raises(InvalidInput):
        await agents.grant(
            rep.citizen_id,
            USCC,
            name="赵六",
            id_number=NEW_REP_ID,
            expires_on=clock.shanghai_date() - timedelta(days=1),
        )
    with pytest.raises(InvalidIdNumber):
        await agents.grant(rep.citizen_id, USCC, name="赵六", id_number=mistyped(NEW_REP_ID))
    with pytest.raises(UsccInvalid):
        await agents.grant(rep.citizen_id, mistyped(USCC), name="赵六", id_number=NEW_REP_ID)
    with pytest.raises(LegalPersonNotFound):
        await agents.grant(
            rep.citizen_id,
            with_check_character("91330106MA2B99999"),
            name="赵六",
            id_number=NEW_REP_ID,
        )
    assert await LegalPersonAgent.all().count() == before

    # A time-limited agent: holds through its last day, gone the day after.
    temp = await agents.grant(
        rep.citizen_id, USCC, name="赵六", id_number=NEW_REP_ID, expires_on=clock.shanghai_date()
    )
    assert (await standing(stranger.citizen_id, USCC, vault)).role == "agent"
    clock.travel(timedelta(days=1))
    with pytest.raises(NotAuthorisedForLegalPerson):
        await standing(stranger.citizen_id, USCC, vault)
    assert agent_status(await LegalPersonAgent.get(id=temp.id)) == "expired"
    clock.reset()

    revoked = await agents.revoke(rep.citizen_id, USCC, granted.id)
    assert revoked.revoked_by_citizen_id == rep.citizen_id and agent_status(revoked) == "revoked"
    with pytest.raises(NotAuthorisedForLegalPerson):
        await standing(agent.citizen_id, USCC, vault)
    assert await acting_for(agent.citizen_id, vault) == []
    again = await agents.revoke(rep.citizen_id, USCC, granted.id)  # no change, no new event
    assert again.revoked_at == revoked.revoked_at
    with pytest.raises(AgentNotFound):  # an agent of another legal person
        await agents.revoke(other_rep.citizen_id, OTHER_USCC, granted.id)
    legal_person, listed = await agents.listed(rep.citizen_id, USCC)
    assert legal_person.uscc == USCC
    assert [(a.id, agent_status(a)) for a in listed] == [
        (temp.id, "active"),
        (granted.id, "revoked"),
    ]
    trail = await LegalPersonEvent.filter(legal_person_id=legal_person.id).order_by("id")
    assert [(e.action, e.actor_type, e.actor_ref) for e in trail[1:]] == [
        ("agent_granted", "citizen", str(rep.citizen_id)),
        ("agent_granted", "citizen", str(rep.citizen_id)),
        ("agent_revoked", "citizen", str(rep.citizen_id)),
    ]
    assert trail[-1].details["agent_id"] == granted.id


async def test_registry_changes_move_authority(clean: None, settings) -> None:
    vault = vault_of(settings)
    registry = await registry_agency(vault)
    await push(vault, registry, record())
    agents = LegalAgents(vault)
    old_rep = await person(vault, "张三", REP_ID)
    new_rep = await person(vault, "赵六", NEW_REP_ID)
    agent = await person(vault, "李四", AGENT_ID)
    granted = await agents.grant(old_rep.citizen_id, USCC, name="李四", id_number=AGENT_ID)
    with pytest.raises(NotLegalRepresentative):
        await agents.grant(new_rep.citizen_id, USCC, name="王五", id_number=OTHER_ID)

    changed = await push(vault, registry, record(rep_name="赵六", rep_id=NEW_REP_ID))
    assert changed["updated"] == 1
    assert (await standing(new_rep.citizen_id, USCC, vault)).role == "representative"
    for former in (old_rep, agent):
        with pytest.raises(NotAuthorisedForLegalPerson):
            await standing(former.citizen_id, USCC, vault)
    with pytest.raises(NotLegalRepresentative):
        await agents.grant(old_rep.citizen_id, USCC, name="王五", id_number=OTHER_ID)
    revoked = await LegalPersonAgent.get(id=granted.id)
    assert revoked.revoked_reason == "representative_changed"
    assert revoked.revoked_by_citizen_id is None
    # The new representative appoints afresh, the former agent included.
    await agents.grant(new_rep.citizen_id, USCC, name="李四", id_number=AGENT_ID)
    assert (await standing(agent.citizen_id, USCC, vault)).role == "agent"
    event = await LegalPersonEvent.get(action="representative_changed")
    assert event.details == {"before": "张*", "after": "赵*", "agents_revoked": 1}

    # 注销: agents go, nobody appoints, and a record saying "active" cannot revive it.
    gone = await push(vault, registry, record(rep_name="赵六", rep_id=NEW_REP_ID, status="x"))
    assert gone["errors"][0]["field"] == "status"
    assert (await LegalPerson.get(uscc=USCC)).status == "active"
    await push(vault, registry, record(rep_name="赵六", rep_id=NEW_REP_ID, status="deregistered"))
    stored = await LegalPerson.get(uscc=USCC)
    assert stored.status == "deregistered" and stored.deregistered_at is not None
    with pytest.raises(NotAuthorisedForLegalPerson):
        await standing(agent.citizen_id, USCC, vault)
    with pytest.raises(LegalPersonDeregistered):
        await agents.grant(new_rep.citizen_id, USCC, name="王五", id_number=OTHER_ID)
    revived = await push(vault, registry, record(rep_name="赵六", rep_id=NEW_REP_ID))
    assert [(e["field"], e["code"]) for e in revived["errors"]] == [
        ("status", "LEGAL_PERSON_DEREGISTERED")
    ]
    assert (await LegalPerson.get(uscc=USCC)).status == "deregistered"
    # The representative still stands towards it (to follow its cases).
    assert (await standing(new_rep.citizen_id, USCC, vault)).role == "representative"


async def test_check_constraints_exist_in_postgresql(clean: None) -> None:
    rows = await connections.get("default").execute_query_dict(
        "SELECT conname FROM pg_constraint WHERE contype = 'c'"
    )
    names = {r["conname"] for r in rows}
    assert {
        "legal_person_status_known",
        "legal_person_deregistered_consistent",
        "legal_person_agent_revocation_complete",
    } <= names
