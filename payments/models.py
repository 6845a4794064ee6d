from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from infra.transitions import Transitions
from payments.lines import MoneyLine
from payments.states import ORDER, REFUND, REVIEW


class Order(Model):
    """One order for one payable. ``order_no`` is the out_trade_no at every channel."""

    transitions: ClassVar[Transitions] = ORDER

    id = fields.BigIntField(primary_key=True)
    order_no = fields.CharField(max_length=32, unique=True)
    # identity.Citizen: payments does not import the identity room, so typed as any model.
    citizen: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "identity.Citizen", related_name="orders", on_delete=fields.RESTRICT
    )
    payable_type = fields.CharField(max_length=16)
    payable_ref = fields.CharField(max_length=64)
    # "type:ref" while the order is open: the unique key lets one open order exist per payable.
    open_key = fields.CharField(max_length=96, null=True, unique=True)
    # "type:ref" once paid: a payable is paid by at most one order.
    paid_key = fields.CharField(max_length=96, null=True, unique=True)
    status = fields.CharField(max_length=20, db_index=True)
    amount_fen = fields.BigIntField()
    # Refunds requested or done; guarded so it never exceeds amount_fen.
    refunded_fen = fields.BigIntField(default=0)
    description = fields.CharField(max_length=128)
    agency_id = fields.BigIntField(null=True)
    agency_name = fields.CharField(max_length=128)
    payer_name_enc = fields.TextField()
    region_code = fields.CharField(max_length=6)
    channel = fields.CharField(max_length=8, null=True)
    channel_trade_no = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    payment_started_at = fields.DatetimeField(null=True, db_index=True)
    expires_at = fields.DatetimeField(db_index=True)
    paid_at = fields.DatetimeField(null=True, db_index=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_order"
        indexes = (("payable_type", "payable_ref"),)
        constraints = (
            CheckConstraint(check="amount_fen > 0", name="order_amount_positive"),
            CheckConstraint(
                check="refunded_fen >= 0 AND refunded_fen <= amount_fen",
                name="order_refunds_within_amount",
            ),
        )


class OrderLine(MoneyLine):
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "payments.Order", related_name="lines", on_delete=fields.CASCADE
    )

    class Meta:
        table = "payment_order_line"
        unique_together = (("order", "position"),)


class ChannelTrade(Model):
    """A trade opened at one channel for an order (a resident may switch channels)."""

    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "payments.Order", related_name="trades", on_delete=fields.CASCADE
    )
    channel = fields.CharField(max_length=8)
    channel_trade_no = fields.CharField(max_length=64, null=True)
    started_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_channel_trade"
        unique_together = (("order", "channel"),)


class Notification(Model):
    """Every inbound channel notification, raw, written before it is acted on. Append-only."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=8)
    kind = fields.CharField(max_length=8)  # "payment" or "refund"
    body = fields.TextField()
    content_type = fields.CharField(max_length=128)
    # The request headers as JSON: v3's signature, timestamp, nonce and key serial.
    headers = fields.TextField(default="")
    received_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "payment_notification"


class NotificationOutcome(Model):
    """What we did with a notification (a separate row keeps the raw log append-only)."""

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "payments.Notification", related_name="outcomes", on_delete=fields.RESTRICT
    )
    outcome = fields.CharField(max_length=32)
    order_no = fields.CharField(max_length=32, null=True, db_index=True)
    detail = fields.TextField(default="")
    decided_at = fields.DatetimeField()

    class Meta:
        table = "payment_notification_outcome"


class Refund(Model):
    transitions: ClassVar[Transitions] = REFUND

    id = fields.BigIntField(primary_key=True)
    refund_no = fields.CharField(max_length=32, unique=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "payments.Order", related_name="refunds", on_delete=fields.RESTRICT
    )
    channel = fields.CharField(max_length=8)
    amount_fen = fields.BigIntField()
    reason = fields.CharField(max_length=256)
    requested_by = fields.CharField(max_length=64)
    status = fields.CharField(max_length=8, db_index=True)
    channel_refund_no = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()
    settled_at = fields.DatetimeField(null=True)
    failure = fields.TextField(null=True)
    # The operator's Idempotency-Key: a retried request finds this refund instead of making
    # a second one. Unique per order, NULL for refunds that domains ask for.
    request_key = fields.CharField(max_length=64, null=True)
    # Set when this refund returns money from the refund-review queue: that money was never
    # part of the order's accepted payment, so it moves neither refunded_fen nor the status.
    review: fields.ForeignKeyNullableRelation[RefundReview] = fields.ForeignKeyField(
        "payments.RefundReview", related_name="refunds", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "payment_refund"
        unique_together = (("order", "request_key"),)
        constraints = (CheckConstraint(check="amount_fen > 0", name="refund_amount_positive"),)


class RefundReview(Model):
    """Money that arrived for an order we could not accept (closed, or already paid).

    Nothing is lost: an operator refunds it or settles it by hand from this queue.
    """

    transitions: ClassVar[Transitions] = REVIEW

    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "payments.Order", related_name="reviews", on_delete=fields.RESTRICT
    )
    channel = fields.CharField(max_length=8)
    channel_trade_no = fields.CharField(max_length=64)
    amount_fen = fields.BigIntField()
    reason = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    # payments.states.ReviewStatus, moved only through REVIEW_TRANSITIONS.
    status = fields.CharField(max_length=16, default="OPEN", db_index=True)
    # "refund" or "settled_offline", with who decided it, when, and their note (resolution).
    action = fields.CharField(max_length=16, null=True)
    resolved_by = fields.CharField(max_length=64, null=True)
    decided_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    resolution = fields.TextField(null=True)
    # Why the last refund attempt failed (the review is open again).
    failure = fields.TextField(null=True)

    class Meta:
        table = "payment_refund_review"
        unique_together = (("channel", "channel_trade_no"),)
        constraints = (
            CheckConstraint(
                check="status IN ('OPEN', 'REFUNDING', 'REFUNDED', 'SETTLED_OFFLINE')",
                name="refund_review_status_known",
            ),
        )


class ReconciliationRun(Model):
    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=8)
    bill_date = fields.DateField()
    bill_lines = fields.IntField()
    matched = fields.IntField()
    fixed = fields.IntField()
    open_issues = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "payment_reconciliation_run"


class ReconciliationIssue(Model):
    id = fields.BigIntField(primary_key=True)
    run: fields.ForeignKeyRelation[ReconciliationRun] = fields.ForeignKeyField(
        "payments.ReconciliationRun", related_name="issues", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    order_no = fields.CharField(max_length=32)
    detail = fields.TextField()
    fixed = fields.BooleanField(default=False)

    class Meta:
        table = "payment_reconciliation_issue"
