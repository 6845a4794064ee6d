"""The GeoReport v2 view of 12345: services are categories, requests are tickets.

Field names and shapes follow Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2).
Public listings redact ID and phone numbers in descriptions and never show who filed.

A report is about a public place (a broken lamp, a pothole): its text, place, photo
(``media_url``) and the department's reply are public. Complaints and consultations are
between a resident and a department: they are listed, so how fast departments answer stays
visible, but their text, reply, address, coordinates and photo are not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.cases.materials import IMAGE_TYPES, MaterialStore
from app.cases.models import Material
from app.catalog.models import Department
from app.errors import InvalidInput
from app.interactions.models import Category, Ticket
from app.interactions.photos import strip_metadata
from infra import clock
from infra.masking import redact

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


MEDIA_PATH = "/open311/v2/media/{ticket_id}"


def public_photo_id(t: Ticket) -> int | None:
    """The material served as the request's photo: a report's first photo, else none."""
    if t.kind != "report" or not t.photo_ids:
        return None
    return int(t.photo_ids[0])


def media_url(t: Ticket, base_url: str) -> str | None:
    if t.kind != "report":
        return None
    if public_photo_id(t) is not None:
        return base_url + MEDIA_PATH.format(ticket_id=t.id)
    return t.media_url


def request_view(t: Ticket, names: dict[str, str], base_url: str) -> dict[str, Any]:
    public = t.kind == "report"
    return {
        "service_request_id": str(t.id),
        "status": "open" if t.status in OPEN else "closed",
        "status_notes": redact(t.reply) if t.reply and public else None,
        "service_name": names.get(t.category_code, t.category_code),
        "service_code": t.category_code,
        "description": redact(t.text) if public else None,
        "agency_responsible": t.department_code,
        "service_notice": None,
        "requested_datetime": _iso(t.created_at),
        "updated_datetime": _iso(t.updated_at),
        "expected_datetime": None,
        "address": redact(t.address) if t.address and public else None,
        "address_id": None,
        "zipcode": None,
        "lat": t.lat if public else None,
        "long": t.long if public else None,
        "media_url": media_url(t, base_url),
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


async def service_notice(t: Ticket, reply_working_days: int) -> str:
    """What happens next, as GeoReport's service_notice: who handles it and by when."""
    department = await Department.get_or_none(code=t.department_code)
    name = department.name if department else t.department_code
    return f"已派发至{name}，{reply_working_days}个工作日内答复。"


async def service_names() -> dict[str, str]:
    return dict(await Category.all().values_list("code", "name"))


async def public_photo(ticket_id: int, store: MaterialStore) -> tuple[bytes, str] | None:
    """A report's first photo without its metadata (photos.py), or None: not a report, no
    photo, or nothing left of it to show."""
    ticket = await Ticket.get_or_none(id=ticket_id)
    photo_id = public_photo_id(ticket) if ticket is not None else None
    if photo_id is None:
        return None
    material = await Material.get_or_none(id=photo_id)
    if material is None or material.content_type not in IMAGE_TYPES:
        return None
    data = strip_metadata(await store.content(material), material.content_type)
    return (data, material.content_type) if data else None
