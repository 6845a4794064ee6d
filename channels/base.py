"""The seams between Yiwang's domains and the channels (WeChat, Alipay, the provincial app).

Domains and ``payments`` depend on these protocols and result types only. Each adapter in
``channels/<name>/`` implements them with the channel's real SDK (or, for the provincial
app, its documented HTTP protocol). SDK calls are synchronous, so adapters run them with
:func:`run_blocking`, off the event loop and under a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol, TypeVar

Channel = Literal["wechat", "alipay", "app"]
CHANNELS: tuple[Channel, ...] = ("wechat", "alipay", "app")

T = TypeVar("T")


class ChannelError(Exception):
    """Base of every failure an adapter reports; ``reason`` is a short stable token."""

    reason = "CHANNEL_ERROR"

    def __init__(self, message: str, *, channel_code: str | None = None) -> None:
        super().__init__(message)
        self.channel_code = channel_code


class ChannelRejected(ChannelError):
    """The channel answered and said no (invalid code, business error, bad request)."""

    reason = "CHANNEL_REJECTED"


class ChannelUnavailable(ChannelError):
    """The channel did not answer in time, or answered with a transport/server failure."""

    reason = "CHANNEL_UNAVAILABLE"


class NotificationRejected(ChannelError):
    """An inbound notification failed verification (signature, app id, merchant id, format)."""

    reason = "NOTIFICATION_REJECTED"


async def run_blocking(func: Callable[[], T], *, timeout: float) -> T:
    """Run a synchronous SDK call in a thread so the event loop never blocks on the network."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(func), timeout=timeout)
    except TimeoutError as exc:
        raise ChannelUnavailable(f"channel call timed out after {timeout}s") from exc


# ---------------------------------------------------------------------------- identity


@dataclass(frozen=True)
class RealName:
    """A name and ID number that a channel's own real-name source vouches for."""

    name: str
    id_number: str
    phone: str | None = None


@dataclass(frozen=True)
class ChannelLogin:
    """Who a login code belongs to on one channel.

    ``subject`` is the channel's stable user id (WeChat openid, Alipay user_id, app
    user_id). ``real_name`` is set only when the channel itself certifies the person.
    """

    channel: Channel
    subject: str
    real_name: RealName | None = None
    unionid: str | None = None


class Login(Protocol):
    channel: Channel

    async def login(self, code: str) -> ChannelLogin:
        """Exchange a client-side code/ticket for the channel identity.

        Raises ChannelRejected for unknown, expired or reused codes and forged tickets.
        """
        ...


@dataclass(frozen=True)
class FaceVerification:
    """The result of WeChat city-service face verification (实名核身).

    WeChat returns MD5 digests of the verified name and ID number; ``real_name`` is
    filled only when the city-service source also discloses them in clear.
    """

    openid: str
    passed: bool
    id_number_md5: str
    name_md5: str
    real_name: RealName | None = None


class FaceVerifier(Protocol):
    async def identify(self, verify_result: str) -> FaceVerification:
        """Raises ChannelRejected for an unknown or expired verify_result."""
        ...


# ---------------------------------------------------------------------------- payments

TradeStatus = Literal["NOTPAY", "PAYING", "SUCCESS", "CLOSED", "REFUNDED", "NOT_FOUND"]
RefundStatus = Literal["PROCESSING", "SUCCESS", "FAILED", "NOT_FOUND"]


@dataclass(frozen=True)
class PayRequest:
    out_trade_no: str
    amount_fen: int
    description: str
    payer_subject: str
    notify_url: str
    expires_at: datetime
    client_ip: str = "127.0.0.1"
    return_url: str | None = None
    # "jsapi" (mini-program) or "wap" (app H5 cashier); adapters ignore modes they lack.
    mode: str = "jsapi"


@dataclass(frozen=True)
class PayStart:
    """What the client needs to pay (``channel_params``) and the channel's trade id."""

    channel_params: dict[str, str]
    channel_trade_no: str | None = None


@dataclass(frozen=True)
class TradeState:
    out_trade_no: str
    status: TradeStatus
    amount_fen: int | None = None
    channel_trade_no: str | None = None
    paid_at: datetime | None = None


@dataclass(frozen=True)
class PaymentNotification:
    """A verified payment notification. ``raw`` is the body exactly as received."""

    out_trade_no: str
    channel_trade_no: str
    amount_fen: int
    paid: bool
    paid_at: datetime | None
    raw: str
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundRequest:
    out_trade_no: str
    out_refund_no: str
    refund_fen: int
    total_fen: int
    reason: str
    notify_url: str | None = None


@dataclass(frozen=True)
class RefundState:
    out_trade_no: str
    out_refund_no: str
    status: RefundStatus
    refund_fen: int | None = None
    channel_refund_no: str | None = None


@dataclass(frozen=True)
class Acknowledgement:
    """The exact body a channel expects back from a notify URL."""

    body: str
    content_type: str
    # WeChat Pay v3 wants 204 with no body; the other channels 200 with theirs.
    status: int = 200


@dataclass(frozen=True)
class BillLine:
    """One line of a channel's daily bill, normalised to fen."""

    kind: Literal["payment", "refund"]
    out_trade_no: str
    channel_trade_no: str
    amount_fen: int
    status: str
    occurred_at: datetime
    out_refund_no: str | None = None


class Pay(Protocol):
    channel: Channel

    async def start(self, request: PayRequest) -> PayStart: ...

    async def query(self, out_trade_no: str) -> TradeState: ...

    async def close(self, out_trade_no: str) -> None: ...

    async def refund(self, request: RefundRequest) -> RefundState: ...

    async def query_refund(self, out_trade_no: str, out_refund_no: str) -> RefundState: ...

    def parse_payment_notification(
        self, body: bytes, content_type: str, *, headers: Mapping[str, str] | None = None
    ) -> PaymentNotification:
        """Verify signature, app id, merchant id and format. Raises NotificationRejected.

        ``headers`` are the request's (lower-cased names); channels that sign in headers
        (the provincial app) need them, the others ignore them.
        """
        ...

    def parse_refund_notification(
        self, body: bytes, content_type: str, *, headers: Mapping[str, str] | None = None
    ) -> RefundState:
        """Verify and decode a refund notification. Raises NotificationRejected."""
        ...

    def ack_success(self) -> Acknowledgement: ...

    def ack_failure(self, message: str) -> Acknowledgement: ...

    async def download_bill(self, day: date) -> list[BillLine]: ...


class ReplayGuard(Protocol):
    """Refuses a notification whose signed nonce was already seen within its freshness
    window (WeChat Pay v3). Called only after the signature verified, so a forger cannot
    burn a genuine notification's nonce."""

    async def first_sight(self, headers: Mapping[str, str]) -> bool: ...


# ---------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class OutboundMessage:
    """A notice to one person on their channel (subscribe / template / app message)."""

    subject: str
    template_id: str
    data: dict[str, str]
    page: str | None = None


class Messages(Protocol):
    channel: Channel

    async def send(self, message: OutboundMessage) -> None:
        """Raises ChannelRejected (e.g. the person has not subscribed) or ChannelUnavailable."""
        ...
