"""The outbox kind ``agency.webhook``: one signed delivery to an agency, retried until 2xx.

Any room that must tell an agency something (a notice was paid, a fine was paid) emits
``{"agency_id", "event", "data"}`` under this kind in its own transaction. The delivery id
is derived from the outbox event, so it stays the same across retries and the agency can
drop repeats.
"""

from __future__ import annotations

from typing import Any

import httpx

from app.agency.models import Agency
from app.agency.webhooks import send_signed
from infra.outbox import EventHandler
from infra.pii import PiiVault

AGENCY_WEBHOOK = "agency.webhook"


def agency_webhook_handler(
    vault: PiiVault, client: httpx.AsyncClient | None = None
) -> EventHandler:
    """``client`` is the process's shared outbound client (see ``send_signed``)."""

    async def deliver(payload: dict[str, Any]) -> None:
        agency = await Agency.get(id=int(payload["agency_id"]))
        await send_signed(
            agency,
            vault,
            event=str(payload["event"]),
            delivery_id=f"yw-evt-{payload['_event_id']}",
            body={"event": payload["event"], "data": payload["data"]},
            client=client,
        )

    return deliver
