"""What residents read about one item (GET /api/v1/items/{code}): the published version and
its guide, the same on every channel, with each channel's availability. Rendered once per
worker and catalog version, like the channel views, so a publish shows at once."""

from __future__ import annotations

from typing import Any

from app.catalog.channels import CHANNELS, lack_reason, missing_capabilities
from app.catalog.codes import parse_code
from app.catalog.models import Department, Region, ServiceItem, Theme
from app.catalog.views import CatalogCache, RenderedView
from app.errors import DomainError, ItemNotFound


async def _published(code: str) -> ServiceItem | None:
    try:
        canonical = str(parse_code(code))
    except DomainError:
        return None
    return await ServiceItem.get_or_none(code=canonical, status="active")


async def item_body(code: str, version: int) -> dict[str, Any] | None:
    item = await _published(code)
    if item is None or item.published_version is None:
        return None
    theme = await Theme.get_or_none(code=item.theme_code)
    department = await Department.get_or_none(code=item.department_code)
    region = await Region.get_or_none(code=item.region_code)
    channels = {}
    for channel in CHANNELS:
        missing = missing_capabilities(channel, item.needs)
        channels[channel] = {
            "available": not missing,
            "reason": lack_reason(channel, missing) if missing else None,
        }
    return {
        "code": item.code,
        "basic_code": item.basic_code,
        "name": item.name,
        "audience": item.audience,
        "theme": {"code": item.theme_code, "name": theme.name if theme else item.theme_code},
        "department": {
            "code": item.department_code,
            "name": department.name if department else item.department_code,
        },
        "region": {
            "code": item.region_code,
            "name": region.name if region else item.region_code,
        },
        "online_level": item.online_level,
        "needs": list(item.needs),
        "channels": channels,
        "version": item.published_version,
        "guide": item.guide,
        "catalog_version": version,
    }


async def public_item(cache: CatalogCache, code: str) -> RenderedView:
    key = code.strip().upper()[:32]
    rendered = await cache.rendered(("item", key), lambda version: item_body(key, version))
    if rendered is None:
        raise ItemNotFound(code=key)
    return rendered
