"""Shared set-up of the legal-person tests: people with real names, a registry, a company."""

from __future__ import annotations

import uuid
from typing import Any

from app.agency.models import Agency
from app.agency.signing import create_agency
from app.identity.id_numbers import with_check_digit
from app.identity.legal.registry import LegalRegistry
from app.identity.legal.uscc import with_check_character
from app.identity.models import ChannelAccount, Citizen
from app.identity.sessions import Principal
from infra import clock
from infra.masking import mask_id_number, mask_name
from infra.pii import PiiVault

REP_ID = with_check_digit("33010619800101001")
AGENT_ID = with_check_digit("33010219900202002")
OTHER_ID = with_check_digit("33010519950303003")
NEW_REP_ID = with_check_digit("33010819750404004")
USCC = with_check_character("91330106MA2B00001")
OTHER_USCC = with_check_character("91330108MA2C00002")


def vault_of(settings: Any) -> PiiVault:
    return settings.vault()


async def person(
    vault: PiiVault, name: str, id_number: str, *, verified: bool = True, channel: str = "app"
) -> Principal:
    """A signed-in citizen; a verified one carries the real name as sign-in would store it."""
    now = clock.now()
    fields: dict[str, Any] = {"verified": verified}
    if verified:
        fields |= {
            "verified_at": now,
            "name_enc": vault.encrypt("name", name),
            "name_masked": mask_name(name),
            "id_number_enc": vault.encrypt("id_number", id_number),
            "id_number_hash": vault.lookup_hash("id_number", id_number),
            "id_number_masked": mask_id_number(id_number),
        }
    citizen = await Citizen.create(id=uuid.uuid4(), created_at=now, **fields)
    account = await ChannelAccount.create(
        channel=channel,
        subject=f"s-{uuid.uuid4().hex[:12]}",
        citizen_id=citizen.id,
        created_at=now,
        last_login_at=now,
    )
    return Principal(citizen.id, account.id, channel, "t", now)


async def registry_agency(vault: PiiVault, kind: str = "market") -> Agency:
    agency, _ = await create_agency(vault, name="浙江省市场监督管理局", kind=kind)
    return agency


def record(
    uscc: str = USCC,
    *,
    name: str = "杭州示例科技有限公司",
    rep_name: str = "张三",
    rep_id: str = REP_ID,
    status: str = "active",
) -> dict[str, Any]:
    return {
        "uscc": uscc,
        "name": name,
        "representative": {"name": rep_name, "id_number": rep_id},
        "status": status,
    }


async def push(vault: PiiVault, agency: Agency, *records: dict[str, Any]) -> dict[str, Any]:
    return (await LegalRegistry(vault).upsert(agency, list(records))).as_dict()
