"""Folding two citizen records into one once they prove to be the same verified person.

Everything a citizen owns follows them: every model with a foreign key to ``Citizen``,
in any room, is re-pointed in the same transaction. A room whose rows cannot simply move
(for example a unique "one per person" key that both records already hold) registers a
resolver that runs first.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

from app.identity.models import Citizen, Session

MergeResolver = Callable[[uuid.UUID, uuid.UUID, BaseDBAsyncClient], Awaitable[None]]

_resolvers: list[MergeResolver] = []


def register_merge_resolver(resolver: MergeResolver) -> None:
    _resolvers.append(resolver)


def _owning_foreign_keys() -> list[tuple[type, str]]:
    owners = []
    for models in Tortoise.apps.values():
        for model in models.values():
            for fk_name in model._meta.fk_fields:
                related = model._meta.fields_map[fk_name].related_model  # type: ignore[attr-defined]
                if related is Citizen and model is not Citizen:
                    owners.append((model, fk_name))
    return owners


async def merge_citizens(source: Citizen, target: Citizen, tx: BaseDBAsyncClient) -> list[str]:
    """Move everything from ``source`` to ``target``; returns the moved session token hashes."""
    moved_sessions = (
        await Session.filter(citizen_id=source.id).using_db(tx).values_list("token_hash", flat=True)
    )
    for resolver in _resolvers:
        await resolver(source.id, target.id, tx)
    for model, fk_name in _owning_foreign_keys():
        await (
            model.filter(**{f"{fk_name}_id": source.id})
            .using_db(tx)
            .update(  # type: ignore[attr-defined]
                **{f"{fk_name}_id": target.id}
            )
        )
    await Citizen.filter(id=source.id).using_db(tx).update(merged_into_id=target.id)
    if target.elder_mode is None and source.elder_mode is not None:
        # A choice made before the two records proved to be one person is kept.
        await (
            Citizen.filter(id=target.id)
            .using_db(tx)
            .update(
                elder_mode=source.elder_mode,
                text_scale=source.text_scale,
                preferences_at=source.preferences_at,
            )
        )
        target.elder_mode, target.text_scale = source.elder_mode, source.text_scale
    return [str(h) for h in moved_sessions]
