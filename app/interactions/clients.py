"""Open311 clients: outside tools that file 12345 requests with an ``api_key``.

The key is random (256 bits), printed once by ``yiwang open311 create-client`` and stored
only as its SHA-256 (a key that long needs no slow hash). Revoking is immediate: every
request looks the key up.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from app.errors import InvalidInput, Open311ClientNotFound, Open311KeyInvalid
from app.interactions.models import Open311Client
from infra import clock

KEY_PREFIX = "o311_"


def _hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def client_view(c: Open311Client) -> dict[str, Any]:
    return {
        "client_id": c.id,
        "name": c.name,
        "key_prefix": c.key_prefix,
        "created_at": c.created_at.isoformat(),
        "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
    }


async def create_client(name: str) -> tuple[Open311Client, str]:
    """A new client and its api_key (the only time the key is seen)."""
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise InvalidInput("A client's name is 1 to 64 characters.", fields={"name": name})
    api_key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = await Open311Client.create(
        name=name,
        key_hash=_hash(api_key),
        key_prefix=api_key[:12],
        created_at=clock.now(),
    )
    return client, api_key


async def revoke_client(client_id: int) -> Open311Client:
    """Revoke at once (idempotent: revoking twice keeps the first time)."""
    await Open311Client.filter(id=client_id, revoked_at=None).update(revoked_at=clock.now())
    client = await Open311Client.get_or_none(id=client_id)
    if client is None:
        raise Open311ClientNotFound(client_id=client_id)
    return client


async def list_clients() -> list[dict[str, Any]]:
    return [client_view(c) for c in await Open311Client.all().order_by("id")]


async def authenticate(api_key: Any) -> Open311Client:
    """The active client holding this key, or OPEN311_API_KEY_INVALID (403)."""
    if not isinstance(api_key, str) or not api_key.startswith(KEY_PREFIX) or len(api_key) > 128:
        raise Open311KeyInvalid()
    client = await Open311Client.get_or_none(key_hash=_hash(api_key), revoked_at=None)
    if client is None:
        raise Open311KeyInvalid()
    return client
