"""Uploaded materials: size-limited, typed by their first bytes, sealed, stored in the database.

Why the database and not a storage directory: several stateless instances serve uploads
behind a load balancer, and a case must never point at a file another instance cannot see.
PostgreSQL is already replicated and backed up; 5 MB files are well within bytea's range.
The name a client sends is kept only as a label; the type comes from the content.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from app.cases.models import Case, ELicence, Material, MaterialBlob
from app.errors import MaterialNotFound, UploadTooLarge, UploadTypeNotAllowed
from infra import clock
from infra.pii import DataKey, PiiVault

# Magic numbers of the accepted types; anything else (HTML, SVG, executables) is refused.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
IMAGE_TYPES = ("image/jpeg", "image/png")


def sniff(data: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def _clean_name(filename: str) -> str:
    base = os.path.basename(filename.replace("\\", "/")).strip() or "upload"
    return "".join(ch for ch in base if ch.isprintable())[:128]


def legacy_key(pii_key: bytes) -> bytes:
    """The AES key files were sealed with before key ids, derived from PII_KEY so no secret
    of its own was needed; files are now sealed under the vault's current key, and this one
    only opens the old ones until ``yiwang crypto rotate`` reseals them."""
    return hmac.new(pii_key, b"yiwang/cases/materials", hashlib.sha256).digest()


@dataclass
class MaterialStore:
    """Sealed under the personal-data vault's current key; ``legacy_key`` (AES-256-GCM,
    derived from PII_KEY) opens files stored before key ids, until rotated."""

    vault: PiiVault
    legacy_key: bytes
    max_bytes: int

    def open_sealed(self, aad: bytes, raw: bytes) -> bytes:
        return self.vault.open_bytes(aad, raw, DataKey("v1", "AES-256-GCM", self.legacy_key))

    def aad(self, citizen_id: uuid.UUID, sha256: str) -> bytes:
        return f"material:{citizen_id}:{sha256}".encode()

    async def store(
        self, citizen_id: uuid.UUID, filename: str, data: bytes, *, images_only: bool = False
    ) -> Material:
        if len(data) > self.max_bytes:
            raise UploadTooLarge(
                f"A file may be at most {self.max_bytes // (1024 * 1024)} MB.",
                max_bytes=self.max_bytes,
                size=len(data),
            )
        kind = sniff(data)
        if kind is None or (images_only and kind not in IMAGE_TYPES):
            raise UploadTypeNotAllowed(
                "Only JPEG and PNG photos are accepted." if images_only else None
            )
        digest = hashlib.sha256(data).hexdigest()
        sealed = self.vault.seal_bytes(self.aad(citizen_id, digest), data)
        async with in_transaction() as tx:
            material = await Material.create(
                citizen_id=citizen_id,
                filename=_clean_name(filename),
                content_type=kind,
                size=len(data),
                sha256=digest,
                created_at=clock.now(),
                using_db=tx,
            )
            await MaterialBlob.create(material_id=material.id, sealed=sealed, using_db=tx)
        return material

    async def content(self, material: Material) -> bytes:
        blob = await MaterialBlob.get(material_id=material.id)
        raw = bytes(blob.sealed)
        return self.open_sealed(self.aad(material.citizen_id, material.sha256), raw)


async def owned_material(citizen_id: uuid.UUID, material_id: Any) -> Material:
    try:
        found = await Material.get_or_none(id=int(material_id), citizen_id=citizen_id)
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise MaterialNotFound(material_id=material_id)
    return found


async def attached_material(case: Case, material_id: int) -> Material:
    """A material attached to ``case``, whoever uploaded it: a legal person's case may carry
    files of its representative and of each agent who supplemented it."""
    if not any(m.get("material_id") == material_id for m in case.materials):
        raise MaterialNotFound(material_id=material_id)
    found = await Material.get_or_none(id=material_id)
    if found is None:
        raise MaterialNotFound(material_id=material_id)
    return found


async def owned_licence(citizen_id: uuid.UUID, licence_id: Any) -> ELicence:
    try:
        found = await ELicence.get_or_none(id=int(licence_id), citizen_id=citizen_id)
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise MaterialNotFound("No such e-licence on file for you.", licence_id=licence_id)
    return found


def material_view(m: Material) -> dict[str, Any]:
    return {
        "id": m.id,
        "filename": m.filename,
        "content_type": m.content_type,
        "size": m.size,
        "sha256": m.sha256,
        "created_at": m.created_at.isoformat(),
    }


def licence_view(lic: ELicence) -> dict[str, Any]:
    return {
        "id": lic.id,
        "kind": lic.kind,
        "title": lic.title,
        "number": lic.number,
        "department_code": lic.department_code,
        "case_id": lic.case_id,
        "issued_at": lic.issued_at.isoformat(),
    }
