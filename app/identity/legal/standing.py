"""Who may act for a legal person: its legal representative or one of its current agents.

Authority follows the person, not an account: it is decided from the verified citizen's
ID-number hashes (under every lookup key the vault holds, so a key rotation in progress
changes nothing), compared with the registry's representative and the agents' hashes. So a
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
from app.identity.legal.uscc import normalise_uscc
from app.identity.models import Citizen, LegalPerson, LegalPersonAgent
from infra import clock
from infra.pii import PiiVault

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


async def verified_id_hashes(
    citizen_id: uuid.UUID, vault: PiiVault, using: BaseDBAsyncClient | None = None
) -> list[str]:
    """The citizen's ID-number hashes under every lookup key, or none: only a verified
    real name carries authority."""
    query = Citizen.filter(id=citizen_id, verified=True)
    if using is not None:
        query = query.using_db(using)
    sealed = await query.values_list("id_number_enc", flat=True)
    if not sealed or sealed[0] is None:
        return []
    return vault.lookup_hashes("id_number", vault.decrypt("id_number", sealed[0]))


async def standing_towards(
    legal_person: LegalPerson, id_hashes: list[str], using: BaseDBAsyncClient | None = None
) -> Standing | None:
    if not id_hashes:
        return None
    if legal_person.representative_id_number_hash in id_hashes:
        return Standing(legal_person, REPRESENTATIVE)
    query = LegalPersonAgent.filter(
        current_agents(), legal_person_id=legal_person.id, agent_id_number_hash__in=id_hashes
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
    vault: PiiVault,
    *,
    using: BaseDBAsyncClient | None = None,
    lock: bool = False,
) -> Standing:
    """The caller's standing, or NotAuthorisedForLegalPerson (LegalPersonNotFound first)."""
    legal_person = await find_legal_person(uscc, using=using, lock=lock)
    hashes = await verified_id_hashes(citizen_id, vault, using)
    found = await standing_towards(legal_person, hashes, using)
    if found is None:
        raise NotAuthorisedForLegalPerson(uscc=legal_person.uscc)
    return found


async def may_act_for(citizen_id: uuid.UUID, legal_person_id: int, vault: PiiVault) -> bool:
    legal_person = await LegalPerson.get_or_none(id=legal_person_id)
    if legal_person is None:
        return False
    hashes = await verified_id_hashes(citizen_id, vault)
    return await standing_towards(legal_person, hashes) is not None


async def acting_for(citizen_id: uuid.UUID, vault: PiiVault) -> list[Standing]:
    """Every legal person the citizen represents or is a current agent of."""
    id_hashes = await verified_id_hashes(citizen_id, vault)
    if not id_hashes:
        return []
    found = [
        Standing(lp, REPRESENTATIVE)
        for lp in await LegalPerson.filter(representative_id_number_hash__in=id_hashes).order_by(
            "id"
        )
    ]
    seen = {s.legal_person.id for s in found}
    agents = (
        await LegalPersonAgent.filter(current_agents(), agent_id_number_hash__in=id_hashes)
        .prefetch_related("legal_person")
        .order_by("id")
    )
    for agent in agents:
        if agent.legal_person.id not in seen:
            seen.add(agent.legal_person.id)
            found.append(Standing(agent.legal_person, AGENT, agent))
    return found
