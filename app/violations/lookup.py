"""Resident lookups: by plate + VIN tail, by licence + file number, and "my vehicles".

A wrong proof answers exactly like an unknown vehicle: the same error, raised after the same
work. Both paths read the same cache entries (unknown plates are cached too), compute one
HMAC over the candidate proof and compare it in constant time — against the stored proof,
or against a decoy when there is no vehicle. Every lookup counts against a per-citizen and
a per-client window, so the proof cannot be brute-forced.
"""

from __future__ import annotations

import contextlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from tortoise.exceptions import IntegrityError

from app.errors import (
    DriverNotFound,
    OwnershipProofRequired,
    RateLimited,
    VehicleNotFound,
)
from app.identity.sessions import Principal
from app.violations import cache, plates, snapshot
from app.violations.models import DriverAccess, VehicleAccess
from app.violations.views import summary, vehicle_view, violation_view
from infra import clock
from infra.pii import PiiVault
from infra.ratelimit import queue_hits, within

VIN_TAIL = "vin_tail"
LICENCE_NO = "licence_no"
FILE_NO = "licence_file_no"


@dataclass(frozen=True)
class LookupLimits:
    per_citizen: int = 30
    per_client: int = 300
    window_seconds: int = 60
    cache_seconds: int = 300


def plate_key(plate_type: str, plate_no: str) -> str:
    return f"{plate_type}:{plate_no}"


def driver_tag(licence_no_hash: str) -> str:
    return f"vio:{{d:{licence_no_hash}}}"


async def load_access(citizen_id: uuid.UUID) -> dict[str, Any]:
    """The vehicles and licences this citizen has proven, in a cacheable shape."""
    vehicles = await VehicleAccess.filter(citizen_id=citizen_id).values(
        "vehicle_id", "bound", "vehicle__plate_type", "vehicle__plate_no"
    )
    drivers = await DriverAccess.filter(citizen_id=citizen_id).values_list("driver_id", flat=True)
    return {
        "vehicles": {
            plate_key(v["vehicle__plate_type"], v["vehicle__plate_no"]): {
                "id": v["vehicle_id"],
                "bound": v["bound"],
            }
            for v in vehicles
        },
        "drivers": sorted(drivers),
    }


