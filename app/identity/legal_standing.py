"""Who may act for a legal person: its legal representative or one of its current agents.

Authority follows the person, not an account: it is decided from the verified citizen's
ID-number hash, compared with the registry's representative and the agents' hashes. So a
representative change at the registry moves authority at once, an agent authorised before
ever signing in holds it from the first verified sign-in, and a revocation or an expiry
ends it on the next request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from app.errors import LegalPersonNotFound, NotAuthorisedForLegalPerson
from app.identity.models import Citizen, LegalPerson, LegalPersonAgent
from app.identity.uscc import normalise_uscc
from infra import clock

REPRESENTATIVE = "representative"
AGENT = "agent"


@dataclass(frozen=True)
class Standing:
    """How a citizen stands towards one legal person."""

    legal_person: LegalPerson
    role: str  # representative | agent
    agent: LegalPersonAgent | None = None


def current_agents() -> Q:
    """Agents not revoked and not past their last day (a Shanghai date, inclusive)."""
    return Q(revoked_at=None) & (Q(expires_on=None) | Q(expires_on__gte=clock.shanghai_date()))


async def verified_id_hash(
    citizen_id: uuid.UUID, using: BaseDBAsyncClient | None = None
) -> str | None:
    """The citizen's ID-number hash, or None: only a verified real name carries authority."""
    query = Citizen.filter(id=citizen_id, verified=True)
    if using is not None:
        query = query.using_db(using)
    hashes = await query.values_list("id_number_hash", flat=True)
    return hashes[0] if hashes else None


async def standing_towards(
    legal_person: LegalPerson, id_hash: str | None, using: BaseDBAsyncClient | None = None
) -> Standing | None:
    if id_hash is None:
        return None
    if legal_person.representative_id_number_hash == id_hash:
        return Standing(legal_person, REPRESENTATIVE)
    query = LegalPersonAgent.filter(
        current_agents(), legal_person_id=legal_person.id, agent_id_number_hash=id_hash
    )
    if using is not None:
        query = query.using_db(using)
    agent = await query.order_by("-id").first()
    return Standing(legal_person, AGENT, agent) if agent is not None else None


async def find_legal_person(
    uscc: str, *, using: BaseDBAsyncClient | None = None, lock: bool = False
) -> LegalPerson:
    """By USCC (checked first), or LegalPersonNotFound. ``lock`` holds the row to the end of
    ``using``'s transaction: grants, revocations and registry changes take the same lock."""
    code = normalise_uscc(uscc)
    query = LegalPerson.filter(uscc=code)
    if using is not None:
        query = query.using_db(using)
    if lock:
        query = query.select_for_update()
    found = await query.first()
    if found is None:
        raise LegalPersonNotFound(uscc=code)
    return found


async def standing(
    citizen_id: uuid.UUID,
    uscc: str,
    *,
    using: BaseDBAsyncClient | None = None,
    lock: bool = False,
) -> Standing:
    """The caller's standing, or NotAuthorisedForLegalPerson (LegalPersonNotFound first)."""
    legal_person = await find_legal_person(uscc, using=using, lock=lock)
    found = await standing_towards(legal_person, await verified_id_hash(citizen_id, using), using)
    if found is None:
        raise NotAuthorisedForLegalPerson(uscc=legal_person.uscc)
    return found


async def may_act_for(citizen_id: uuid.UUID, legal_person_id: int) -> bool:
    legal_person = await LegalPerson.get_or_none(id=legal_person_id)
    if legal_person is None:
        return False
    return await standing_towards(legal_person, await verified_id_hash(citizen_id)) is not None


async def acting_for(citizen_id: uuid.UUID) -> list[Standing]:
    """Every legal person the citizen represents or is a current agent of."""
    id_hash = await verified_id_hash(citizen_id)
    if id_hash is None:
        return []
    found = [
        Standing(lp, REPRESENTATIVE)
        for lp in await LegalPerson.filter(representative_id_number_hash=id_hash).order_by("id")
    ]
    seen = {s.legal_person.id for s in found}
    agents = (
        await LegalPersonAgent.filter(current_agents(), agent_id_number_hash=id_hash)
        .prefetch_related("legal_person")
        .order_by("id")
    )
    for agent in agents:
        if agent.legal_person.id not in seen:
            seen.add(agent.legal_person.id)
            found.append(Standing(agent.legal_person, AGENT, agent))
    return found
