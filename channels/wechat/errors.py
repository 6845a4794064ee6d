"""One place that turns wechatpy's and the network's failures into the channel seam's.

WeChat answers "no" in two ways: JSON ``errcode`` (raised by wechatpy as
WeChatClientException) and Pay XML ``return_code``/``err_code`` (WeChatPayException). A
few of those codes mean "busy, try again"; they and every transport failure become
ChannelUnavailable, everything else ChannelRejected with WeChat's own code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import redis
import requests
from wechatpy.exceptions import WeChatClientException, WeChatPayException

from channels.base import ChannelRejected, ChannelUnavailable, run_blocking

T = TypeVar("T")

# errcode -1 is "system busy"; SYSTEMERROR and BIZERR_NEED_RETRY ask the merchant to retry.
TRANSIENT_CODES = frozenset({"-1", "SYSTEMERROR", "BIZERR_NEED_RETRY"})


def pay_error_code(exc: WeChatPayException) -> str:
    """WeChat's own code for a Pay failure: err_code if any, else the return_msg."""
    return str(exc.errcode or exc.return_msg or exc.return_code or "FAIL")


def translate(exc: Exception) -> Exception:
    if isinstance(exc, WeChatPayException):
        if exc.return_code is None:
            return ChannelUnavailable(f"WeChat Pay HTTP failure: {exc.response!r}")
        code = pay_error_code(exc)
        message = f"WeChat Pay refused: {code} {exc.errmsg or exc.return_msg or ''}".strip()
        if code in TRANSIENT_CODES:
            return ChannelUnavailable(message, channel_code=code)
        return ChannelRejected(message, channel_code=code)
    if isinstance(exc, WeChatClientException):
        if exc.errcode is None:
            return ChannelUnavailable(f"WeChat HTTP failure: {exc.response!r}")
        code = str(exc.errcode)
        message = f"WeChat refused: {code} {exc.errmsg}"
        if code in TRANSIENT_CODES:
            return ChannelUnavailable(message, channel_code=code)
        return ChannelRejected(message, channel_code=code)
    if isinstance(exc, requests.RequestException | redis.RedisError | OSError):
        return ChannelUnavailable(f"WeChat unreachable: {exc!r}")
    return exc


async def call_wechat(func: Callable[[], T], *, timeout: float) -> T:
    """Run a blocking SDK call off the loop and translate what it raises."""
    try:
        return await run_blocking(func, timeout=timeout)
    except (WeChatClientException, requests.RequestException, redis.RedisError, OSError) as exc:
        raise translate(exc) from exc
