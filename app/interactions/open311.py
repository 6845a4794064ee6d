"""The GeoReport v2 view of 12345: services are categories, requests are tickets.

Field names and shapes follow Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2).
Public listings redact ID and phone numbers in descriptions and never show who filed.

A report is about a public place (a broken lamp, a pothole): its text, place, photo
(``media_url``) and the department's reply are public. Complaints and consultations are
between a resident and a department: they are listed, so how fast departments answer stays
visible, but their text, reply, address, coordinates and photo are not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from app.cases.materials import IMAGE_TYPES, MaterialStore
from app.cases.models import Material
from app.catalog.models import Department
from app.errors import InvalidInput
from app.interactions.models import Category, Ticket
from app.interactions.photos import strip_metadata
from app.supervision.models import Deadline
from infra import clock
from infra.masking import redact

OPEN = ("dispatched", "reopened")
CLOSED = ("replied", "closed")


def service_view(c: Category) -> dict[str, Any]:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": c.description,
        "metadata": bool(c.attributes),
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


@dataclass(frozen=True)
class Directory:
    """What request views show beside the tickets, loaded once per answer: the names of
    services (categories) and agencies (departments), the reply time the service notice
    promises, and the day each open ticket's reply is due (its supervised deadline)."""

    services: dict[str, str]
    departments: dict[str, str]
    reply_working_days: int
    due: dict[str, date] = field(default_factory=dict)

    def agency(self, department_code: str) -> str:
        return self.departments.get(department_code, department_code)

    def notice(self, department_code: str) -> str:
        """GeoReport's service_notice, the same in the POST answer and every GET: who
        handles the request and by when they answer."""
        name = self.agency(department_code)
        return f"已派发至{name}，{self.reply_working_days}个工作日内答复。"

    def expected(self, t: Ticket) -> str | None:
        """GeoReport's expected_datetime: the end of the day the reply is due (Shanghai)."""
        due = self.due.get(str(t.id)) if t.status in OPEN else None
        if due is None:
            return None
        return _iso(datetime.combine(due, time(23, 59, 59), tzinfo=clock.SHANGHAI))


async def directory(reply_working_days: int, tickets: list[Ticket] | None = None) -> Directory:
    refs = [str(t.id) for t in tickets or [] if t.status in OPEN]
    due = (
        await Deadline.filter(
            subject_type="ticket", step="reply", subject_ref__in=refs, met_at=None
        ).values_list("subject_ref", "due_date")
        if refs
        else []
    )
    return Directory(
        services=dict(await Category.all().values_list("code", "name")),
        departments=dict(await Department.all().values_list("code", "name")),
        reply_working_days=reply_working_days,
        due=dict(due),
    )


def request_view(t: Ticket, names: Directory, base_url: str) -> dict[str, Any]:
    public = t.kind == "report"
    return {
        "service_request_id": str(t.id),
        "status": "open" if t.status in OPEN else "closed",
        "status_notes": redact(t.reply) if t.reply and public else None,
        "service_name": names.services.get(t.category_code, t.category_code),
        "service_code": t.category_code,
        "description": redact(t.text) if public else None,
        "agency_responsible": names.agency(t.department_code),
        "service_notice": names.notice(t.department_code),
        "requested_datetime": _iso(t.created_at),
        "updated_datetime": _iso(t.updated_at),
        "expected_datetime": names.expected(t),
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


SEARCH_DAYS = 90
SEARCH_LIMIT = 1000


def _statuses(raw: str | None) -> tuple[str, ...] | None:
    """GeoReport's status filter: open, closed, or both (comma delimited); None for all."""
    if not raw:
        return None
    asked = {s.strip() for s in raw.split(",")}
    if not asked <= {"open", "closed"}:
        raise InvalidInput("status is open, closed or both.", fields={"status": raw[:32]})
    if asked == {"open", "closed"}:
        return None
    return OPEN if asked == {"open"} else CLOSED


async def search(args: dict[str, str | None]) -> list[Ticket]:
    """GET requests: by ids (which overrides the rest), or by service_code / status / date
    window: at most 90 days apart, the last 90 days by default, the newest 1000 at most."""
    if args.get("service_request_id"):
        ids = [i for i in str(args["service_request_id"]).split(",") if i.strip().isdigit()]
        found = Ticket.filter(id__in=[int(i) for i in ids[:SEARCH_LIMIT]])
        return await found.order_by("id")
    query = Ticket.all()
    if args.get("service_code"):
        codes = [c for c in str(args["service_code"]).split(",") if c.isprintable()]
        query = query.filter(category_code__in=codes[:SEARCH_LIMIT])
    statuses = _statuses(args.get("status"))
    if statuses is not None:
        query = query.filter(status__in=statuses)
    start = _when(args.get("start_date"), "start_date")
    end = _when(args.get("end_date"), "end_date")
    window = timedelta(days=SEARCH_DAYS)
    if start and end and end - start > window:
        raise InvalidInput(
            f"start_date and end_date are at most {SEARCH_DAYS} days apart.",
            fields={"end_date": "too far from start_date"},
        )
    if start is None:
        start = (end or clock.now()) - window
    query = query.filter(created_at__gte=start)
    if end:
        query = query.filter(created_at__lte=end)
    return await query.order_by("-created_at").limit(SEARCH_LIMIT)


SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CONTACT = "12345 政务服务便民热线：拨打 12345，或在一网通办应用中留言。"
KEY_SERVICE = (
    "Open311 api_key 由平台运营方签发（yiwang open311 create-client）；"
    "请通过 12345 热线联系平台运营方申请。"
)
# Discovery's changeset when no service definition has changed since the categories were
# seeded: a fixed instant, so a client's cached copy stays valid until one does.
NEVER_CHANGED = datetime(2020, 1, 1, tzinfo=clock.SHANGHAI)


def discovery_view(
    endpoint_url: str, changeset: datetime | None, *, formats: tuple[str, ...], test: bool
) -> dict[str, Any]:
    """Open311 service discovery: one GeoReport v2 endpoint (``test`` for the demo)."""
    stamp = _iso(changeset or NEVER_CHANGED)
    return {
        "changeset": stamp,
        "contact": CONTACT,
        "key_service": KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": stamp,
                "type": "test" if test else "production",
                "formats": list(formats),
            }
        ],
    }


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
