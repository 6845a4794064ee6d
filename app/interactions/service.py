"""Filing, dispatching, replying, reopening (within 10 days) and rating 12345 tickets.

Filing dispatches at once to the category's department; the reply is supervised in working
days from dispatch (and again from each reopening).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.cases.materials import owned_material
from app.catalog import audit
from app.catalog.scope import require_role
from app.config import ServiceRules
from app.errors import (
    CategoryUnknown,
    InvalidInput,
    ReopenWindowClosed,
    TicketNotFound,
    TicketStepForbidden,
)
from app.identity.sessions import Principal
from app.interactions import states
from app.interactions.attributes import check_answers
from app.interactions.models import Category, Open311Client, Ticket
from app.interactions.notices import TICKET_REPLY
from app.interactions.requesters import check_media_url, check_requester, seal, unseal
from app.operators.auth import OperatorPrincipal
from app.supervision.deadlines import meet_deadline, open_deadline
from infra import clock
from infra.outbox import emit
from infra.pii import PiiVault
from infra.transitions import move

KINDS = ("consult", "complaint", "report")
OPEN311_CHANNEL = "open311"


@dataclass
class Interactions:
    rules: ServiceRules
    vault: PiiVault

    async def _checked(
        self,
        kind: str,
        category_code: str,
        text: str,
        address: str | None,
        lat: float | None,
        long: float | None,
        attributes: dict[str, list[Any]] | None,
    ) -> tuple[Category, list[dict[str, Any]]]:
        """The category and the answers to its attributes, once the matter itself is well
        formed (same rules for every filer)."""
        if kind not in KINDS:
            raise InvalidInput("kind is consult, complaint or report.", fields={"kind": kind})
        category = await Category.get_or_none(code=category_code)
        if category is None:
            raise CategoryUnknown(service_code=category_code)
        if not text.strip():
            raise InvalidInput("Describe the matter.", fields={"text": "is required"})
        if kind != "consult" and not (address or (lat is not None and long is not None)):
            raise InvalidInput(
                "A complaint or report needs an address or a location.",
                fields={"address": "is required"},
            )
        return category, check_answers(category.attributes or [], attributes or {})

    async def file(
        self,
        who: Principal,
        *,
        kind: str,
        category_code: str,
        text: str,
        address: str | None = None,
        lat: float | None = None,
        long: float | None = None,
        photo_ids: list[Any] | None = None,
        media_url: str | None = None,
        attributes: dict[str, list[Any]] | None = None,
    ) -> Ticket:
        category, answers = await self._checked(
            kind, category_code, text, address, lat, long, attributes
        )
        photos = list(photo_ids or [])
        if len(photos) > self.rules.photos_per_ticket:
            raise InvalidInput(f"At most {self.rules.photos_per_ticket} photos.")
        checked = [(await owned_material(who.citizen_id, p)) for p in photos]
        if any(m.content_type not in ("image/jpeg", "image/png") for m in checked):
            raise InvalidInput("Photos are JPEG or PNG images.", fields={"photos": "not images"})
        return await self._create(
            category,
            citizen_id=who.citizen_id,
            account_id=who.account_id,
            channel=who.channel,
            kind=kind,
            text=text,
            address=address,
            lat=lat,
            long=long,
            photo_ids=[m.id for m in checked],
            media_url=check_media_url(media_url),
            attributes=answers,
        )

    async def file_for_client(
        self,
        client: Open311Client,
        requester: dict[str, Any],
        *,
        kind: str,
        category_code: str,
        text: str,
        address: str | None = None,
        lat: float | None = None,
        long: float | None = None,
        media_url: str | None = None,
        attributes: dict[str, list[Any]] | None = None,
    ) -> Ticket:
        """A request an Open311 client files for someone: no resident account behind it, the
        requester's contact sealed. Nobody can reopen or rate it (see ``_resident_only``)."""
        category, answers = await self._checked(
            kind, category_code, text, address, lat, long, attributes
        )
        contact = check_requester(requester)
        return await self._create(
            category,
            client_id=client.id,
            requester=seal(self.vault, contact),
            channel=OPEN311_CHANNEL,
            kind=kind,
            text=text,
            address=address,
            lat=lat,
            long=long,
            photo_ids=[],
            media_url=check_media_url(media_url),
            attributes=answers,
        )

    async def _create(self, category: Category, *, text: str, **values: Any) -> Ticket:
        now = clock.now()
        async with in_transaction() as tx:
            ticket = await Ticket.create(
                category_code=category.code,
                department_code=category.department_code,
                text=text.strip(),
                status="dispatched",
                created_at=now,
                updated_at=now,
                using_db=tx,
                **values,
            )
            await self._await_reply(tx, ticket)
        return ticket

    async def _await_reply(self, tx: Any, ticket: Ticket) -> None:
        await open_deadline(
            tx,
            subject_type="ticket",
            subject_ref=str(ticket.id),
            step="reply",
            department_code=ticket.department_code,
            working_days=self.rules.ticket_reply_working_days,
            weekend_days=self.rules.weekend_days,
        )

    async def _move(self, ticket: Ticket, step: str, **changes: Any) -> Ticket:
        src = ticket.status
        dst = states.next_status(src, step)
        async with in_transaction() as tx:
            if not await move(ticket, dst, using=tx, updated_at=clock.now(), **changes):
                raise TicketStepForbidden("The ticket moved on meanwhile; reload it.")
            fresh = await Ticket.get(id=ticket.id).using_db(tx)
            if src in states.AWAITING_REPLY:
                await meet_deadline(
                    tx, subject_type="ticket", subject_ref=str(ticket.id), step="reply"
                )
            if dst in states.AWAITING_REPLY:
                await self._await_reply(tx, fresh)
            if step == "reply" and fresh.account_id is not None:
                # The resident hears of the reply on their channel (app/interactions/notices.py).
                await emit(
                    TICKET_REPLY,
                    {"ticket_id": fresh.id},
                    using=tx,
                    dedupe_key=f"ticket-reply:{fresh.id}:{fresh.reopen_count}",
                )
        return fresh

    async def owned(self, who: Principal, ticket_id: Any) -> Ticket:
        ticket = await _get(ticket_id)
        if ticket is None or ticket.citizen_id is None or ticket.citizen_id != who.citizen_id:
            raise TicketNotFound(id=ticket_id)
        return ticket

    async def for_department(self, ticket_id: Any, departments: tuple[str, ...] | None) -> Ticket:
        ticket = await _get(ticket_id)
        if ticket is None or (
            departments is not None and ticket.department_code not in departments
        ):
            raise TicketNotFound(id=ticket_id)
        return ticket

    async def reveal_requester(
        self, ticket: Ticket, actor: OperatorPrincipal, reason: str
    ) -> dict[str, str] | None:
        """The Open311 requester's contact in full, for the department to call back: its
        own operators only (not reviewers), and every look is written to the audit log
        with its reason before anything is shown."""
        require_role(actor, "department_operator")
        async with in_transaction() as tx:
            await audit.record(
                actor,
                "reveal_requester",
                "ticket",
                str(ticket.id),
                department=ticket.department_code,
                using=tx,
                reason=reason,
            )
        return unseal(self.vault, ticket.requester)

    async def dispatch(self, ticket: Ticket, department_code: str) -> Ticket:
        return await self._move(ticket, "dispatch", department_code=department_code)

    async def reply(self, ticket: Ticket, text: str) -> Ticket:
        if not text.strip():
            raise InvalidInput("The reply is empty.", fields={"reply": "is required"})
        return await self._move(ticket, "reply", reply=text.strip(), replied_at=clock.now())

    async def reopen(self, ticket: Ticket) -> Ticket:
        _resident_only(ticket, "reopen")
        states.next_status(ticket.status, "reopen")
        window = timedelta(days=self.rules.ticket_reopen_days)
        if ticket.replied_at is None or clock.now() > ticket.replied_at + window:
            raise ReopenWindowClosed(days=self.rules.ticket_reopen_days)
        return await self._move(ticket, "reopen", reopen_count=ticket.reopen_count + 1)

    async def rate(self, ticket: Ticket, rating: int) -> Ticket:
        _resident_only(ticket, "rate")
        if not 1 <= rating <= 5:
            raise InvalidInput("A rating is 1 to 5.", fields={"rating": str(rating)})
        return await self._move(ticket, "rate", rating=rating)


