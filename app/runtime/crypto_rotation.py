"""``yiwang crypto rotate``: every sealed value and lookup hash onto the current keys, online.

Why it is safe while the server runs, and safe to kill at any moment:

- Rows are taken in small batches, each in its own short transaction. A row is rewritten by
  a compare-and-set update (``WHERE id = … AND <sealed column> = <what we read>``): a
  request that changed the row meanwhile wins (it wrote under the current key anyway).
- A row is either wholly old or wholly new, and the vault reads both: old values open
  with the old key (still configured) and lookups ask for every key's hash. A kill rolls
  back at most the batch in flight.
- Plaintext exists only in this process's memory, between opening and resealing.
- What is left to do is found again from the data (values not under the current key id),
  so a restart resumes where the last committed batch ended; nothing else is stored.

Sealed values inside JSON columns (a case form's ID numbers and phones, an Open311
requester) are ``{"enc": <sealed>, "masked": …}`` objects: each row is read, every such
value not under the current key is resealed, and the row is written back under a row lock
only if it is still what was read.

Hash columns whose plaintext is not kept (a driving licence's file number) cannot be
recomputed: they stay under the key that made them, and reads keep trying every lookup
key (docs/operations.md says when an old lookup key may be dropped).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from app.agency.models import Agency
from app.cases.materials import MaterialStore
from app.cases.models import Case, Material, MaterialBlob
from app.cases.service import sealed_kind
from app.catalog import audit
from app.fees.models import PaymentNotice
from app.identity.models import Citizen, LegalPerson, LegalPersonAgent
from app.interactions.models import Ticket
from app.interactions.requesters import PURPOSE as REQUESTER_PURPOSE
from app.receipts.models import Receipt, ReceiptFile
from app.receipts.storage import seal as seal_receipt_file
from app.receipts.storage import unseal as unseal_receipt_file
from app.violations.lookup import LICENCE_NO, VIN_TAIL
from app.violations.models import Driver, Vehicle
from app.violations.plates import VIN_TAIL_LENGTH
from infra.pii import PiiVault
from payments.models import Order


@dataclass(frozen=True)
class Hashed:
    column: str
    purpose: str
    of: Callable[[str], str] = lambda plain: plain


@dataclass(frozen=True)
class Sealed:
    column: str
    purpose: str
    hashes: tuple[Hashed, ...] = ()


@dataclass(frozen=True)
class Table:
    model: type[Model]
    sealed: tuple[Sealed, ...]


TABLES: tuple[Table, ...] = (
    Table(
        Citizen,
        (
            Sealed("name_enc", "name"),
            Sealed("id_number_enc", "id_number", (Hashed("id_number_hash", "id_number"),)),
            Sealed("phone_enc", "phone", (Hashed("phone_hash", "phone"),)),
        ),
    ),
    Table(
        LegalPerson,
        (
            Sealed("representative_name_enc", "name"),
            Sealed(
                "representative_id_number_enc",
                "id_number",
                (Hashed("representative_id_number_hash", "id_number"),),
            ),
        ),
    ),
    Table(LegalPersonAgent, (Sealed("agent_name_enc", "name"),)),
    Table(
        PaymentNotice,
        (
            Sealed("payer_name_enc", "name"),
            Sealed(
                "payer_id_number_enc", "id_number", (Hashed("payer_id_number_hash", "id_number"),)
            ),
        ),
    ),
    Table(
        Vehicle,
        (
            Sealed(
                "vin_enc",
                "vin",
                (
                    Hashed("vin_hash", "vin"),
                    Hashed("vin_tail_hash", VIN_TAIL, lambda vin: vin[-VIN_TAIL_LENGTH:]),
                ),
            ),
        ),
    ),
    Table(
        Driver, (Sealed("licence_no_enc", LICENCE_NO, (Hashed("licence_no_hash", LICENCE_NO),)),)
    ),
    Table(Order, (Sealed("payer_name_enc", "payer_name"),)),
    Table(Receipt, (Sealed("payer_name_enc", "receipt_payer"),)),
    Table(Agency, (Sealed("secret_enc", "agency_secret"),)),
)


@dataclass(frozen=True)
class JsonTable:
    """A JSON column holding sealed ``{"enc": …}`` objects, and how to tell each one's
    purpose (the associated data it was sealed with)."""

    model: type[Model]
    column: str
    purpose: Callable[[PiiVault, str], str]


def _case_form_purpose(vault: PiiVault, token: str) -> str:
    return f"case_form:{sealed_kind(vault, token)}"


JSON_TABLES: tuple[JsonTable, ...] = (
    JsonTable(Case, "form", _case_form_purpose),
    JsonTable(Ticket, "requester", lambda vault, token: REQUESTER_PURPOSE),
)


def _sealed_objects(value: Any) -> list[dict[str, Any]]:
    """Every ``{"enc": "<key_id>:…"}`` object within a JSON value, at any depth."""
    if isinstance(value, list):
        return [found for item in value for found in _sealed_objects(item)]
    if not isinstance(value, dict):
        return []
    if isinstance(value.get("enc"), str):
        return [value]
    return [found for item in value.values() for found in _sealed_objects(item)]


def _json_stale(vault: PiiVault, value: Any) -> bool:
    return any(not vault.is_current(obj["enc"]) for obj in _sealed_objects(value))


def _json_rewrite(table: JsonTable, vault: PiiVault, value: Any) -> Any:
    """A copy of ``value`` with every stale sealed object resealed under the current key."""
    fresh = copy.deepcopy(value)
    for obj in _sealed_objects(fresh):
        if not vault.is_current(obj["enc"]):
            purpose = table.purpose(vault, obj["enc"])
            obj["enc"] = vault.encrypt(purpose, vault.decrypt(purpose, obj["enc"]))
    return fresh


async def rotate_json_table(
    table: JsonTable, vault: PiiVault, *, batch_size: int, pause: float, progress: Progress
) -> None:
    name = f"{table.model._meta.db_table}.{table.column}"
    after = 0
    while True:
        rows = (
            await table.model.filter(id__gt=after, **{f"{table.column}__isnull": False})
            .order_by("id")
            .limit(batch_size)
            .values("id", table.column)
        )
        if not rows:
            return
        stale = [row for row in rows if _json_stale(vault, row[table.column])]
        if stale:
            async with in_transaction() as tx:
                for row in stale:
                    fresh = _json_rewrite(table, vault, row[table.column])
                    locked = (
                        await table.model.filter(id=row["id"])
                        .using_db(tx)
                        .select_for_update()
                        .values(table.column)
                    )
                    if locked and locked[0][table.column] == row[table.column]:
                        await (
                            table.model.filter(id=row["id"])
                            .using_db(tx)
                            .update(**{table.column: fresh})
                        )
                        progress.add(name, 1)
                    else:
                        progress.raced += 1  # changed meanwhile: the next pass finds it
        progress.batch_done(name)
        after = rows[-1]["id"]
        if pause:
            await asyncio.sleep(pause)


async def json_remaining(table: JsonTable, vault: PiiVault) -> int:
    """Rows whose column holds a sealed object not under the current key (a full scan:
    the sealed objects sit inside the JSON, out of reach of an index)."""
    count, after = 0, 0
    while True:
        rows = (
            await table.model.filter(id__gt=after, **{f"{table.column}__isnull": False})
            .order_by("id")
            .limit(2000)
            .values("id", table.column)
        )
        if not rows:
            return count
        count += sum(_json_stale(vault, row[table.column]) for row in rows)
        after = rows[-1]["id"]


@dataclass
class Progress:
    rotated: dict[str, int] = field(default_factory=dict)
    raced: int = 0
    on_batch: Callable[[str, int], None] | None = None

    def add(self, table: str, count: int) -> None:
        self.rotated[table] = self.rotated.get(table, 0) + count

    def batch_done(self, table: str) -> None:
        """After each committed batch: what a watcher (or a kill) can rely on."""
        if self.on_batch is not None:
            self.on_batch(table, self.rotated.get(table, 0))


def _stale(table: Table, vault: PiiVault) -> Q:
    prefix = vault.current.key_id + ":"
    stale = Q()
    for sealed in table.sealed:
        not_current = ~Q(**{f"{sealed.column}__startswith": prefix}) & ~Q(
            **{f"{sealed.column}__isnull": True}
        )
        stale = not_current if not stale.children else stale | not_current
    return stale


def _rewrite(table: Table, vault: PiiVault, row: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for sealed in table.sealed:
        token = row[sealed.column]
        if token is None or vault.is_current(token):
            continue
        plain = vault.decrypt(sealed.purpose, token)
        changes[sealed.column] = vault.encrypt(sealed.purpose, plain)
        for hashed in sealed.hashes:
            changes[hashed.column] = vault.lookup_hash(hashed.purpose, hashed.of(plain))
    return changes


async def rotate_table(
    table: Table, vault: PiiVault, *, batch_size: int, pause: float, progress: Progress
) -> None:
    columns = ["id", *(s.column for s in table.sealed)]
    name = table.model._meta.db_table
    after: Any = None
    while True:
        query = table.model.filter(_stale(table, vault))
        if after is not None:
            query = query.filter(id__gt=after)
        rows = await query.order_by("id").limit(batch_size).values(*columns)
        if not rows:
            return
        async with in_transaction() as tx:
            for row in rows:
                changes = _rewrite(table, vault, row)
                if not changes:
                    continue
                unchanged = {s.column: row[s.column] for s in table.sealed}
                done = (
                    await table.model.filter(id=row["id"], **unchanged)
                    .using_db(tx)
                    .update(**changes)
                )
                if done:
                    progress.add(name, 1)
                else:
                    progress.raced += 1
        progress.batch_done(name)
        after = rows[-1]["id"]
        if pause:
            await asyncio.sleep(pause)


async def rotate_receipt_files(
    vault: PiiVault, *, batch_size: int, pause: float, progress: Progress
) -> None:
    after = 0
    while True:
        rows = (
            await ReceiptFile.filter(sealed=True, id__gt=after)
            .order_by("id")
            .limit(batch_size)
            .values("id", "fmt", "content", "receipt_id")
        )
        if not rows:
            return
        numbers = dict(
            await Receipt.filter(id__in={r["receipt_id"] for r in rows}).values_list(
                "id", "receipt_no"
            )
        )
        async with in_transaction() as tx:
            for row in rows:
                content = bytes(row["content"])
                if vault.blob_is_current(content):
                    continue
                receipt_no = numbers[row["receipt_id"]]
                plain = unseal_receipt_file(vault, receipt_no, row["fmt"], content)
                resealed = seal_receipt_file(vault, receipt_no, row["fmt"], plain)
                locked = await ReceiptFile.filter(id=row["id"]).using_db(tx).select_for_update()
                if locked and bytes(locked[0].content) == content:
                    await ReceiptFile.filter(id=row["id"]).using_db(tx).update(content=resealed)
                    progress.add("receipt_file", 1)
        progress.batch_done("receipt_file")
        after = rows[-1]["id"]
        if pause:
            await asyncio.sleep(pause)


async def rotate_materials(
    store: MaterialStore, *, batch_size: int, pause: float, progress: Progress
) -> None:
    after = 0
    while True:
        blobs = (
            await MaterialBlob.filter(material_id__gt=after)
            .order_by("material_id")
            .limit(batch_size)
            .values("material_id", "sealed")
        )
        if not blobs:
            return
        materials = {
            m.id: m for m in await Material.filter(id__in={b["material_id"] for b in blobs})
        }
        async with in_transaction() as tx:
            for blob in blobs:
                raw = bytes(blob["sealed"])
                if store.vault.blob_is_current(raw):
                    continue
                material = materials[blob["material_id"]]
                aad = store.aad(material.citizen_id, material.sha256)
                resealed = store.vault.seal_bytes(aad, store.open_sealed(aad, raw))
                await (
                    MaterialBlob.filter(material_id=blob["material_id"], sealed=raw)
                    .using_db(tx)
                    .update(sealed=resealed)
                )
                progress.add("material_blob", 1)
        progress.batch_done("material_blob")
        after = blobs[-1]["material_id"]
        if pause:
            await asyncio.sleep(pause)


async def rotate(
    vault: PiiVault,
    materials: MaterialStore,
    *,
    batch_size: int = 500,
    pause: float = 0.0,
    progress: Progress | None = None,
) -> Progress:
    progress = progress or Progress()
    for table in TABLES:
        await rotate_table(table, vault, batch_size=batch_size, pause=pause, progress=progress)
    for json_table in JSON_TABLES:
        await rotate_json_table(
            json_table, vault, batch_size=batch_size, pause=pause, progress=progress
        )
    await rotate_receipt_files(vault, batch_size=batch_size, pause=pause, progress=progress)
    await rotate_materials(materials, batch_size=batch_size, pause=pause, progress=progress)
    async with in_transaction() as tx:
        await audit.record(
            None,
            "crypto.rotate",
            "key",
            vault.current.key_id,
            department=None,
            using=tx,
            after={"rotated": progress.rotated, "raced": progress.raced},
        )
    return progress


async def remaining(vault: PiiVault) -> dict[str, int]:
    """Rows per table with a value not under the current key (``crypto status``)."""
    left = {
        table.model._meta.db_table: await table.model.filter(_stale(table, vault)).count()
        for table in TABLES
    }
    for json_table in JSON_TABLES:
        name = f"{json_table.model._meta.db_table}.{json_table.column}"
        left[name] = await json_remaining(json_table, vault)
    return left
