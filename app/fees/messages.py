"""Telling a resident that a department issued them a payment notice (idempotent: the outbox
may run it twice; a duplicate message is harmless, a lost one is not).

The notice names an ID number, not an account: the message goes to the verified citizen
with that ID number, on the channel they signed in on last, and opens 我的待缴 there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from app.agency.models import Agency
from app.fees.models import PaymentNotice
from app.identity.models import ChannelAccount, Citizen
from channels.base import ChannelRejected, Messages, OutboundMessage
from infra.pii import PiiVault

log = logging.getLogger("yiwang.fees")

NOTICE_ISSUED = "notice.issued"
NOTICE_TEMPLATE = "yiwang-notice-issued"
PAYABLES_PAGE = "pages/payables/index"


@dataclass
class NoticeMessages:
    vault: PiiVault
    messages: dict[str, Messages]

    async def send(self, payload: dict[str, Any]) -> None:
        notice = await PaymentNotice.get_or_none(id=payload["notice_id"])
        if notice is None or notice.status != "UNPAID":
            return  # paid (or gone) before we got to it: nothing to tell
        # The citizen's hash may be under another lookup key than the notice's (rotation).
        id_number = self.vault.decrypt("id_number", notice.payer_id_number_enc)
        citizen = await Citizen.filter(
            id_number_hash__in=self.vault.lookup_hashes("id_number", id_number), verified=True
        ).first()
        if citizen is None:
            return  # nobody with this ID number has a verified account yet
        account = (
            await ChannelAccount.filter(citizen_id=citizen.id)
            .order_by("-last_login_at", "-id")
            .first()
        )
        messages = self.messages.get(account.channel) if account else None
        if account is None or messages is None:
            return
        agency = await Agency.get(id=notice.agency_id)  # type: ignore[attr-defined]
        try:
            await messages.send(
                OutboundMessage(
                    subject=account.subject,
                    template_id=NOTICE_TEMPLATE,
                    data={
                        "agency": agency.name[:20],
                        "amount": f"{notice.total_fen // 100}.{notice.total_fen % 100:02d}元",
                        "due_date": notice.due_date.isoformat(),
                    },
                    page=PAYABLES_PAGE,
                )
            )
        except ChannelRejected as exc:
            log.info("notice message not accepted by %s: %s", account.channel, exc)
