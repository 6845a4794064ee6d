"""The cashier's money rules, shared by the API, the cashier page and the control endpoint.

Kept apart from the HTTP handlers so "the person pays" means the same thing whether a test
drives it through the control API or a browser presses the pay button.
"""

from __future__ import annotations

from sanic import Sanic

from channels.sandbox import clock
from channels.sandbox.provincial import notify
from channels.sandbox.provincial.state import CashierOrder, ProvincialState, Refund


class CashierError(Exception):
    """A business refusal with the stable code and HTTP status the spec gives it."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def pay(
    app: Sanic,
    order: CashierOrder,
    *,
    notify_merchant: bool = True,
    copies: int = 1,
    force: bool = False,
) -> None:
    """The person pays. ``force`` pays a CLOSED order, as when a payment races the close."""
    if order.status == "CLOSED" and not force:
        raise CashierError("ORDER_CLOSED", "the order is closed or expired")
    if order.status not in ("CREATED", "CLOSED"):
        raise CashierError("ORDER_ALREADY_PAID", "the order is already paid")
    order.status = "PAID"
    order.paid_at = clock.now().replace(microsecond=0)
    if notify_merchant:
        notify.deliver(
            app,
            url=order.notify_url,
            out_trade_no=order.out_trade_no,
            event=notify.payment_event(order),
            copies=copies,
        )


def refund(
    app: Sanic,
    order: CashierOrder,
    *,
    out_refund_no: str,
    refund_fen: int,
    reason: str,
    notify_url: str | None,
) -> Refund:
    """Refund part or all of what is left; succeeds at once and notifies the merchant."""
    state: ProvincialState = app.ctx.provincial
    existing = state.refunds.get(out_refund_no)
    if existing is not None:
        if existing.order is not order or existing.refund_fen != refund_fen:
            raise CashierError(
                "REFUND_CONFLICT", "out_refund_no was already used with other parameters"
            )
        return existing
    if order.status not in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED"):
        raise CashierError("ORDER_NOT_PAID", "only a paid order can be refunded")
    left = order.amount_fen - order.refunded_fen
    if refund_fen > left:
        raise CashierError(
            "REFUND_EXCEEDS_BALANCE", f"refund_fen {refund_fen} exceeds the {left} fen left"
        )
    created = Refund(
        refund_no=state.next_no("RF"),
        out_refund_no=out_refund_no,
        order=order,
        refund_fen=refund_fen,
        reason=reason,
        notify_url=notify_url or order.notify_url,
        refunded_at=clock.now().replace(microsecond=0),
    )
    state.refunds[out_refund_no] = created
    order.refunded_fen += refund_fen
    order.status = "REFUNDED" if order.refunded_fen == order.amount_fen else "PARTIALLY_REFUNDED"
    notify.deliver(
        app,
        url=created.notify_url,
        out_trade_no=order.out_trade_no,
        event=notify.refund_event(created),
    )
    return created
