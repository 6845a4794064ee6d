"""Running wechatpayv3 calls: off the event loop, under a timeout, answers as JSON.

The library hands back ``(status, text)`` and raises a bare Exception when an answer's
signature does not verify. Here 2xx becomes the parsed body, 5xx/429 and transport
failures ChannelUnavailable, other 4xx ChannelRejected with WeChat's own ``code``, and an
unverifiable answer ChannelRejected with the reason KeyRingCore recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests

from channels.base import ChannelRejected, ChannelUnavailable, run_blocking
from channels.wechat.v3.client import KeyRingCore

TRANSIENT_CODES = frozenset({"SYSTEM_ERROR", "FREQUENCY_LIMITED", "BANK_ERROR"})


def _error(status: int, text: str) -> Exception:
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = {}
    code = str(parsed.get("code", status)) if isinstance(parsed, dict) else str(status)
    message = parsed.get("message", "") if isinstance(parsed, dict) else ""
    summary = f"WeChat Pay v3 refused ({status}): {code} {message}".strip()
    if status >= 500 or status == 429 or code in TRANSIENT_CODES:
        return ChannelUnavailable(summary, channel_code=code)
    return ChannelRejected(summary, channel_code=code)


async def call_v3(
    core: KeyRingCore, func: Callable[[], tuple[int, Any]], *, timeout: float
) -> tuple[int, Any]:
    """``(status, body)`` of a 2xx answer whose signature verified; raises otherwise."""

    def guarded() -> tuple[int, Any]:
        try:
            return func()
        except (requests.RequestException, OSError) as exc:
            raise ChannelUnavailable(f"WeChat Pay v3 unreachable: {exc!r}") from exc
        except Exception as exc:
            if str(exc) == "failed to verify the signature":
                raise ChannelRejected(
                    f"untrustworthy WeChat Pay v3 answer: {core.last_refusal}"
                ) from exc
            raise

    status, body = await run_blocking(guarded, timeout=timeout)
    if not 200 <= status < 300:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        raise _error(status, text)
    return status, body


def json_object(body: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise ChannelRejected("WeChat Pay v3 answered with something other than JSON") from exc
    if not isinstance(parsed, dict):
        raise ChannelRejected("WeChat Pay v3 answered with something other than an object")
    return parsed
