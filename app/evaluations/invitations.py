"""Inviting a rating for a service left unrated 3 days after it ended (once per service).

The Invitation row and its outbox event are written together; the unique key on
(subject_type, subject_ref) makes a second sweep, or two sweeps at once, invite nobody twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.appointments.models import Booking
from app.cases.models import Case
from app.evaluations.models import Evaluation, Invitation
from app.identity.models import ChannelAccount
from channels.base import ChannelRejected, Messages, OutboundMessage
from infra import clock
from infra.outbox import emit
from payments.models import Order

log = logging.getLogger("yiwang.evaluations")

INVITE = "evaluation.invite"
INVITE_TEMPLATE = "yiwang-rating-invite"


async def _candidates(cutoff: Any, limit: int) -> list[tuple[str, str, Any, int | None, str]]:
    """(subject_type, ref, citizen_id, account_id or None, channel) of services to invite."""
    found: list[tuple[str, str, Any, int | None, str]] = []
    for c in await Case.filter(
        status__in=("completed", "rejected"),
        finished_at__lte=cutoff,
        finished_at__gte=cutoff - timedelta(days=30),
    ).limit(limit):
        found.append(("case", c.case_no, c.citizen_id, c.notify_account_id, c.channel))
    for b in await Booking.filter(
        status="checked_in",
        checked_in_at__lte=cutoff,
        checked_in_at__gte=cutoff - timedelta(days=30),
    ).limit(limit):
        found.append(("appointment", str(b.id), b.citizen_id, b.account_id, b.channel))
    for o in await Order.filter(
        status="PAID", paid_at__lte=cutoff, paid_at__gte=cutoff - timedelta(days=30)
    ).limit(limit):
        found.append(("payment", o.order_no, o.citizen_id, None, o.channel or "app"))  # type: ignore[attr-defined]
    return found


async def invite_due(after_days: int, *, limit: int = 500) -> int:
    cutoff = clock.now() - timedelta(days=after_days)
    invited = 0
    for subject_type, ref, citizen_id, account_id, channel in await _candidates(cutoff, limit):
        if await Evaluation.exists(subject_type=subject_type, subject_ref=ref) or (
            await Invitation.exists(subject_type=subject_type, subject_ref=ref)
        ):
            continue
        try:
            async with in_transaction() as tx:
                await Invitation.create(
                    subject_type=subject_type,
                    subject_ref=ref,
                    citizen_id=citizen_id,
                    created_at=clock.now(),
                    using_db=tx,
                )
                await emit(
                    INVITE,
                    {
                        "subject_type": subject_type,
                        "subject_ref": ref,
                        "citizen_id": str(citizen_id),
                        "account_id": account_id,
                        "channel": channel,
                    },
                    using=tx,
                    dedupe_key=f"rating-invite:{subject_type}:{ref}",
                )
            invited += 1
        except IntegrityError:
            continue
    return invited


@dataclass
class InvitationSender:
    messages: dict[str, Messages]

    async def send(self, payload: dict[str, Any]) -> None:
        if await Evaluation.exists(
            subject_type=payload["subject_type"], subject_ref=payload["subject_ref"]
        ):
            return  # rated meanwhile
        account = None
        if payload.get("account_id") is not None:
            account = await ChannelAccount.get_or_none(id=payload["account_id"])
        if account is None:
            account = await ChannelAccount.filter(
                citizen_id=payload["citizen_id"], channel=payload["channel"]
            ).first()
        messages = self.messages.get(account.channel) if account else None
        if account is None or messages is None:
            return
        try:
            await messages.send(
                OutboundMessage(
                    subject=account.subject,
                    template_id=INVITE_TEMPLATE,
                    data={"subject_type": payload["subject_type"], "ref": payload["subject_ref"]},
                    page=f"pages/rate/index?type={payload['subject_type']}"
                    f"&ref={payload['subject_ref']}",
                )
            )
        except ChannelRejected as exc:
            log.info("rating invitation not accepted by %s: %s", account.channel, exc)
