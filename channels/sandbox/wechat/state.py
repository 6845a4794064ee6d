"""What the WeChat sandbox remembers: tokens, face checks, messages, trades and refunds.

Everything is in this process's memory (see channels/sandbox/app.py). The shapes follow
the real platform closely enough that the adapters see the same answers they would in
production: one trade per ``out_trade_no``, refunds keyed by ``out_refund_no``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime

ACCESS_TOKEN_TTL_SECONDS = 7200
VERIFY_RESULT_TTL_SECONDS = 1800


@dataclass
class FaceCheck:
    openid: str
    identify_time: int
    expires_at: float
    validate_data: str


@dataclass
class SentMessage:
    touser: str
    template_id: str
    page: str | None
    data: dict[str, object]
    sent_at: float


@dataclass
class Refund:
    out_refund_no: str
    refund_id: str
    refund_fee: int
    status: str  # PROCESSING | SUCCESS
    requested_at: datetime
    notify_url: str | None
    success_at: datetime | None = None


@dataclass
class Trade:
    """One unified order. ``request`` keeps the fields that must match on a retry."""

    out_trade_no: str
    prepay_id: str
    openid: str
    total_fee: int
    body: str
    notify_url: str
    trade_type: str
    request: dict[str, str]
    created_at: datetime
    time_expire: datetime | None
    state: str = "NOTPAY"  # NOTPAY | SUCCESS | CLOSED | REFUND
    transaction_id: str | None = None
    paid_at: datetime | None = None
    refunds: dict[str, Refund] = field(default_factory=dict)
    # "v2" (XML, MD5) or "v3" (JSON, RSA): how it was ordered, hence how it is notified.
    api: str = "v2"
    # A bill fault set by a test (POST /sandbox/wechat/bill-faults): the daily bill leaves the
    # payment out, or shows another amount, as a channel's bill sometimes does.
    billed: bool = True
    billed_fee: int | None = None

    def refunded_fen(self) -> int:
        return sum(r.refund_fee for r in self.refunds.values())


@dataclass
class WeChatState:
    tokens: dict[str, float] = field(default_factory=dict)
    token_fetches: int = 0
    face_checks: dict[str, FaceCheck] = field(default_factory=dict)
    messages: list[SentMessage] = field(default_factory=list)
    trades: dict[str, Trade] = field(default_factory=dict)
    by_prepay_id: dict[str, Trade] = field(default_factory=dict)
    # v3 trade bills handed out by /v3/bill/tradebill, by download token.
    bill_files: dict[str, bytes] = field(default_factory=dict)
    # Signature probes sent to merchants and whether each was refused (non-2xx).
    probes: list[dict[str, object]] = field(default_factory=list)
    payments_notified: int = 0
    # Refund completions in flight; kept so the event loop does not drop them.
    background: set[asyncio.Task[None]] = field(default_factory=set)

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(48)
        self.tokens[token] = time.time() + ACCESS_TOKEN_TTL_SECONDS
        self.token_fetches += 1
        return token

    def token_valid(self, token: str | None) -> bool:
        expires = self.tokens.get(token or "")
        return expires is not None and expires > time.time()

    def add_trade(self, trade: Trade) -> None:
        self.trades[trade.out_trade_no] = trade
        self.by_prepay_id[trade.prepay_id] = trade

    def find_refund(self, out_refund_no: str) -> tuple[Trade, Refund] | None:
        for trade in self.trades.values():
            refund = trade.refunds.get(out_refund_no)
            if refund is not None:
                return trade, refund
        return None
