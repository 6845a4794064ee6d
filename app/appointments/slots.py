"""What the hot path needs to know about a slot and a person, cached briefly per process.

A slot's time, group and rules do not change once published, and the database re-checks
everything that matters inside the booking transaction; so the rush reads these from
memory and only Redis (the gate) sees every attempt.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from app.appointments.models import Institution, Slot, Standing
from app.appointments.rules import InstitutionRules, Window
from app.config import AppointmentRules
from app.errors import BookingBanned, NotVerified, SlotNotFound
from app.identity.models import Citizen
from infra import clock
from infra.clock import SHANGHAI

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class SlotMeta:
    id: int
    group_key: str
    resource_id: int
    department_id: int
    institution_id: int
    date: date
    session: str
    starts_at: datetime
    session_ends_at: datetime
    fee_fen: int
    window: Window
    release_mode: str = "first_come"


def rules_for(institution: Institution, defaults: AppointmentRules) -> InstitutionRules:
    return InstitutionRules.of(
        defaults,
        release_time=institution.release_time,
        horizon_days=institution.horizon_days,
        cutoff_time=institution.cutoff_time,
        cancel_time=institution.cancel_time,
    )


def ban_ends_on(banned_until: datetime) -> str:
    return banned_until.astimezone(SHANGHAI).date().isoformat()


class SlotCache:
    def __init__(self, defaults: AppointmentRules) -> None:
        self.defaults = defaults
        self._slots: dict[int, tuple[float, SlotMeta]] = {}

    async def get(self, slot_id: int) -> SlotMeta:
        cached = self._slots.get(slot_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        meta = await self.load(slot_id)
        self._slots[slot_id] = (time.monotonic() + CACHE_SECONDS, meta)
        return meta

    async def load(self, slot_id: int) -> SlotMeta:
        slot = await Slot.get_or_none(id=slot_id)
        if slot is None:
            raise SlotNotFound()
        institution = await Institution.get(id=slot.institution_id)
        last = (
            await Slot.filter(group_key=slot.group_key)
            .order_by("-ends_at")
            .first()
            .values_list("ends_at", flat=True)
        )
        return SlotMeta(
            id=slot.id,
            group_key=slot.group_key,
            resource_id=slot.resource_id,  # type: ignore[attr-defined]
            department_id=slot.department_id,
            institution_id=slot.institution_id,
            date=slot.date,
            session=slot.session,
            starts_at=slot.starts_at,
            session_ends_at=last or slot.ends_at,  # type: ignore[arg-type]
            fee_fen=slot.fee_fen,
            window=rules_for(institution, self.defaults).window(slot.date),
            release_mode=slot.release_mode,
        )

    def forget(self, slot_ids: list[int]) -> None:
        for slot_id in slot_ids:
            self._slots.pop(slot_id, None)


class StandingCache:
    """Verified and not banned, remembered for a few seconds; the transaction re-checks."""

    def __init__(self) -> None:
        self._ok: dict[uuid.UUID, float] = {}

    async def check(self, citizen_id: uuid.UUID) -> None:
        if self._ok.get(citizen_id, 0.0) > time.monotonic():
            return
        verified = await Citizen.filter(id=citizen_id).values_list("verified", flat=True)
        if not verified or not verified[0]:
            raise NotVerified()
        banned_until = await Standing.filter(citizen_id=citizen_id).values_list(
            "banned_until", flat=True
        )
        if banned_until and banned_until[0] is not None and banned_until[0] > clock.now():
            raise BookingBanned(banned_until=ban_ends_on(banned_until[0]))
        self._ok[citizen_id] = time.monotonic() + CACHE_SECONDS

    def forget(self, citizen_id: uuid.UUID) -> None:
        self._ok.pop(citizen_id, None)
