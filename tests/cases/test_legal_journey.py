"""A legal person's journey against the live server (yiwang serve --workers 2, real PG +
Redis): the registry registers it (other agencies are refused), the representative authorises
an agent, the agent applies on its behalf and follows the case, others see nothing, a
revocation ends the agent's access at once, and a new representative at the registry takes
the authority over."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx

from app.agency.signing import create_agency
from app.cases.demo import LEGAL_ITEM_CODE
from app.cases.models import Case
from app.identity.models import LegalPerson, LegalPersonAgent
from infra import clock
from tests.cases.fixtures import GOOD_FORM, ITEM_CODE, PDF, PNG, seed
from tests.identity.legal_fixtures import (
    AGENT_ID,
    NEW_REP_ID,
    OTHER_ID,
    REP_ID,
    USCC,
    record,
    vault_of,
)
from tests.journeys import agency_post, bearer, create_agency_via_cli, verified_resident

REGISTRY_PATH = "/api/v1/agency/legal-persons"
LEGAL_FORM = {"address": "杭州市西湖区文三路 1 号", "beds": 120, "contact_phone": "13900139000"}


async def _upload(api: httpx.AsyncClient, token: str, name: str, data: bytes) -> int:
    kind = "application/pdf" if name.endswith(".pdf") else "image/png"
    r = await api.post(
        "/api/v1/materials", headers=bearer(token), files={"file": (name, data, kind)}
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _apply(
    api: httpx.AsyncClient, token: str, item_code: str, form: dict, materials: list, **extra
) -> httpx.Response:
    body = {"item_code": item_code, "form": form, "materials": materials, **extra}
    return await api.post("/api/v1/cases", headers=bearer(token), json=body)


async def _case(api: httpx.AsyncClient, token: str, case_no: str) -> httpx.Response:
    return await api.get(f"/api/v1/cases/{case_no}", headers=bearer(token))


async def test_registry_agents_and_cases_on_behalf(
    clean: None,
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    settings,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    await seed(settings, tmp_path)
    doc = (await api.get("/openapi.json")).json()
    assert {REGISTRY_PATH, "/api/v1/legal-persons/{uscc}/agents"} <= set(doc["paths"])

    # Only the market-regulation registry registers legal persons.
    vault = vault_of(settings)
    fees, fees_secret = await create_agency(vault, name="浙江省教育考试院", kind="fees")
    refused = await agency_post(
        api, {"key": fees.key, "secret": fees_secret}, REGISTRY_PATH, {"records": [record()]}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "AGENCY_KIND_FORBIDDEN"
    assert await LegalPerson.all().count() == 0
    registry = create_agency_via_cli(env, kind="market", name="浙江省市场监督管理局")
    registered = await agency_post(api, registry, REGISTRY_PATH, {"records": [record()]})
    assert registered.status_code == 200, registered.text
    assert registered.json()["created"] == 1 and registered.json()["errors"] == []

    _, rep = await verified_resident(api, sandbox, "app", name="张三", id_number=REP_ID)
    _, stranger = await verified_resident(api, sandbox, "alipay", name="王五", id_number=OTHER_ID)
    mine = (await api.get("/api/v1/me/legal-persons", headers=bearer(rep))).json()
    assert mine["legal_persons"] == [
        {
            "uscc": USCC,
            "name": "杭州示例科技有限公司",
            "status": "active",
            "representative_name_masked": "张*",
            "role": "representative",
        }
    ]

    # The agent is authorised before they ever sign in, by name and ID number.
    agents_path = f"/api/v1/legal-persons/{USCC}/agents"
    last_day = (clock.shanghai_date() + timedelta(days=30)).isoformat()
    granted = await api.post(
        agents_path,
        headers=bearer(rep),
        json={"name": "李四", "id_number": AGENT_ID, "expires_on": last_day},
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["name_masked"] == "李*" and granted.json()["expires_on"] == last_day
    assert AGENT_ID not in granted.text and "李四" not in granted.text
    _, agent = await verified_resident(api, sandbox, "app", name="李四", id_number=AGENT_ID)
    acting = (await api.get("/api/v1/me/legal-persons", headers=bearer(agent))).json()
    assert [(p["uscc"], p["role"], p["agent_expires_on"]) for p in acting["legal_persons"]] == [
        (USCC, "agent", last_day)
    ]

    # Agents cannot appoint agents (nor see the list); nothing changes.
    appoint = await api.post(
        agents_path, headers=bearer(agent), json={"name": "王五", "id_number": OTHER_ID}
    )
    assert appoint.status_code == 403 and appoint.json()["code"] == "NOT_LEGAL_REPRESENTATIVE"
    listing = await api.get(agents_path, headers=bearer(agent))
    assert listing.status_code == 403 and listing.json()["code"] == "NOT_LEGAL_REPRESENTATIVE"
    assert await LegalPersonAgent.all().count() == 1

    # The item's audience decides: legal needs on_behalf_of, personal refuses it.
    licence = [{"name": "营业执照", "material_id": await _upload(api, agent, "yyzz.pdf", PDF)}]
    missing = await _apply(api, agent, LEGAL_ITEM_CODE, LEGAL_FORM, licence)
    assert missing.status_code == 422 and missing.json()["code"] == "LEGAL_PERSON_REQUIRED"
    id_card = [{"name": "身份证", "material_id": await _upload(api, agent, "id.png", PNG)}]
    personal = await _apply(api, agent, ITEM_CODE, GOOD_FORM, id_card, on_behalf_of=USCC)
    assert personal.status_code == 422 and personal.json()["code"] == "ON_BEHALF_NOT_ALLOWED"
    # Someone who is neither representative nor agent: refused, nothing stored.
    theirs = [{"name": "营业执照", "material_id": await _upload(api, stranger, "y.pdf", PDF)}]
    intruder = await _apply(api, stranger, LEGAL_ITEM_CODE, LEGAL_FORM, theirs, on_behalf_of=USCC)
    assert intruder.status_code == 403
    assert intruder.json()["code"] == "NOT_AUTHORISED_FOR_LEGAL_PERSON"
    assert await Case.all().count() == 0

    applied = await _apply(api, agent, LEGAL_ITEM_CODE, LEGAL_FORM, licence, on_behalf_of=USCC)
    assert applied.status_code == 201, applied.text
    case_no = applied.json()["case_no"]
    assert applied.json()["legal_person"] == {"uscc": USCC, "name": "杭州示例科技有限公司"}

    for token in (agent, rep):
        seen = await _case(api, token, case_no)
        assert seen.status_code == 200, seen.text
        assert [s["action"] for s in seen.json()["timeline"]] == ["apply"]
    unknown = await _case(api, stranger, "2099010100000010")
    hidden = await _case(api, stranger, case_no)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["code"] == unknown.json()["code"] == "CASE_NOT_FOUND"
    assert hidden.json()["message"] == unknown.json()["message"]
    listed = await api.get(f"/api/v1/legal-persons/{USCC}/cases", headers=bearer(rep))
    assert [c["case_no"] for c in listed.json()["cases"]] == [case_no]
    outsider = await api.get(f"/api/v1/legal-persons/{USCC}/cases", headers=bearer(stranger))
    assert outsider.status_code == 403

    # Revoked: effective at once, on every worker.
    agent_id = granted.json()["id"]
    revoked = await api.delete(f"{agents_path}/{agent_id}", headers=bearer(rep))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    for _ in range(4):  # two workers: every one of them has stopped showing it
        gone = await _case(api, agent, case_no)
        assert gone.status_code == 404 and gone.json()["code"] == "CASE_NOT_FOUND"
    acting = (await api.get("/api/v1/me/legal-persons", headers=bearer(agent))).json()
    assert acting["legal_persons"] == []
    agents = (await api.get(agents_path, headers=bearer(rep))).json()["agents"]
    assert [(a["id"], a["status"]) for a in agents] == [(agent_id, "revoked")]

    # A new representative at the registry: authority moves, old agents stay revoked.
    _, new_rep = await verified_resident(api, sandbox, "app", name="赵六", id_number=NEW_REP_ID)
    assert (await _case(api, new_rep, case_no)).status_code == 404
    changed = await agency_post(
        api, registry, REGISTRY_PATH, {"records": [record(rep_name="赵六", rep_id=NEW_REP_ID)]}
    )
    assert changed.json()["updated"] == 1
    assert (await _case(api, new_rep, case_no)).status_code == 200
    assert (await _case(api, rep, case_no)).status_code == 404
    old = await api.post(
        agents_path, headers=bearer(rep), json={"name": "李四", "id_number": AGENT_ID}
    )
    assert old.status_code == 403 and old.json()["code"] == "NOT_LEGAL_REPRESENTATIVE"
    again = await api.post(
        agents_path, headers=bearer(new_rep), json={"name": "李四", "id_number": AGENT_ID}
    )
    assert again.status_code == 201, again.text
    assert (await _case(api, agent, case_no)).status_code == 200
