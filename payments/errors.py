"""Payment refusals. ``payments`` sits below ``app``, so its errors carry their own stable
codes; each derives from the base that says what kind of refusal it is, and
app/http/errors.py maps those bases to statuses like app.errors' ones."""

from __future__ import annotations

from typing import Any


class PaymentError(Exception):
    code = "PAYMENT_ERROR"
    message = "The payment could not be completed."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details


# The kind of each refusal, as in app.errors; app/http/errors.py maps these to statuses.


class PaymentNotFound(PaymentError):
    code = "PAYMENT_NOT_FOUND"
    message = "No such payment record."


class PaymentConflict(PaymentError):
    code = "PAYMENT_CONFLICT"
    message = "This conflicts with the payment's current state."


class PaymentInputRefused(PaymentError):
    code = "PAYMENT_INPUT_REFUSED"
    message = "Some payment fields are missing or malformed."


class PaymentUnavailable(PaymentError):
    code = "PAYMENT_UNAVAILABLE"
    message = "The payment service is unavailable. Try again shortly."


class OrderNotFound(PaymentNotFound):
    code = "ORDER_NOT_FOUND"
    message = "No such order."


class AlreadyPaid(PaymentConflict):
    code = "ALREADY_PAID"
    message = "This has already been paid."


class OrderClosed(PaymentConflict):
    code = "ORDER_CLOSED"
    message = "This order has expired or was closed. Create a new one to pay."


class OrderNotPayable(PaymentConflict):
    code = "ORDER_NOT_PAYABLE"
    message = "This order cannot be paid in its current state."


class ChannelAccountMissing(PaymentInputRefused):
    code = "CHANNEL_ACCOUNT_MISSING"
    message = "Sign in on this channel first to pay with it."


class RefundExceedsBalance(PaymentConflict):
    code = "REFUND_EXCEEDS_BALANCE"
    message = "The refund is larger than what is left to refund."


class OrderNotRefundable(PaymentConflict):
    code = "ORDER_NOT_REFUNDABLE"
    message = "Only paid orders can be refunded."


class PaymentChannelFailed(PaymentError):
    code = "PAYMENT_CHANNEL_FAILED"
    message = "The payment channel refused the request."


class NotifySignatureInvalid(PaymentError):
    code = "NOTIFY_SIGNATURE_INVALID"
    message = "The notification failed verification."


class NotifyUnknownOrder(PaymentNotFound):
    code = "NOTIFY_UNKNOWN_ORDER"
    message = "The notification names an order we do not have."


class NotifyAmountMismatch(PaymentError):
    code = "NOTIFY_AMOUNT_MISMATCH"
    message = "The notified amount differs from the order's."


class PaymentChannelUnavailable(PaymentUnavailable):
    code = "PAYMENT_CHANNEL_UNAVAILABLE"
    message = "The payment channel did not answer. Nothing was changed; try again shortly."


class IdempotencyKeyMissing(PaymentInputRefused):
    code = "IDEMPOTENCY_KEY_REQUIRED"
    message = (
        "Send an Idempotency-Key (8-64 letters, digits, '_' or '-') so that a retry of this "
        "request cannot refund twice."
    )


class IdempotencyKeyInvalid(PaymentInputRefused):
    code = "IDEMPOTENCY_KEY_INVALID"
    message = "An Idempotency-Key is 8-64 letters, digits, '_' or '-'."


class IdempotencyKeyReused(PaymentConflict):
    code = "IDEMPOTENCY_KEY_REUSED"
    message = (
        "This Idempotency-Key was already used for a different refund of this order. "
        "Use a new key for a new refund."
    )


class RefundReviewNotFound(PaymentNotFound):
    code = "REFUND_REVIEW_NOT_FOUND"
    message = "No such refund review."


class RefundReviewResolved(PaymentConflict):
    code = "REFUND_REVIEW_RESOLVED"
    message = "This refund review was already resolved another way."


class RefundReviewTradeMismatch(PaymentConflict):
    code = "REFUND_REVIEW_TRADE_MISMATCH"
    message = (
        "The channel does not show this trade as paid under the order number, so it cannot "
        "be refunded from here. Settle it offline."
    )