@dataclass
class ViolationLookup:
    redis: aioredis.Redis
    vault: PiiVault
    limits: LookupLimits

    def __post_init__(self) -> None:
        # Compared against when there is no such vehicle or licence: no input hashes to it.
        self._decoy = self.vault.lookup_hash("decoy", uuid.uuid4().hex)

    # ------------------------------------------------------------------ entry points

    async def by_plate(
        self,
        who: Principal,
        client: str,
        plate_type: str | None,
        plate_no: str | None,
        vin_tail: str | None,
        *,
        bind: bool = False,
    ) -> dict[str, Any]:
        kind = plates.plate_type(plate_type)
        number = plates.plate_no(kind, plate_no)
        tail = plates.vin_tail(vin_tail) if vin_tail or bind else None
        key = plate_key(kind.code, number)
        data, access = await self._read(
            cache.plate_tag(kind.code, number),
            lambda: snapshot.load_plate(kind.code, number),
            who.citizen_id,
            admit=(who, client),
        )
        owner = data["owner"]
        proven = access["vehicles"].get(key)
        if tail is not None:
            if not self._proof_matches(owner, self.vault.lookup_hashes(VIN_TAIL, tail)):
                raise VehicleNotFound()
            if proven is None or (bind and not proven["bound"]):
                await self._record_vehicle_proof(who, owner["id"], bind=bind)
                proven = {"id": owner["id"], "bound": bind or bool(proven and proven["bound"])}
        elif proven is None or not proven["bound"]:
            raise OwnershipProofRequired()
        if owner is None:
            raise VehicleNotFound()
        return self._answer("vehicle", vehicle_view(owner, bound=proven["bound"]), data)

    async def by_licence(
        self, who: Principal, client: str, licence_no: str | None, file_no: str | None
    ) -> dict[str, Any]:
        licence = plates.licence_no(licence_no)
        file_number = plates.file_no(file_no)
        licence_hashes = self.vault.lookup_hashes(LICENCE_NO, licence)
        data, access = await self._read(
            driver_tag(licence_hashes[0]),
            lambda: snapshot.load_driver(licence_hashes),
            who.citizen_id,
            admit=(who, client),
        )
        owner = data["owner"]
        if not self._proof_matches(owner, self.vault.lookup_hashes(FILE_NO, file_number)):
            raise DriverNotFound()
        if owner["id"] not in access["drivers"]:
            await self._record_driver_proof(who, owner["id"])
        return self._answer("driver", {"licence_no_masked": owner["licence_no_masked"]}, data)

    async def my_vehicles(self, who: Principal) -> list[dict[str, Any]]:
        _, access = await self._read(None, None, who.citizen_id)
        out = []
        for key, proven in sorted(access["vehicles"].items()):
            if not proven["bound"]:
                continue
            plate_type, plate_no = key.split(":", 1)
            data, _ = await self._read(
                cache.plate_tag(plate_type, plate_no),
                lambda pt=plate_type, pn=plate_no: snapshot.load_plate(pt, pn),
                None,
            )
            if data["owner"] is None:
                continue
            answer = self._answer("vehicle", vehicle_view(data["owner"], bound=True), data)
            out.append({**answer["vehicle"], "summary": answer["summary"]})
        return out

    async def unbind(self, who: Principal, vehicle_id: int) -> None:
        changed = await VehicleAccess.filter(
            citizen_id=who.citizen_id, vehicle_id=vehicle_id, bound=True
        ).update(bound=False, bound_at=None)
        if changed != 1:
            raise VehicleNotFound()
        await cache.invalidate(self.redis, {cache.citizen_tag(str(who.citizen_id))})

    # ------------------------------------------------------------------ the steps

    async def _read(
        self,
        tag: str | None,
        load: Any,
        citizen_id: uuid.UUID | None,
        *,
        admit: tuple[Principal, str] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The owner's entry and the citizen's proofs, and with ``admit`` the lookup's rate
        limits (per citizen and per client) counted: one Redis round trip when all is hot.
        A refused lookup is refused before anything is loaded from the database."""
        async with self.redis.pipeline(transaction=False) as pipe:
            if admit is not None:
                who, client = admit
                queue_hits(
                    pipe,
                    [f"vio:citizen:{who.citizen_id}", f"vio:client:{client}"],
                    window_seconds=self.limits.window_seconds,
                )
            if tag is not None:
                cache.read_command(pipe, tag)
            if citizen_id is not None:
                cache.read_command(pipe, cache.citizen_tag(str(citizen_id)))
            replies = await pipe.execute()
        if admit is not None and not within(
            replies.pop(0), [self.limits.per_citizen, self.limits.per_client]
        ):
            raise RateLimited("Too many violation lookups. Try again in a minute.")
        data: dict[str, Any] = {}
        access: dict[str, Any] = {}
        if tag is not None:
            found = cache.decode(replies.pop(0))
            data = found.value if found.hit else await self._fill(tag, found.generation, load)
        if citizen_id is not None:
            found = cache.decode(replies.pop(0))
            access = (
                found.value
                if found.hit
                else await self._fill(
                    cache.citizen_tag(str(citizen_id)),
                    found.generation,
                    lambda: load_access(citizen_id),
                )
            )
        return data, access

    async def _fill(self, tag: str, generation: int, load: Any) -> dict[str, Any]:
        value: dict[str, Any] = await load()
        await cache.fill(self.redis, tag, generation, value, ttl_seconds=self.limits.cache_seconds)
        return value

    def _proof_matches(self, owner: dict[str, Any] | None, candidates: list[str]) -> bool:
        """``candidates``: the proof's hash under every lookup key (a row may not have been
        rotated yet). Every candidate is compared, so timing says nothing of which."""
        expected = owner["proof"] if owner is not None else self._decoy
        matches = [hmac.compare_digest(candidate, expected) for candidate in candidates]
        return any(matches) and owner is not None

    async def _record_vehicle_proof(self, who: Principal, vehicle_id: int, *, bind: bool) -> None:
        now = clock.now()
        changes: dict[str, Any] = {"account_id": who.account_id, "channel": who.channel}
        if bind:
            changes.update(bound=True, bound_at=now)
        updated = await VehicleAccess.filter(
            citizen_id=who.citizen_id, vehicle_id=vehicle_id
        ).update(**changes)
        if not updated:
            try:
                await VehicleAccess.create(
                    citizen_id=who.citizen_id, vehicle_id=vehicle_id, proven_at=now, **changes
                )
            except IntegrityError:
                # A concurrent lookup recorded it first; make sure the binding holds.
                await VehicleAccess.filter(citizen_id=who.citizen_id, vehicle_id=vehicle_id).update(
                    **changes
                )
        await cache.invalidate(self.redis, {cache.citizen_tag(str(who.citizen_id))})

    async def _record_driver_proof(self, who: Principal, driver_id: int) -> None:
        with contextlib.suppress(IntegrityError):  # a concurrent lookup recorded it first
            await DriverAccess.get_or_create(
                citizen_id=who.citizen_id,
                driver_id=driver_id,
                defaults={"proven_at": clock.now()},
            )
        await cache.invalidate(self.redis, {cache.citizen_tag(str(who.citizen_id))})

    def _answer(
        self, kind: str, owner_view: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, Any]:
        today = clock.shanghai_date()
        views = [violation_view(fact, today) for fact in data["violations"]]
        return {kind: owner_view, "violations": views, "summary": summary(views)}
