"""Scheduled payment work: expiry, lost notifications, pending refunds, daily reconciliation.

The worker hands every job the process's services (``ctx["services"]``, built by the
composition root); these jobs use only the payment platform's parts of it, so this module
does not import the root back.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from infra import clock

log = logging.getLogger("yiwang.payments.jobs")


async def expire_orders(ctx: dict[str, Any]) -> int:
    services = ctx["services"]
    expired: int = await services.settlement.expire_due()
    return expired


async def query_paying_orders(ctx: dict[str, Any]) -> int:
    services = ctx["services"]
    minutes = services.settings.paying_query_after_minutes
    settled: int = await services.settlement.poll_paying(older_than=timedelta(minutes=minutes))
    return settled


async def query_paying_after_outage(ctx: dict[str, Any]) -> int:
    """Every order still PAYING, asked about at once: run when PostgreSQL or Redis is back,
    because notifications refused while it was down come again only on the channel's
    schedule (Alipay's first retry is 4 minutes later)."""
    services = ctx["services"]
    settled: int = await services.settlement.query_all_paying(started_before=clock.now())
    log.info("after an outage, %d orders still PAYING were found paid at the channel", settled)
    return settled


async def query_pending_refunds(ctx: dict[str, Any]) -> int:
    services = ctx["services"]
    confirmed: int = await services.refunds.poll_pending(older_than=timedelta(minutes=1))
    return confirmed


async def reconcile_yesterday(ctx: dict[str, Any]) -> int:
    """Each channel's bill for yesterday (Shanghai), once the channels have published it."""
    services = ctx["services"]
    day = clock.shanghai_date() - timedelta(days=1)
    open_issues = 0
    for channel in services.channels.pay:
        try:
            report = await services.reconciler.run(channel, day)
        except Exception:
            log.exception("reconciliation of %s for %s failed", channel, day)
            continue
        open_issues += len(report.open_findings)
    return open_issues
