"""Legal persons (法人) over HTTP: the registry's signed upsert, and the representative's
agents (经办人) — authorise, list (masked), revoke."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic.response import JSONResponse

from app.http.agency import agency_caller
from app.http.answers import answer
from app.http.auth import resident
from app.http.bodies import json_object, parse
from app.http.openapi import documented
from app.identity.legal.agents import agent_view, legal_person_view
from app.identity.legal.registry import LegalPersonIn
from app.identity.legal.standing import acting_for

bp = Blueprint("legal_persons", url_prefix="/api/v1")


class RegistryRecords(BaseModel):
    records: list[LegalPersonIn] = Field(min_length=1, max_length=500)


class GrantRequest(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=18)
    # The last day (Shanghai) the authorisation holds; none means until revoked.
    expires_on: date | None = None


def _services(request: Request) -> Any:
    return request.app.ctx.services


@bp.post("/agency/legal-persons")
@documented(
    "Market-regulation registry: upsert legal persons by USCC (representative changes and "
    "deregistration included). Bad records are reported by index and field; the others are "
    "applied.",
    body=RegistryRecords,
    auth="agency",
    responses={
        200: "received, created, updated, unchanged, rejected and errors",
        403: "AGENCY_KIND_FORBIDDEN",
    },
    tag="agency",
)
async def registry_upsert(request: Request) -> JSONResponse:
    agency = await agency_caller(request)
    body = json_object(request)
    outcome = await _services(request).legal_registry.upsert(agency, body.get("records"))
    return answer(outcome.as_dict())


@bp.get("/me/legal-persons")
@documented(
    "The legal persons I represent or am a current agent of, with my role.",
    auth="resident",
    tag="identity",
)
async def my_legal_persons(request: Request) -> JSONResponse:
    who = await resident(request)
    found = await acting_for(who.citizen_id, request.app.ctx.services.vault)
    listed = []
    for standing in found:
        view = legal_person_view(standing.legal_person, standing.role)
        if standing.agent is not None:
            view["agent_expires_on"] = (
                standing.agent.expires_on.isoformat() if standing.agent.expires_on else None
            )
        listed.append(view)
    return answer({"legal_persons": listed})


@bp.post("/legal-persons/<uscc:uscc>/agents")
@documented(
    "The legal representative authorises an agent by name and ID number (no account needed).",
    body=GrantRequest,
    auth="resident",
    responses={
        201: "the agent, masked",
        403: "NOT_LEGAL_REPRESENTATIVE",
        404: "LEGAL_PERSON_NOT_FOUND",
        409: "AGENT_ALREADY_AUTHORISED, LEGAL_PERSON_DEREGISTERED",
        422: "USCC_INVALID, INVALID_ID_NUMBER, AGENT_NAME_MISMATCH",
    },
    tag="identity",
)
async def grant_agent(request: Request, uscc: str) -> JSONResponse:
    who = await resident(request)
    body = parse(request, GrantRequest)
    agent = await _services(request).legal_agents.grant(
        who.citizen_id, uscc, name=body.name, id_number=body.id_number, expires_on=body.expires_on
    )
    return answer(agent_view(agent), 201)


@bp.get("/legal-persons/<uscc:uscc>/agents")
@documented(
    "The legal person's agents, masked, newest first (to the legal representative).",
    auth="resident",
    responses={403: "NOT_LEGAL_REPRESENTATIVE", 404: "LEGAL_PERSON_NOT_FOUND"},
    tag="identity",
)
async def list_agents(request: Request, uscc: str) -> JSONResponse:
    who = await resident(request)
    legal_person, agents = await _services(request).legal_agents.listed(who.citizen_id, uscc)
    return answer(
        {
            "legal_person": legal_person_view(legal_person),
            "agents": [agent_view(a) for a in agents],
        }
    )


@bp.delete("/legal-persons/<uscc:uscc>/agents/<agent_id:id>")
@documented(
    "The legal representative revokes an agent, effective at once.",
    auth="resident",
    responses={200: "the agent, revoked", 403: "NOT_LEGAL_REPRESENTATIVE", 404: "AGENT_NOT_FOUND"},
    tag="identity",
)
async def revoke_agent(request: Request, uscc: str, agent_id: int) -> JSONResponse:
    who = await resident(request)
    agent = await _services(request).legal_agents.revoke(who.citizen_id, uscc, agent_id)
    return answer(agent_view(agent))
