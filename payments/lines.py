"""Money lines: what an order, a payment notice and a receipt each list and print.

One abstract model holds the columns every line has, and one helper copies lines from
whatever they come from (a payable's quote, an agency's notice, a paid order) into
numbered rows, so the three tables cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from tortoise import fields
from tortoise.models import Model


class LineValues(Protocol):
    @property
    def item_code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def standard_fen(self) -> int: ...
    @property
    def amount_fen(self) -> int: ...


class MoneyLine(Model):
    """One line: item code and name, quantity, the standard (unit) amount and the amount,
    in fen. ``position`` numbers the lines of their owner from 1; each concrete table keeps
    (owner, position) unique."""

    id = fields.BigIntField(primary_key=True)
    position = fields.SmallIntField()
    item_code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=128)
    quantity = fields.IntField()
    standard_fen = fields.BigIntField()
    amount_fen = fields.BigIntField()

    class Meta:
        abstract = True


Line = TypeVar("Line", bound=MoneyLine)


def numbered(model: type[Line], lines: Iterable[LineValues], **owner: Any) -> list[Line]:
    """Unsaved rows of ``model`` copying ``lines`` in order, numbered from 1, each with the
    ``owner`` foreign key (``order_id=…``); save them with ``bulk_create``."""
    return [
        model(
            position=position,
            item_code=line.item_code,
            name=line.name,
            quantity=line.quantity,
            standard_fen=line.standard_fen,
            amount_fen=line.amount_fen,
            **owner,
        )
        for position, line in enumerate(lines, start=1)
    ]
