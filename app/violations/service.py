"""The violations room's services, built once per process by app/runtime/services.py."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from app.config import Settings
from app.violations.lookup import LookupLimits, ViolationLookup
from app.violations.notices import ViolationNotices
from app.violations.payable import ViolationPayables
from app.violations.upsert import ViolationImport
from channels.base import Messages
from infra.pii import PiiVault


@dataclass
class Violations:
    lookup: ViolationLookup
    imports: ViolationImport
    payables: ViolationPayables
    notices: ViolationNotices


def build_violations(
    settings: Settings, redis: aioredis.Redis, vault: PiiVault, messages: dict[str, Messages]
) -> Violations:
    limits = LookupLimits(
        per_citizen=settings.violation_lookups_per_minute_citizen,
        per_client=settings.violation_lookups_per_minute_client,
        cache_seconds=settings.violation_cache_seconds,
    )
    return Violations(
        lookup=ViolationLookup(redis, vault, limits),
        imports=ViolationImport(redis, vault),
        payables=ViolationPayables(vault, redis),
        notices=ViolationNotices(vault, redis, dict(messages)),
    )
