"""Uploaded materials (and receipt PDFs, the same vault functions) sealed before key ids
still open, are resealed under the current SM4 key by the rotation, and a file under a
key id nobody holds is refused naming it."""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.cases.materials import MaterialStore, legacy_key
from app.cases.models import Material, MaterialBlob
from app.config import Settings
from app.runtime.crypto_rotation import Progress, rotate_materials
from infra import clock
from infra.pii import DataKey, PiiUnknownKey, PiiVault

pytestmark = pytest.mark.usefixtures("clean")
PDF = b"%PDF-1.4 " + os.urandom(3000)


async def test_a_material_sealed_with_aes_before_key_ids_is_resealed_with_sm4(
    settings: Settings,
) -> None:
    store = MaterialStore(settings.vault(), legacy_key(settings.pii_key), 5 * 1024 * 1024)
    citizen_id, digest = uuid.uuid4(), hashlib.sha256(PDF).hexdigest()
    material = await Material.create(
        citizen_id=citizen_id,
        filename="a.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=digest,
        created_at=clock.now(),
    )
    nonce = os.urandom(12)  # exactly as files were sealed before key ids
    old = nonce + AESGCM(store.legacy_key).encrypt(nonce, PDF, store.aad(citizen_id, digest))
    await MaterialBlob.create(material_id=material.id, sealed=old)
    assert await store.content(material) == PDF

    new = await store.store(citizen_id, "b.pdf", PDF)
    fresh = bytes((await MaterialBlob.get(material_id=new.id)).sealed)
    assert fresh.startswith(b"YW\x03sm1") and PDF not in fresh

    progress = Progress()
    await rotate_materials(store, batch_size=1, pause=0, progress=progress)
    assert progress.rotated == {"material_blob": 1}  # the old one; the new was current
    resealed = bytes((await MaterialBlob.get(material_id=material.id)).sealed)
    assert store.vault.blob_is_current(resealed) and resealed != old
    assert await store.content(material) == PDF
    await rotate_materials(store, batch_size=1, pause=0, progress=progress)
    assert progress.rotated == {"material_blob": 1}  # nothing left: idempotent


def test_a_file_under_a_key_nobody_holds_is_refused_naming_it() -> None:
    writer = PiiVault(
        (DataKey("sm9", "SM4-GCM", os.urandom(16)),),
        PiiVault.international(os.urandom(32), os.urandom(32)).lookup_keys,
    )
    sealed = writer.seal_bytes(b"receipt-file:x:pdf", PDF)
    reader = PiiVault.international(os.urandom(32), os.urandom(32))
    with pytest.raises(PiiUnknownKey, match="'sm9'"):
        reader.open_bytes(b"receipt-file:x:pdf", sealed, legacy=reader.key("v1"))
    assert writer.open_bytes(b"receipt-file:x:pdf", sealed) == PDF
