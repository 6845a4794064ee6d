"""The traffic police's bulk upsert of vehicles, drivers and violations.

Each record is applied in its own transaction: a bad or conflicting record is reported by
index and field, and the good ones still land. A record identical to the last one received
(same fingerprint) changes nothing, so a batch sent twice is a no-op. Status changes go
through the violation's transition table; new violations for bound vehicles emit a notice
into the outbox in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.agency.batch import CREATED, UNCHANGED, UPDATED, BatchImport, Outcome, RecordRefused
from app.agency.models import Agency
from app.errors import Forbidden
from app.violations import cache, plates, records, states
from app.violations.lookup import FILE_NO, LICENCE_NO, VIN_TAIL, driver_tag
from app.violations.models import (
    DECIDED,
    PAID,
    PAID_AT_BANK,
    UNDECIDED,
    UNPAID,
    Driver,
    Vehicle,
    VehicleAccess,
    Violation,
)
from infra import clock, outbox
from infra.masking import mask_id_number
from infra.pii import PiiVault
from infra.transitions import move

log = logging.getLogger("yiwang.violations")

MAX_RECORDS = 1000
NEW_VIOLATION_NOTICE = "violations.new_violation_notice"


@dataclass
class _Applied:
    result: str
    tags: set[str]


IMPORT = BatchImport(
    key="violation_id",
    max_records=MAX_RECORDS,
    duplicate_message="This id appears twice in the batch.",
    check=records.check,
    key_of=lambda record: record.violation_id,
)


@dataclass
class ViolationImport:
    # None only while seeding the demo before any cache exists.
    redis: aioredis.Redis | None
    vault: PiiVault

    async def upsert(self, agency: Agency, raw_records: Any) -> Outcome:
        if agency.kind != "traffic":
            raise Forbidden("Only traffic-police agencies may push violations.")

        async def apply(record: records.Record) -> str:
            applied = await self._apply(agency, record)
            if self.redis is not None:
                await cache.invalidate(self.redis, applied.tags)
            return applied.result

        return await IMPORT.run(raw_records, apply)

    async def _apply(self, agency: Agency, record: records.Record) -> _Applied:
        fingerprint = record.fingerprint
        existing = await Violation.get_or_none(violation_id=record.violation_id)
        if existing is not None and existing.agency_id != agency.id:  # type: ignore[attr-defined]
            raise RecordRefused(
                "violation_id", "VIOLATION_OWNED_ELSEWHERE", "Another agency owns this violation."
            )
        if existing is not None and existing.fingerprint == fingerprint:
            return _Applied(UNCHANGED, set())
        if (
            record.decision_no
            and await Violation.filter(decision_no=record.decision_no)
            .exclude(violation_id=record.violation_id)
            .exists()
        ):
            raise RecordRefused(
                "decision_no", "DECISION_NO_TAKEN", "Another violation has this decision number."
            )
        try:
            async with in_transaction() as tx:
                tags: set[str] = set()
                vehicle = await self._vehicle(agency, record, tx, tags)
                driver = await self._driver(agency, record, tx, tags)
                if existing is None:
                    await self._create(agency, record, vehicle, driver, fingerprint, tx)
                    result = CREATED
                else:
                    await self._update(existing, record, vehicle, driver, fingerprint, tx, tags)
                    result = UPDATED
                tags.add(cache.plate_tag(vehicle.plate_type, vehicle.plate_no))
        except IntegrityError as exc:
            log.warning("violation %s refused by a constraint: %s", record.violation_id, exc)
            raise RecordRefused(
                "violation_id", "CONFLICT", "A concurrent update won; send the record again."
            ) from exc
        return _Applied(result, tags)

    async def _vehicle(
        self, agency: Agency, record: records.Record, tx: BaseDBAsyncClient, tags: set[str]
    ) -> Vehicle:
        now = clock.now()
        vin_hash = self.vault.lookup_hash("vin", record.vin)
        vin_fields = {
            "vin_enc": self.vault.encrypt("vin", record.vin),
            "vin_hash": vin_hash,
            "vin_tail_hash": self.vault.lookup_hash(
                VIN_TAIL, record.vin[-plates.VIN_TAIL_LENGTH :]
            ),
            "vin_masked": plates.mask_vin(record.vin),
        }
        vehicle = (
            await Vehicle.filter(plate_type=record.plate_type, plate_no=record.plate_no)
            .using_db(tx)
            .first()
        )
        if vehicle is None:
            return await Vehicle.create(
                plate_type=record.plate_type,
                plate_no=record.plate_no,
                agency_id=agency.id,
                created_at=now,
                updated_at=now,
                using_db=tx,
                **vin_fields,
            )
        if vehicle.vin_hash not in self.vault.lookup_hashes("vin", record.vin):
            # The plate now belongs to another vehicle: earlier proofs were of the old VIN.
            accesses = VehicleAccess.filter(vehicle_id=vehicle.id).using_db(tx)
            for citizen_id in await accesses.values_list("citizen_id", flat=True):
                tags.add(cache.citizen_tag(str(citizen_id)))
            await VehicleAccess.filter(vehicle_id=vehicle.id).using_db(tx).delete()
            await Vehicle.filter(id=vehicle.id).using_db(tx).update(updated_at=now, **vin_fields)
        return vehicle

    async def _driver(
        self, agency: Agency, record: records.Record, tx: BaseDBAsyncClient, tags: set[str]
    ) -> Driver | None:
        if record.licence_no is None or record.file_no is None:
            return None
        now = clock.now()
        licence_hash = self.vault.lookup_hash(LICENCE_NO, record.licence_no)
        file_hash = self.vault.lookup_hash(FILE_NO, record.file_no)
        tags.add(driver_tag(licence_hash))
        licence_hashes = self.vault.lookup_hashes(LICENCE_NO, record.licence_no)
        driver = await Driver.filter(licence_no_hash__in=licence_hashes).using_db(tx).first()
        if driver is None:
            return await Driver.create(
                licence_no_enc=self.vault.encrypt(LICENCE_NO, record.licence_no),
                licence_no_hash=licence_hash,
                licence_no_masked=mask_id_number(record.licence_no),
                file_no_hash=file_hash,
                agency_id=agency.id,
                created_at=now,
                updated_at=now,
                using_db=tx,
            )
        if driver.file_no_hash not in self.vault.lookup_hashes(FILE_NO, record.file_no):
            await (
                Driver.filter(id=driver.id)
                .using_db(tx)
                .update(file_no_hash=file_hash, updated_at=now)
            )
        return driver

    async def _create(
        self,
        agency: Agency,
        record: records.Record,
        vehicle: Vehicle,
        driver: Driver | None,
        fingerprint: str,
        tx: BaseDBAsyncClient,
    ) -> None:
        now = clock.now()
        violation = await Violation.create(
            violation_id=record.violation_id,
            agency_id=agency.id,
            vehicle_id=vehicle.id,
            driver_id=driver.id if driver else None,
            occurred_at=record.occurred_at,
            place=record.place,
            behavior=record.behavior,
            points=record.points,
            fine_fen=record.fine_fen,
            decision_no=record.decision_no,
            decided_at=record.decided_at,
            handling_status=DECIDED if record.decision_no else UNDECIDED,
            payment_status=PAID if record.paid_at else UNPAID,
            paid_at=record.paid_at,
            paid_via=PAID_AT_BANK if record.paid_at else None,
            fingerprint=fingerprint,
            created_at=now,
            updated_at=now,
            using_db=tx,
        )
        bound = await VehicleAccess.filter(vehicle_id=vehicle.id, bound=True).using_db(tx)
        for access in bound:
            await outbox.emit(
                NEW_VIOLATION_NOTICE,
                {"violation_pk": violation.id, "access_id": access.id},
                using=tx,
                dedupe_key=f"vio-new:{violation.id}:{access.id}",
            )

    async def _update(
        self,
        existing: Violation,
        record: records.Record,
        vehicle: Vehicle,
        driver: Driver | None,
        fingerprint: str,
        tx: BaseDBAsyncClient,
        tags: set[str],
    ) -> None:
        now = clock.now()
        if existing.decision_no and record.decision_no != existing.decision_no:
            raise RecordRefused(
                "decision_no", "DECISION_IMMUTABLE", "A decision, once made, cannot change here."
            )
        if existing.payment_status == PAID and record.fine_fen != existing.fine_fen:
            raise RecordRefused(
                "fine_fen", "VIOLATION_PAID", "The fine of a paid violation cannot change."
            )
        if existing.vehicle_id != vehicle.id:  # type: ignore[attr-defined]
            old = await Vehicle.filter(id=existing.vehicle_id).using_db(tx).first()  # type: ignore[attr-defined]
            if old is not None:
                tags.add(cache.plate_tag(old.plate_type, old.plate_no))
        if existing.driver_id is not None:  # type: ignore[attr-defined]
            old_driver = await Driver.filter(id=existing.driver_id).using_db(tx).first()  # type: ignore[attr-defined]
            if old_driver is not None:
                tags.add(driver_tag(old_driver.licence_no_hash))
        if existing.handling_status == UNDECIDED and record.decision_no:
            await self._must(
                move(
                    existing,
                    DECIDED,
                    table=states.HANDLING,
                    using=tx,
                    decision_no=record.decision_no,
                    decided_at=record.decided_at,
                )
            )
        if record.paid_at is not None and existing.payment_status == UNPAID:
            await self._must(
                move(
                    existing,
                    PAID,
                    table=states.PAYMENT,
                    using=tx,
                    paid_at=record.paid_at,
                    paid_via=PAID_AT_BANK,
                )
            )
        elif record.paid_at is not None and existing.paid_via != PAID_AT_BANK:
            log.warning(
                "violation %s reported paid at a bank but was paid online (order %s)",
                existing.violation_id,
                existing.order_id,
            )
        await (
            Violation.filter(id=existing.id)
            .using_db(tx)
            .update(
                vehicle_id=vehicle.id,
                driver_id=driver.id if driver else existing.driver_id,  # type: ignore[attr-defined]
                occurred_at=record.occurred_at,
                place=record.place,
                behavior=record.behavior,
                points=record.points,
                fine_fen=record.fine_fen,
                fingerprint=fingerprint,
                updated_at=now,
            )
        )

    @staticmethod
    async def _must(moving: Any) -> None:
        if not await moving:
            raise RecordRefused(
                "violation_id", "CONFLICT", "A concurrent update won; send the record again."
            )
