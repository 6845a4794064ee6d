"""The one transition mechanism: a table per aggregate and a compare-and-set ``move``.

Each room keeps its own table next to its models, always in this shape (a status and the
statuses that may follow it), and every status change in the house is persisted by
:func:`move`: ``filter(pk=…, status=src).update(status=dst, …)`` must change exactly one row.
A race loses cleanly (``move`` answers False and changes nothing, not even the loaded
object); a move the table does not list is a programming error, :class:`IllegalTransition`.
The architecture test refuses a status written anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from infra import clock


class IllegalTransition(RuntimeError):
    """A code path asked for a move the table forbids: a bug, never a user error."""


def _plain(status: object) -> str:
    return str(status.value) if isinstance(status, Enum) else str(status)


@dataclass(frozen=True)
class Transitions:
    """One aggregate's table: for each status, the statuses that may follow it.

    ``field`` names the status column (``status`` unless the aggregate has two); ``guard``
    names columns that must also still hold what the loaded object holds, so a move decided
    on a stale view of them loses the race too; ``stamp`` names a column every move sets to
    the current time (``updated_at``).
    """

    aggregate: str
    allowed: Mapping[str, frozenset[str]]
    field: str = "status"
    guard: tuple[str, ...] = ()
    stamp: str | None = None

    @classmethod
    def of(
        cls,
        aggregate: str,
        table: Mapping[Any, Iterable[Any]],
        *,
        field: str = "status",
        guard: tuple[str, ...] = (),
        stamp: str | None = None,
    ) -> Transitions:
        """Build from enum or string statuses; every status appears as a key."""
        allowed = {_plain(src): frozenset(_plain(d) for d in dsts) for src, dsts in table.items()}
        unknown = {d for dsts in allowed.values() for d in dsts} - set(allowed)
        if unknown:
            raise ValueError(f"{aggregate}: {sorted(unknown)} are reachable but not listed")
        return cls(aggregate, allowed, field, guard, stamp)

    @property
    def statuses(self) -> frozenset[str]:
        return frozenset(self.allowed)

    def may(self, src: object, dst: object) -> bool:
        return _plain(dst) in self.allowed.get(_plain(src), frozenset())

    def check(self, src: object, dst: object, *, what: object = "") -> None:
        if not self.may(src, dst):
            name = f"{self.aggregate} {what}".strip()
            raise IllegalTransition(f"{name}: {_plain(src)} -> {_plain(dst)} is not allowed")


async def move(
    row: Any,
    dst: object,
    *,
    using: BaseDBAsyncClient | None = None,
    table: Transitions | None = None,
    **changes: Any,
) -> bool:
    """Move ``row`` to ``dst`` and apply ``changes`` with it, as one compare-and-set.

    The table is the row's class attribute ``transitions`` unless ``table`` names another
    (an aggregate with two status columns). True when exactly this call changed the row;
    the loaded object then holds the new values. False when another writer moved it first.
    """
    rules: Transitions = table if table is not None else type(row).transitions
    src = _plain(getattr(row, rules.field))
    target = _plain(dst)
    rules.check(src, target, what=row.pk)
    if rules.stamp is not None:
        changes = {rules.stamp: clock.now(), **changes}
    expected = {rules.field: src, **{name: getattr(row, name) for name in rules.guard}}
    query = type(row).filter(pk=row.pk, **expected)
    if using is not None:
        query = query.using_db(using)
    changed: int = await query.update(**{rules.field: target}, **changes)
    if changed != 1:
        return False
    setattr(row, rules.field, target)
    for name, value in changes.items():
        setattr(row, name, value)
    return True
