"""The GeoReport v2 view of 12345: services are categories, requests are tickets.

Field names and shapes follow Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2).
Public listings redact ID and phone numbers in descriptions and never show who filed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.errors import InvalidInput
from app.interactions.models import Category, Ticket
from infra import clock
from infra.pii import redact

OPEN = ("dispatched", "reopened")


def service_view(c: Category) -> dict[str, Any]:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": c.description,
        "metadata": False,
        "type": "realtime",
        "keywords": c.keywords,
        "group": c.group,
    }


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(clock.SHANGHAI).isoformat(timespec="seconds") if at else None


def request_view(t: Ticket, names: dict[str, str]) -> dict[str, Any]:
    return {
        "service_request_id": str(t.id),
        "status": "open" if t.status in OPEN else "closed",
        "status_notes": redact(t.reply) if t.reply else None,
        "service_name": names.get(t.category_code, t.category_code),
        "service_code": t.category_code,
        "description": redact(t.text),
        "agency_responsible": t.department_code,
        "service_notice": None,
        "requested_datetime": _iso(t.created_at),
        "updated_datetime": _iso(t.updated_at),
        "expected_datetime": None,
        "address": t.address,
        "address_id": None,
        "zipcode": None,
        "lat": t.lat,
        "long": t.long,
        "media_url": None,
    }


def _when(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a W3C date-time.", fields={name: raw}) from exc
    return value if value.tzinfo else value.replace(tzinfo=clock.SHANGHAI)


async def search(args: dict[str, str | None]) -> list[Ticket]:
    """GET requests: by ids, or by service_code / status / date window (90 days, 1000 max)."""
    query = Ticket.all()
    if args.get("service_request_id"):
        ids = [i for i in str(args["service_request_id"]).split(",") if i.strip().isdigit()]
        return await Ticket.filter(id__in=[int(i) for i in ids]).order_by("id")
    if args.get("service_code"):
        query = query.filter(category_code__in=str(args["service_code"]).split(","))
    status = args.get("status")
    if status == "open":
        query = query.filter(status__in=OPEN)
    elif status == "closed":
        query = query.filter(status__not_in=OPEN)
    elif status:
        raise InvalidInput("status is open or closed.", fields={"status": status})
    start, end = (
        _when(args.get("start_date"), "start_date"),
        _when(args.get("end_date"), "end_date"),
    )
    if start:
        query = query.filter(created_at__gte=start)
    if end:
        query = query.filter(created_at__lte=end)
    return await query.order_by("-created_at").limit(1000)


async def service_names() -> dict[str, str]:
    return dict(await Category.all().values_list("code", "name"))
