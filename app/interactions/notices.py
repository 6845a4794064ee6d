"""Telling the resident that the department replied to their 12345 ticket, on the channel
they filed it from; the message opens the ticket, where they rate it or reopen it.
Idempotent: the outbox may run it twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from app.identity.models import ChannelAccount
from app.interactions.models import Ticket
from channels.base import ChannelRejected, Messages, OutboundMessage
from infra import clock

log = logging.getLogger("yiwang.interactions")

TICKET_REPLY = "ticket.reply-notice"
REPLY_TEMPLATE = "yiwang-hotline-reply"


@dataclass
class TicketNotices:
    messages: dict[str, Messages]

    async def send(self, payload: dict[str, Any]) -> None:
        ticket = await Ticket.get_or_none(id=payload["ticket_id"])
        if ticket is None or ticket.account_id is None or ticket.replied_at is None:
            return
        account = await ChannelAccount.get_or_none(id=ticket.account_id)
        messages = self.messages.get(account.channel) if account else None
        if account is None or messages is None:
            return
        try:
            await messages.send(
                OutboundMessage(
                    subject=account.subject,
                    template_id=REPLY_TEMPLATE,
                    data={
                        "ticket_id": str(ticket.id),
                        "status": "已答复",
                        "at": ticket.replied_at.astimezone(clock.SHANGHAI).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                    },
                    page=f"pages/ticket/index?id={ticket.id}",
                )
            )
        except ChannelRejected as exc:
            log.info("12345 reply notice not accepted by %s: %s", account.channel, exc)