def _resident_only(ticket: Ticket, step: str) -> None:
    """Reopening and rating are the resident's say; a client-filed ticket has no resident."""
    if ticket.citizen_id is None:
        raise TicketStepForbidden(
            f"A ticket filed through an Open311 client cannot take the {step} step.",
            status=ticket.status,
            step=step,
        )


async def _get(ticket_id: Any) -> Ticket | None:
    try:
        return await Ticket.get_or_none(id=int(ticket_id))
    except (TypeError, ValueError):
        return None


def _local(at: Any) -> str | None:
    return at.astimezone(clock.SHANGHAI).isoformat() if at else None


def ticket_view(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.id,
        "kind": t.kind,
        "category_code": t.category_code,
        "department_code": t.department_code,
        "text": t.text,
        "address": t.address,
        "lat": t.lat,
        "long": t.long,
        "photo_ids": t.photo_ids,
        "media_url": t.media_url,
        "attributes": t.attributes or [],
        "filed_by": "resident" if t.citizen_id is not None else "open311",
        "requester": (t.requester or {}).get("masked"),
        "status": t.status,
        "reply": t.reply,
        "replied_at": _local(t.replied_at),
        "reopen_count": t.reopen_count,
        "rating": t.rating,
        "created_at": _local(t.created_at),
        "updated_at": _local(t.updated_at),
    }
