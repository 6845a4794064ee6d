"""Rendered files, kept in the database (table receipt_file) and served from there.

Why the database: every stateless instance behind the load balancer reads the same bytes,
backups and the receipt rows stay consistent, and the files are small (QR PNG ~2 KB, SVG
~10 KB, PDF ~8 KB with the CID font referenced, not embedded). The PDF names the payer in
full, so it is sealed under the current personal-data key (SM4-GCM in the national suite),
bound to its receipt; files sealed before key ids (AES-256-GCM under key ``v1``) still open
and are resealed by ``yiwang crypto rotate``.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.receipts.models import Receipt, ReceiptFile
from infra import clock
from infra.pii import PiiVault

CONTENT_TYPES = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
}
SEALED = frozenset({"pdf"})


def _aad(receipt_no: str, fmt: str) -> bytes:
    return f"receipt-file:{receipt_no}:{fmt}".encode()


def seal(vault: PiiVault, receipt_no: str, fmt: str, content: bytes) -> bytes:
    return vault.seal_bytes(_aad(receipt_no, fmt), content)


def unseal(vault: PiiVault, receipt_no: str, fmt: str, stored: bytes) -> bytes:
    return vault.open_bytes(_aad(receipt_no, fmt), stored, legacy=vault.key("v1"))


async def store(vault: PiiVault, receipt: Receipt, files: dict[str, bytes]) -> bool:
    """Keep every rendering of a receipt at once; False if another worker already did."""
    now = clock.now()
    try:
        async with in_transaction() as tx:
            for fmt, content in files.items():
                sealed = fmt in SEALED
                await ReceiptFile.create(
                    receipt_id=receipt.id,
                    fmt=fmt,
                    content=seal(vault, receipt.receipt_no, fmt, content) if sealed else content,
                    sealed=sealed,
                    created_at=now,
                    using_db=tx,
                )
            await (
                Receipt.filter(id=receipt.id, rendered_at=None).using_db(tx).update(rendered_at=now)
            )
    except IntegrityError:
        return False
    receipt.rendered_at = now
    return True


async def load(vault: PiiVault, receipt: Receipt, fmt: str) -> bytes | None:
    row = await ReceiptFile.get_or_none(receipt_id=receipt.id, fmt=fmt)
    if row is None:
        return None
    content = bytes(row.content)
    return unseal(vault, receipt.receipt_no, fmt, content) if row.sealed else content
