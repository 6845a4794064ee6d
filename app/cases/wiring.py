"""Building this room's services and outbox handlers (called by app/services.py)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from app.cases.materials import MaterialStore
from app.cases.notices import CaseNotices
from app.cases.service import CASE_NOTICE, Cases
from app.config import Settings
from app.evaluations.invitations import INVITE, InvitationSender
from app.evaluations.service import Evaluations
from app.interactions.service import Interactions
from channels.base import Messages
from infra.pii import PiiVault


@dataclass
class PublicServices:
    """统一申报 · 统一查询 · 统一评价 · 统一互动, and the material store they share."""

    cases: Cases
    materials: MaterialStore
    evaluations: Evaluations
    interactions: Interactions
    handlers: dict[str, Any]


def materials_legacy_key(settings: Settings) -> bytes:
    """The AES key files were sealed with before key ids, derived from PII_KEY; files are
    now sealed under the vault's current key, and this one only opens the old ones."""
    return hmac.new(settings.pii_key, b"yiwang/cases/materials", hashlib.sha256).digest()


def build_public_services(
    settings: Settings, vault: PiiVault, messages: dict[str, Messages]
) -> PublicServices:
    rules = settings.service_rules
    key = materials_legacy_key(settings)
    return PublicServices(
        cases=Cases(vault, rules),
        materials=MaterialStore(vault, key, rules.upload_max_bytes),
        evaluations=Evaluations(rules),
        interactions=Interactions(rules, vault),
        handlers={
            CASE_NOTICE: CaseNotices(messages).send,
            INVITE: InvitationSender(messages).send,
        },
    )
