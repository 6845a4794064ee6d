"""Opening orders from quotes, and starting a payment at a channel."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from channels.base import Channel, ChannelRejected, ChannelUnavailable, Pay, PayRequest
from infra import clock, metrics
from infra.pii import PiiVault
from payments.drafts import OrderDraft
from payments.errors import (
    AlreadyPaid,
    OrderClosed,
    OrderNotFound,
    OrderNotPayable,
    PaymentChannelFailed,
)
from payments.lines import numbered
from payments.models import ChannelTrade, Order, OrderLine
from payments.settle import Settlement
from payments.states import OPEN, OrderStatus
from payments.transitions import move_order


def new_order_no() -> str:
    """``YW`` + Shanghai time to the second + 6 random digits: 22 characters, alphanumeric."""
    stamp = clock.shanghai_now().strftime("%Y%m%d%H%M%S")
    return f"YW{stamp}{secrets.randbelow(10**6):06d}"


@dataclass(frozen=True)
class NotifyUrls:
    wechat_pay: str
    wechat_refund: str
    alipay: str
    app: str

    @classmethod
    def under(cls, base_url: str, *, wechat_api: str = "v3") -> NotifyUrls:
        """WeChat Pay v3 and v2 notify at different paths, in different formats."""
        base = base_url.rstrip("/")
        wechat = f"{base}/notify/wechat/v3" if wechat_api == "v3" else f"{base}/notify/wechat"
        return cls(
            f"{wechat}/pay",
            f"{wechat}/refund",
            f"{base}/notify/alipay",
            f"{base}/notify/app",
        )

    def payment(self, channel: Channel) -> str:
        return {"wechat": self.wechat_pay, "alipay": self.alipay, "app": self.app}[channel]

    def refund(self, channel: Channel) -> str:
        return {"wechat": self.wechat_refund, "alipay": self.alipay, "app": self.app}[channel]


@dataclass
class Orders:
    vault: PiiVault
    pay: Mapping[Channel, Pay]
    notify_urls: NotifyUrls
    ttl: timedelta = timedelta(minutes=30)
    # Where a cashier page sends the resident back when done ({order_no} filled in): the
    # provincial app's cashier and Alipay's wap page link to it; WeChat pays in place.
    return_page: str | None = None

    async def open(self, citizen_id: uuid.UUID, draft: OrderDraft) -> Order:
        """The open order for this payable, or a new one. A paid payable raises AlreadyPaid."""
        for _ in range(3):
            if await Order.filter(paid_key=draft.key).exists():
                raise AlreadyPaid()
            existing = await Order.filter(open_key=draft.key).first()
            if existing is not None:
                if existing.expires_at > clock.now():
                    if existing.citizen_id != citizen_id:  # type: ignore[attr-defined]
                        raise OrderNotPayable("Someone else is paying this right now.")
                    return existing
                await Settlement(self.pay).close(existing, reason="expired")
                continue
            try:
                return await self._create(citizen_id, draft)
            except IntegrityError:
                continue  # a concurrent request opened it first: read it on the next pass
        raise OrderNotPayable("The order could not be opened; try again.")

    async def _create(self, citizen_id: uuid.UUID, draft: OrderDraft) -> Order:
        if draft.amount_fen <= 0 or not draft.lines:
            raise OrderNotPayable("Nothing to pay.")
        now = clock.now()
        expires_at = now + self.ttl
        if draft.pay_before is not None:
            expires_at = min(expires_at, draft.pay_before)
        if expires_at <= now:
            raise OrderClosed("The time to pay for this has passed.")
        async with in_transaction() as tx:
            order = await Order.create(
                order_no=new_order_no(),
                citizen_id=citizen_id,
                payable_type=draft.payable_type,
                payable_ref=draft.payable_ref,
                open_key=draft.key,
                status=OrderStatus.CREATED.value,
                amount_fen=draft.amount_fen,
                description=draft.description[:128],
                agency_id=draft.agency_id,
                agency_name=draft.agency_name,
                payer_name_enc=self.vault.encrypt("payer_name", draft.payer_name),
                region_code=draft.region_code,
                created_at=now,
                updated_at=now,
                expires_at=expires_at,
                using_db=tx,
            )
            await OrderLine.bulk_create(
                numbered(OrderLine, draft.lines, order_id=order.id), using_db=tx
            )
        metrics.ORDERS.labels("created", "none").inc()
        return order

    async def owned(self, order_no: str, citizen_id: uuid.UUID) -> Order:
        """The citizen's own order; someone else's looks exactly like a missing one."""
        order = await Order.get_or_none(order_no=order_no, citizen_id=citizen_id)
        if order is None:
            raise OrderNotFound()
        return order

    async def start_payment(
        self, order: Order, channel: Channel, payer_subject: str, *, mode: str = "jsapi"
    ) -> dict[str, str]:
        """Open (or reopen) the trade at ``channel`` and return what the client pays with."""
        status = OrderStatus(order.status)
        if status not in OPEN:
            if status == OrderStatus.CLOSED:
                raise OrderClosed()
            raise AlreadyPaid()
        if order.expires_at <= clock.now():
            await Settlement(self.pay).close(order, reason="expired")
            raise OrderClosed()
        await self._leave_other_channels(order, channel)
        request = PayRequest(
            out_trade_no=order.order_no,
            amount_fen=order.amount_fen,
            description=order.description,
            payer_subject=payer_subject,
            notify_url=self.notify_urls.payment(channel),
            expires_at=order.expires_at,
            mode=mode,
            return_url=(
                self.return_page.format(order_no=order.order_no) if self.return_page else None
            ),
        )
        try:
            started = await self.pay[channel].start(request)
        except ChannelRejected as exc:
            raise PaymentChannelFailed(str(exc), channel_code=exc.channel_code) from exc
        except ChannelUnavailable as exc:
            raise PaymentChannelFailed("The payment channel did not answer in time.") from exc
        await self._record_trade(order, channel, started.channel_trade_no)
        return started.channel_params

    async def _leave_other_channels(self, order: Order, channel: Channel) -> None:
        """Close trades at other channels first, so one order can never be paid twice."""
        others = await ChannelTrade.filter(order_id=order.id, closed_at=None).exclude(
            channel=channel
        )
        settlement = Settlement(self.pay)
        for trade in others:
            if not await settlement.close_trade(order, trade):
                fresh = await Order.get(id=order.id)
                if OrderStatus(fresh.status) not in OPEN:
                    raise AlreadyPaid()
                raise PaymentChannelFailed("The previous payment could not be cancelled yet.")

    async def _record_trade(self, order: Order, channel: Channel, trade_no: str | None) -> None:
        now = clock.now()
        trade = await ChannelTrade.get_or_none(order_id=order.id, channel=channel)
        if trade is None:
            with contextlib.suppress(IntegrityError):
                await ChannelTrade.create(
                    order_id=order.id, channel=channel, channel_trade_no=trade_no, started_at=now
                )
        else:
            await ChannelTrade.filter(id=trade.id).update(
                channel_trade_no=trade_no or trade.channel_trade_no, closed_at=None
            )
        if OrderStatus(order.status) == OrderStatus.CREATED:
            await move_order(order, OrderStatus.PAYING, channel=channel, payment_started_at=now)
        else:
            await Order.filter(id=order.id, status=OrderStatus.PAYING.value).update(channel=channel)
            order.channel = channel
