"""Signed webhooks to agencies: payment results and status changes, sent from the outbox.

The body is signed exactly like the inbound agency API, with the agency's own secret:
``X-Signature = hex(HMAC-SHA256(secret, POST\\nPATH\\nTIMESTAMP\\nSHA256_HEX(body)))`` beside
``X-Agency-Key`` and ``X-Timestamp``, so an agency verifies us with the code it signs with.
``X-Yiwang-Delivery`` is stable across retries: the agency dedupes on it. Anything but a
2xx raises, so the outbox retries with backoff.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.agency.models import Agency
from app.agency.signing import signature
from infra import clock
from infra.pii import PiiVault

DEFAULT_TIMEOUT_SECONDS = 10.0


class WebhookFailed(RuntimeError):
    """The agency did not take the delivery; the outbox will try again."""


def _signed_path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


async def send_signed(
    agency: Agency,
    vault: PiiVault,
    *,
    event: str,
    delivery_id: str,
    body: dict[str, Any],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    transport: httpx.AsyncBaseTransport | None = None,
    client: httpx.AsyncClient | None = None,
) -> int:
    """POST ``body`` to the agency's webhook URL, signed; returns the 2xx status.

    ``client``: the process's shared outbound client (kept connections, one TLS context). A
    client made per call costs tens of milliseconds of CPU, which at tens of payments a
    second was most of what the worker spent.
    """
    if not agency.webhook_url:
        raise WebhookFailed(f"agency {agency.key} has no webhook_url configured")
    secret = vault.decrypt("agency_secret", agency.secret_enc)
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Agency-Key": agency.key,
        "X-Timestamp": timestamp,
        "X-Signature": signature(secret, "POST", _signed_path(agency.webhook_url), timestamp, raw),
        "X-Yiwang-Event": event,
        "X-Yiwang-Delivery": delivery_id,
    }
    try:
        if client is not None:
            response = await client.post(
                agency.webhook_url, content=raw, headers=headers, timeout=timeout
            )
        else:
            async with httpx.AsyncClient(timeout=timeout, transport=transport) as one_off:
                response = await one_off.post(agency.webhook_url, content=raw, headers=headers)
    except httpx.HTTPError as exc:
        raise WebhookFailed(f"{event} to {agency.key}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise WebhookFailed(f"{event} to {agency.key}: HTTP {response.status_code}")
    return response.status_code
