"""Daily reconciliation (对账): our orders and refunds against one channel's bill for a day.

The report lists four kinds of discrepancy: payments missing on our side, payments missing
at the channel, amount mismatches and status mismatches. What is safe to fix is fixed the
only safe way — ask the channel, then transition — and everything else stays on the list
for operators.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from channels.base import BillLine, Channel, ChannelRejected, ChannelUnavailable, Pay
from infra import clock
from payments.models import Order, ReconciliationIssue, ReconciliationRun, Refund
from payments.refunds import Refunds
from payments.settle import Outcome, PaidEvidence, Settlement
from payments.states import OPEN, OrderStatus, RefundStatus

log = logging.getLogger("yiwang.payments.reconcile")

MISSING_OURS = "missing_on_our_side"
MISSING_CHANNEL = "missing_at_channel"
AMOUNT_MISMATCH = "amount_mismatch"
STATUS_MISMATCH = "status_mismatch"


@dataclass
class Finding:
    kind: str
    order_no: str
    detail: str
    fixed: bool = False


@dataclass
class Report:
    channel: Channel
    bill_date: date
    bill_lines: int = 0
    matched: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if not f.fixed]

    def as_dict(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "date": self.bill_date.isoformat(),
            "bill_lines": self.bill_lines,
            "matched": self.matched,
            "fixed": sum(f.fixed for f in self.findings),
            "discrepancies": [
                {"kind": f.kind, "order_no": f.order_no, "detail": f.detail, "fixed": f.fixed}
                for f in self.findings
            ],
        }


def shanghai_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=clock.SHANGHAI)
    return start, start + timedelta(days=1)


@dataclass
class Reconciler:
    pay: Mapping[Channel, Pay]
    settlement: Settlement
    refunds: Refunds

    async def run(self, channel: Channel, day: date) -> Report:
        lines = await self.pay[channel].download_bill(day)
        report = Report(channel, day, bill_lines=len(lines))
        payments = {line.out_trade_no: line for line in lines if line.kind == "payment"}
        refunds = {line.out_refund_no: line for line in lines if line.kind == "refund"}
        await self._payments(report, channel, day, payments)
        await self._refunds(report, channel, day, refunds)
        await self._store(report)
        return report

    async def _payments(
        self, report: Report, channel: Channel, day: date, billed: dict[str, BillLine]
    ) -> None:
        start, end = shanghai_day_bounds(day)
        ours = {
            o.order_no: o
            for o in await Order.filter(channel=channel, paid_at__gte=start, paid_at__lt=end)
        }
        for order_no, line in billed.items():
            order = ours.get(order_no) or await Order.get_or_none(order_no=order_no)
            if order is None:
                report.findings.append(Finding(MISSING_OURS, order_no, "no such order here"))
                continue
            if OrderStatus(order.status) in OPEN or OrderStatus(order.status) == OrderStatus.CLOSED:
                report.findings.append(await self._settle_from_channel(channel, order, line))
                continue
            if line.amount_fen != order.amount_fen:
                report.findings.append(
                    Finding(
                        AMOUNT_MISMATCH,
                        order_no,
                        f"bill {line.amount_fen} fen, order {order.amount_fen} fen",
                    )
                )
                continue
            report.matched += 1
        for order_no, order in ours.items():
            if order_no not in billed:
                report.findings.append(
                    Finding(
                        MISSING_CHANNEL,
                        order_no,
                        f"PAID here ({order.amount_fen} fen), not in the bill",
                    )
                )

    async def _settle_from_channel(self, channel: Channel, order: Order, line: BillLine) -> Finding:
        """A billed payment we do not show as paid: confirm with the channel, then settle."""
        status = order.status
        try:
            state = await self.pay[channel].query(order.order_no)
        except (ChannelRejected, ChannelUnavailable) as exc:
            return Finding(MISSING_OURS, order.order_no, f"{status} here; query failed: {exc}")
        if state.status not in ("SUCCESS", "REFUNDED"):
            return Finding(
                STATUS_MISMATCH,
                order.order_no,
                f"billed as paid, channel now says {state.status}, {status} here",
            )
        outcome = await self.settlement.paid(
            order,
            PaidEvidence(
                channel,
                state.channel_trade_no or line.channel_trade_no,
                state.amount_fen if state.amount_fen is not None else line.amount_fen,
                state.paid_at or line.occurred_at,
                "reconcile",
            ),
        )
        if outcome == Outcome.PAID:
            return Finding(MISSING_OURS, order.order_no, f"was {status}; settled as PAID", True)
        return Finding(
            STATUS_MISMATCH, order.order_no, f"was {status}; payment queued for refund review", True
        )

    async def _refunds(
        self, report: Report, channel: Channel, day: date, billed: dict[str | None, BillLine]
    ) -> None:
        start, end = shanghai_day_bounds(day)
        ours = {
            r.refund_no: r
            for r in await Refund.filter(
                channel=channel,
                status=RefundStatus.SUCCESS.value,
                settled_at__gte=start,
                settled_at__lt=end,
            )
        }
        for refund_no, line in billed.items():
            refund = ours.get(refund_no or "") or await Refund.get_or_none(
                refund_no=refund_no or ""
            )
            if refund is None:
                report.findings.append(
                    Finding(MISSING_OURS, line.out_trade_no, f"refund {refund_no} unknown here")
                )
                continue
            if refund.status == RefundStatus.PENDING.value:
                order = await Order.get(id=refund.order_id)  # type: ignore[attr-defined]
                try:
                    state = await self.pay[channel].query_refund(order.order_no, refund.refund_no)
                    result = await self.refunds.apply_channel_state(refund, state)
                except (ChannelRejected, ChannelUnavailable) as exc:
                    result = f"query failed: {exc}"
                report.findings.append(
                    Finding(
                        STATUS_MISMATCH,
                        order.order_no,
                        f"refund {refund.refund_no} pending here: {result}",
                        result == "success",
                    )
                )
                continue
            if line.amount_fen != refund.amount_fen:
                report.findings.append(
                    Finding(
                        AMOUNT_MISMATCH,
                        line.out_trade_no,
                        f"refund {refund_no}: bill {line.amount_fen}, ours {refund.amount_fen}",
                    )
                )
                continue
            report.matched += 1
        for refund_no in ours:
            if refund_no not in billed:
                report.findings.append(
                    Finding(MISSING_CHANNEL, refund_no, "refund SUCCESS here, not in the bill")
                )

    async def _store(self, report: Report) -> None:
        run = await ReconciliationRun.create(
            channel=report.channel,
            bill_date=report.bill_date,
            bill_lines=report.bill_lines,
            matched=report.matched,
            fixed=sum(f.fixed for f in report.findings),
            open_issues=len(report.open_findings),
            created_at=clock.now(),
        )
        for f in report.findings:
            await ReconciliationIssue.create(
                run_id=run.id, kind=f.kind, order_no=f.order_no, detail=f.detail, fixed=f.fixed
            )
        if report.open_findings:
            log.warning(
                "reconciliation %s %s: %d open discrepancies",
                report.channel,
                report.bill_date,
                len(report.open_findings),
            )
