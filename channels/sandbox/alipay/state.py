"""What the sandbox's Alipay remembers: trades, refunds, access tokens, bills and messages.

Everything lives in this one process's memory. Handlers never await between reading and
changing a trade, so each change is atomic on the event loop.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from channels.sandbox.alipay import clock
from channels.sandbox.people import Person

ACCESS_TOKEN_SECONDS = 1_296_000  # Alipay's 15 days
REFRESH_TOKEN_SECONDS = 2_592_000
BILL_URL_SECONDS = 30

WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
TRADE_SUCCESS = "TRADE_SUCCESS"
TRADE_CLOSED = "TRADE_CLOSED"
TRADE_FINISHED = "TRADE_FINISHED"


@dataclass
class Refund:
    out_request_no: str
    refund_fen: int
    reason: str
    refunded_at: datetime


@dataclass
class Trade:
    out_trade_no: str
    trade_no: str
    total_fen: int
    subject: str
    product_code: str
    buyer_id: str | None
    notify_url: str | None
    return_url: str | None
    created_at: datetime
    expires_at: datetime | None
    status: str = WAIT_BUYER_PAY
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    refunds: dict[str, Refund] = field(default_factory=dict)

    @property
    def refunded_fen(self) -> int:
        return sum(refund.refund_fen for refund in self.refunds.values())

    def expire_if_due(self, moment: datetime) -> None:
        """Alipay closes an unpaid trade on its own once ``time_expire`` has passed."""
        if self.status == WAIT_BUYER_PAY and self.expires_at and moment >= self.expires_at:
            self.status = TRADE_CLOSED
            self.closed_at = self.expires_at


@dataclass
class AccessToken:
    person: Person
    expires_at: datetime


@dataclass
class SentMessage:
    to_user_id: str
    user_template_id: str
    page: str | None
    data: Any
    form_id: str | None
    sent_at: datetime


@dataclass
class AlipayState:
    trades: dict[str, Trade] = field(default_factory=dict)  # by out_trade_no
    by_trade_no: dict[str, Trade] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, Person] = field(default_factory=dict)
    bill_tokens: dict[str, tuple[date, datetime]] = field(default_factory=dict)
    messages: list[SentMessage] = field(default_factory=list)
    # WAP trades paid by nobody in particular get one stable anonymous buyer each.
    anonymous_buyers: dict[str, str] = field(default_factory=dict)
    # Certificate mode: Alipay's certificates reissued since start (by SN), the one that
    # signs answers now with its key (None: the credentials' own), and the SNs merchants
    # fetched with alipay.open.app.alipaycert.download.
    alipay_certs: dict[str, str] = field(default_factory=dict)
    signing_cert: tuple[str, str] | None = None
    cert_downloads: list[str] = field(default_factory=list)

    def new_trade(self, **fields: Any) -> Trade:
        created = clock.now()
        trade_no = created.strftime("%Y%m%d") + "2200" + _digits(16)
        trade = Trade(trade_no=trade_no, created_at=created, **fields)
        self.trades[trade.out_trade_no] = trade
        self.by_trade_no[trade_no] = trade
        return trade

    def find(self, *, out_trade_no: str | None = None, trade_no: str | None = None) -> Trade | None:
        trade = None
        if trade_no:
            trade = self.by_trade_no.get(trade_no)
            if trade and out_trade_no and trade.out_trade_no != out_trade_no:
                return None
        elif out_trade_no:
            trade = self.trades.get(out_trade_no)
        if trade is not None:
            trade.expire_if_due(clock.now())
        return trade

    def issue_access_token(self, person: Person) -> tuple[str, str]:
        access = "authusrB" + secrets.token_hex(16)
        refresh = "authusrB" + secrets.token_hex(16)
        expires = clock.now() + timedelta(seconds=ACCESS_TOKEN_SECONDS)
        self.access_tokens[access] = AccessToken(person, expires)
        self.refresh_tokens[refresh] = person
        return access, refresh

    def person_for_token(self, token: str) -> Person | None:
        entry = self.access_tokens.get(token)
        if entry is None or entry.expires_at <= clock.now():
            return None
        return entry.person

    def issue_bill_token(self, day: date) -> str:
        token = secrets.token_urlsafe(24)
        self.bill_tokens[token] = (day, clock.now() + timedelta(seconds=BILL_URL_SECONDS))
        return token

    def bill_day(self, token: str) -> date | None:
        entry = self.bill_tokens.get(token)
        if entry is None or entry[1] <= clock.now():
            return None
        return entry[0]

    def buyer_for(self, trade: Trade, requested: str | None) -> str:
        if trade.buyer_id:
            return trade.buyer_id
        if requested:
            return requested
        return self.anonymous_buyers.setdefault(trade.trade_no, "2088" + _digits(12))


def _digits(count: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(count))
