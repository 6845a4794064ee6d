"""Legal persons as the market-regulation registry (市场监管) pushes them, upserted by USCC.

Only a registry agency may push. Each record is checked on its own and applied in its own
transaction: a bad record is reported by index, field and code and changes nothing, and the
good ones still land. A record identical to the last one received (same keyed fingerprint)
changes nothing, so a batch sent twice is a no-op. A new legal representative or a
deregistration revokes every agent at once: authority moves to the new representative, who
appoints agents afresh.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.agency.batch import (
    CREATED,
    UNCHANGED,
    UPDATED,
    BatchImport,
    Outcome,
    RecordRefused,
)
from app.agency.models import Agency
from app.errors import AgencyKindForbidden, DomainError, InvalidInput
from app.identity.id_numbers import normalise_id_number
from app.identity.legal import audit as legal_audit
from app.identity.legal import states as legal_states
from app.identity.legal.uscc import normalise_uscc
from app.identity.models import LegalPerson, LegalPersonAgent
from infra import clock
from infra.masking import mask_id_number, mask_name
from infra.pii import PiiVault
from infra.transitions import move

REGISTRY_KIND = "market"
MAX_RECORDS = 500
REPRESENTATIVE_CHANGED = "representative_changed"


class RepresentativeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=18)


class LegalPersonIn(BaseModel):
    """One registry record (the body is ``{"records": [LegalPersonIn, ...]}``)."""

    model_config = ConfigDict(extra="forbid")
    uscc: str = Field(min_length=1, max_length=18)
    name: str = Field(min_length=1, max_length=128)
    representative: RepresentativeIn
    status: Literal["active", "deregistered"] = "active"


@dataclass(frozen=True)
class Record:
    """A record that passed every check, in canonical form."""

    uscc: str
    name: str
    representative_name: str
    representative_id_number: str
    status: str


def check(raw: Any) -> Record:
    """The canonical record, or RecordRefused naming the field (never echoing its value)."""
    try:
        parsed = LegalPersonIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        raise RecordRefused(where, InvalidInput.code, first["msg"]) from None
    checks = (
        ("uscc", lambda: normalise_uscc(parsed.uscc)),
        ("representative.id_number", lambda: normalise_id_number(parsed.representative.id_number)),
    )
    canonical: dict[str, str] = {}
    for where, run in checks:
        try:
            canonical[where] = run()
        except DomainError as exc:
            raise RecordRefused(where, exc.code, exc.message) from None
    name, rep_name = parsed.name.strip(), parsed.representative.name.strip()
    if not name or not rep_name:
        where = "name" if not name else "representative.name"
        raise RecordRefused(where, InvalidInput.code, "A name cannot be blank.")
    return Record(
        canonical["uscc"], name, rep_name, canonical["representative.id_number"], parsed.status
    )


IMPORT = BatchImport(
    key="uscc",
    max_records=MAX_RECORDS,
    duplicate_message="This USCC appears twice in the batch.",
    check=check,
    key_of=lambda record: record.uscc,
)


@dataclass
class LegalRegistry:
    vault: PiiVault

    async def upsert(self, agency: Agency, raw_records: Any) -> Outcome:
        if agency.kind != REGISTRY_KIND:
            raise AgencyKindForbidden(
                "Only the market-regulation registry may register legal persons.",
                kind=agency.kind,
            )
        return await IMPORT.run(raw_records, lambda record: self._apply(agency, record))

    async def _apply(self, agency: Agency, record: Record) -> str:
        # Two first pushes of one USCC may race; the unique key decides, we retry once.
        for attempt in range(2):
            try:
                async with in_transaction() as tx:
                    return await self._apply_in(tx, agency, record)
            except IntegrityError:
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def _fingerprint(self, record: Record) -> str:
        canonical = json.dumps(
            [
                record.uscc,
                record.name,
                record.representative_name,
                record.representative_id_number,
                record.status,
            ],
            ensure_ascii=False,
        )
        return self.vault.lookup_hash("legal_person_record", canonical)

    def _representative(self, record: Record) -> dict[str, str]:
        return {
            "representative_name_enc": self.vault.encrypt("name", record.representative_name),
            "representative_name_masked": mask_name(record.representative_name),
            "representative_id_number_enc": self.vault.encrypt(
                "id_number", record.representative_id_number
            ),
            "representative_id_number_hash": self.vault.lookup_hash(
                "id_number", record.representative_id_number
            ),
            "representative_id_number_masked": mask_id_number(record.representative_id_number),
        }

    async def _apply_in(self, tx: BaseDBAsyncClient, agency: Agency, record: Record) -> str:
        now = clock.now()
        fingerprint = self._fingerprint(record)
        found = await LegalPerson.filter(uscc=record.uscc).using_db(tx).select_for_update().first()
        if found is None:
            created = await LegalPerson.create(
                uscc=record.uscc,
                name=record.name,
                status=record.status,
                fingerprint=fingerprint,
                registry_agency_id=agency.id,
                created_at=now,
                updated_at=now,
                deregistered_at=now if record.status == legal_states.DEREGISTERED else None,
                using_db=tx,
                **self._representative(record),
            )
            await legal_audit.record(
                created.id,
                "registered",
                actor_type=legal_audit.REGISTRY,
                actor_ref=agency.id,
                using=tx,
                name=record.name,
                status=record.status,
                representative=created.representative_name_masked,
            )
            return CREATED
        if found.fingerprint == fingerprint:
            return UNCHANGED
        return await self._change(tx, agency, found, record, fingerprint)

    async def _change(
        self,
        tx: BaseDBAsyncClient,
        agency: Agency,
        found: LegalPerson,
        record: Record,
        fingerprint: str,
    ) -> str:
        now = clock.now()
        action = legal_states.action_towards(found.status, record.status)
        changes: dict[str, Any] = {
            "name": record.name,
            "fingerprint": fingerprint,
            "registry_agency_id": agency.id,
            "updated_at": now,
            **self._representative(record),
        }
        dst = None
        if action is not None:
            try:
                dst = legal_states.next_status(found.status, action)
            except DomainError as exc:
                raise RecordRefused("status", exc.code, exc.message) from None
        # The status takes part in the check, so a record decided on a stale status loses.
        moved = (
            await LegalPerson.filter(id=found.id, status=found.status)
            .using_db(tx)
            .update(**changes)
        )
        if moved != 1:
            raise RecordRefused("status", "CONFLICT", "The record moved on meanwhile; resend it.")
        audit = {"actor_type": legal_audit.REGISTRY, "actor_ref": agency.id, "using": tx}
        if record.name != found.name:
            await legal_audit.record(
                found.id, "renamed", before=found.name, after=record.name, **audit
            )
        if changes["representative_id_number_hash"] != found.representative_id_number_hash:
            revoked = await self._revoke_all(tx, found.id, REPRESENTATIVE_CHANGED)
            await legal_audit.record(
                found.id,
                REPRESENTATIVE_CHANGED,
                before=found.representative_name_masked,
                after=changes["representative_name_masked"],
                agents_revoked=revoked,
                **audit,
            )
        if dst is not None:
            if not await move(found, dst, using=tx, deregistered_at=now):
                raise RecordRefused(
                    "status", "CONFLICT", "The record moved on meanwhile; resend it."
                )
            revoked = await self._revoke_all(tx, found.id, legal_states.DEREGISTERED)
            await legal_audit.record(found.id, "deregistered", agents_revoked=revoked, **audit)
        return UPDATED

    async def _revoke_all(self, tx: BaseDBAsyncClient, legal_person_id: int, reason: str) -> int:
        return await (
            LegalPersonAgent.filter(legal_person_id=legal_person_id, revoked_at=None)
            .using_db(tx)
            .update(revoked_at=clock.now(), revoked_reason=reason)
        )
