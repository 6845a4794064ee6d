"""Telling the resident about every step, on the channel they last acted from (idempotent:
the outbox may run it twice; a duplicate notice is harmless, a lost one is not)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from app.cases.models import Case, CaseStep
from app.identity.models import ChannelAccount
from channels.base import ChannelRejected, Messages, OutboundMessage
from infra import clock

log = logging.getLogger("yiwang.cases")

CASE_TEMPLATE = "yiwang-case-progress"
STATUS_WORDS = {
    "submitted": "已提交",
    "accepted": "已受理",
    "returned": "需补正材料",
    "approved": "已审核通过",
    "rejected": "不予受理/不予许可",
    "completed": "已办结",
}


@dataclass
class CaseNotices:
    messages: dict[str, Messages]

    async def send(self, payload: dict[str, Any]) -> None:
        case = await Case.get_or_none(id=payload["case_id"])
        step = await CaseStep.get_or_none(id=payload["step_id"])
        if case is None or step is None:
            return
        account = await ChannelAccount.get_or_none(id=case.notify_account_id)
        messages = self.messages.get(account.channel) if account else None
        if account is None or messages is None:
            return
        data = {
            "case_no": case.case_no,
            "item_name": case.item_name,
            "status": STATUS_WORDS.get(step.to_status, step.to_status),
            "at": step.at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        }
        if step.note:
            data["note"] = step.note[:60]
        if case.express_no and step.to_status == "completed":
            data["express_no"] = case.express_no
        try:
            await messages.send(
                OutboundMessage(
                    subject=account.subject,
                    template_id=CASE_TEMPLATE,
                    data=data,
                    page=f"pages/case/index?case_no={case.case_no}",
                )
            )
        except ChannelRejected as exc:
            log.info("case notice not accepted by %s: %s", account.channel, exc)
