"""The fee-item catalog (执收项目): what each agency may collect, at what standard or range."""

from __future__ import annotations

from dataclasses import dataclass

from app.agency.models import Agency
from app.catalog.guides import FeeStandard
from app.errors import InvalidInput
from app.fees.models import FeeItem
from infra import clock


@dataclass(frozen=True)
class FeeItemInput:
    item_code: str
    name: str
    kind_code: str
    standard_fen: int | None = None
    min_fen: int | None = None
    max_fen: int | None = None


def _check(data: FeeItemInput) -> None:
    has_range = data.min_fen is not None or data.max_fen is not None
    if (data.standard_fen is None) == (not has_range):
        raise InvalidInput("Give either standard_fen or min_fen and max_fen.", field="standard_fen")
    if has_range and (data.min_fen is None or data.max_fen is None or data.min_fen > data.max_fen):
        raise InvalidInput("min_fen must not exceed max_fen.", field="min_fen")


async def register_fee_item(agency: Agency, data: FeeItemInput) -> FeeItem:
    """Create or update an item by its code; codes belong to one agency."""
    _check(data)
    fields = {
        "name": data.name.strip(),
        "kind_code": data.kind_code,
        "standard_fen": data.standard_fen,
        "min_fen": data.min_fen,
        "max_fen": data.max_fen,
        "active": True,
    }
    item, created = await FeeItem.get_or_create(
        agency_id=agency.id,
        item_code=data.item_code,
        defaults={**fields, "created_at": clock.now()},
    )
    if not created:
        await FeeItem.filter(id=item.id).update(**fields)
        item = await FeeItem.get(id=item.id)
    return item


async def registered_standards() -> dict[str, FeeStandard]:
    """Active fee items as a guide may quote them (the catalog's guide check asks)."""
    return {
        row["item_code"]: FeeStandard(row["standard_fen"], row["min_fen"], row["max_fen"])
        for row in await FeeItem.filter(active=True).values(
            "item_code", "standard_fen", "min_fen", "max_fen"
        )
    }
