"""The legal representative authorises agents (经办人) and revokes them.

Only the representative of an active legal person appoints, lists and revokes: agents cannot
appoint agents. An agent is named by name + ID number and matched by the ID number's keyed
hash, so they need no account yet. When that person already has a verified account, the
name must match it. Grants and revocations take the legal person's row lock, as applying on
its behalf does, so a revocation is effective for every request that starts after it
commits. Each change is audited with who made it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.errors import (
    AgentAlreadyAuthorised,
    AgentNameMismatch,
    AgentNotFound,
    InvalidInput,
    LegalPersonDeregistered,
    NotLegalRepresentative,
)
from app.identity.id_numbers import normalise_id_number
from app.identity.legal import audit as legal_audit
from app.identity.legal import states as legal_states
from app.identity.legal.standing import (
    REPRESENTATIVE,
    current_agents,
    find_legal_person,
    standing_towards,
    verified_id_hashes,
)
from app.identity.models import Citizen, LegalPerson, LegalPersonAgent
from infra import clock
from infra.masking import mask_id_number, mask_name
from infra.pii import PiiVault

REVOKED_BY_REPRESENTATIVE = "revoked"
MAX_LISTED = 200


@dataclass
class LegalAgents:
    vault: PiiVault

    async def _representative_of(
        self, citizen_id: uuid.UUID, uscc: str, tx: BaseDBAsyncClient | None = None
    ) -> LegalPerson:
        legal_person = await find_legal_person(uscc, using=tx, lock=tx is not None)
        hashes = await verified_id_hashes(citizen_id, self.vault, tx)
        found = await standing_towards(legal_person, hashes, tx)
        if found is None or found.role != REPRESENTATIVE:
            raise NotLegalRepresentative(uscc=legal_person.uscc)
        return legal_person

    async def grant(
        self,
        citizen_id: uuid.UUID,
        uscc: str,
        *,
        name: str,
        id_number: str,
        expires_on: date | None = None,
    ) -> LegalPersonAgent:
        number = normalise_id_number(id_number)
        clean_name = name.strip()
        if not clean_name:
            raise InvalidInput("The agent's name is required.", field="name")
        if expires_on is not None and expires_on < clock.shanghai_date():
            raise InvalidInput("The expiry date is in the past.", field="expires_on")
        id_hash = self.vault.lookup_hash("id_number", number)
        id_hashes = self.vault.lookup_hashes("id_number", number)
        await self._representative_of(citizen_id, uscc)  # refuse early, before any lock
        await self._check_name(id_hashes, clean_name)
        async with in_transaction() as tx:
            legal_person = await self._representative_of(citizen_id, uscc, tx)
            if legal_person.status != legal_states.ACTIVE:
                raise LegalPersonDeregistered(uscc=legal_person.uscc)
            if legal_person.representative_id_number_hash in id_hashes:
                raise InvalidInput(
                    "The legal representative acts without an authorisation.", field="id_number"
                )
            if (
                await LegalPersonAgent.filter(
                    current_agents(),
                    legal_person_id=legal_person.id,
                    agent_id_number_hash__in=id_hashes,
                )
                .using_db(tx)
                .exists()
            ):
                raise AgentAlreadyAuthorised(uscc=legal_person.uscc)
            agent = await LegalPersonAgent.create(
                legal_person_id=legal_person.id,
                agent_name_enc=self.vault.encrypt("name", clean_name),
                agent_name_masked=mask_name(clean_name),
                agent_id_number_hash=id_hash,
                agent_id_number_masked=mask_id_number(number),
                expires_on=expires_on,
                granted_by_citizen_id=citizen_id,
                granted_at=clock.now(),
                using_db=tx,
            )
            await legal_audit.record(
                legal_person.id,
                "agent_granted",
                actor_type=legal_audit.CITIZEN,
                actor_ref=citizen_id,
                using=tx,
                agent_id=agent.id,
                agent=agent.agent_name_masked,
                expires_on=expires_on.isoformat() if expires_on else None,
            )
        return agent

    async def _check_name(self, id_hashes: list[str], name: str) -> None:
        """A person with a verified account is named as the account's real name says."""
        holder = await Citizen.filter(id_number_hash__in=id_hashes, verified=True).first()
        if holder is None or holder.name_enc is None:
            return
        if self.vault.decrypt("name", holder.name_enc) != name:
            raise AgentNameMismatch(field="name")

    async def revoke(self, citizen_id: uuid.UUID, uscc: str, agent_id: int) -> LegalPersonAgent:
        """Effective at once. Revoking a revoked agent again changes nothing."""
        async with in_transaction() as tx:
            legal_person = await self._representative_of(citizen_id, uscc, tx)
            agent = await LegalPersonAgent.get_or_none(
                id=agent_id, legal_person_id=legal_person.id
            ).using_db(tx)
            if agent is None:
                raise AgentNotFound(agent_id=agent_id)
            now = clock.now()
            moved = (
                await LegalPersonAgent.filter(id=agent.id, revoked_at=None)
                .using_db(tx)
                .update(
                    revoked_at=now,
                    revoked_by_citizen_id=citizen_id,
                    revoked_reason=REVOKED_BY_REPRESENTATIVE,
                )
            )
            if moved == 1:
                await legal_audit.record(
                    legal_person.id,
                    "agent_revoked",
                    actor_type=legal_audit.CITIZEN,
                    actor_ref=citizen_id,
                    using=tx,
                    agent_id=agent.id,
                    agent=agent.agent_name_masked,
                )
            return await LegalPersonAgent.get(id=agent.id).using_db(tx)

    async def listed(
        self, citizen_id: uuid.UUID, uscc: str
    ) -> tuple[LegalPerson, list[LegalPersonAgent]]:
        legal_person = await self._representative_of(citizen_id, uscc)
        agents = (
            await LegalPersonAgent.filter(legal_person_id=legal_person.id)
            .order_by("-id")
            .limit(MAX_LISTED)
        )
        return legal_person, agents


def agent_status(agent: LegalPersonAgent) -> str:
    if agent.revoked_at is not None:
        return "revoked"
    if agent.expires_on is not None and agent.expires_on < clock.shanghai_date():
        return "expired"
    return "active"


def agent_view(agent: LegalPersonAgent) -> dict[str, Any]:
    """Masked: the agent's name and ID number never leave the server in clear."""
    return {
        "id": agent.id,
        "name_masked": agent.agent_name_masked,
        "id_number_masked": agent.agent_id_number_masked,
        "status": agent_status(agent),
        "expires_on": agent.expires_on.isoformat() if agent.expires_on else None,
        "granted_at": agent.granted_at.isoformat(),
        "revoked_at": agent.revoked_at.isoformat() if agent.revoked_at else None,
        "revoked_reason": agent.revoked_reason,
    }


def legal_person_view(legal_person: LegalPerson, role: str | None = None) -> dict[str, Any]:
    """Enterprise names and codes are public, the representative is shown masked."""
    view: dict[str, Any] = {
        "uscc": legal_person.uscc,
        "name": legal_person.name,
        "status": legal_person.status,
        "representative_name_masked": legal_person.representative_name_masked,
    }
    if role is not None:
        view["role"] = role
    return view
