from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from app.fees.states import NOTICE
from infra.transitions import Transitions
from payments.lines import MoneyLine


class FeeItem(Model):
    """An item an agency may collect (执收项目), with its standard or allowed range in fen."""

    id = fields.BigIntField(primary_key=True)
    agency = fields.ForeignKeyField(
        "agency.Agency", related_name="fee_items", on_delete=fields.RESTRICT
    )
    item_code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=128)
    # The 3-digit kind printed in payment codes (e.g. 103 exam fees, 201 tuition).
    kind_code = fields.CharField(max_length=3)
    standard_fen = fields.BigIntField(null=True)
    min_fen = fields.BigIntField(null=True)
    max_fen = fields.BigIntField(null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "fee_item"
        unique_together = (("agency", "item_code"),)


class PaymentNotice(Model):
    """A demand to pay (缴款通知书), paid by its 20-digit payment code."""

    transitions: ClassVar[Transitions] = NOTICE

    id = fields.BigIntField(primary_key=True)
    payment_code = fields.CharField(max_length=20, unique=True)
    agency = fields.ForeignKeyField(
        "agency.Agency", related_name="notices", on_delete=fields.RESTRICT
    )
    # The agency's own reference: a retried issue with the same one returns the same code.
    notice_no = fields.CharField(max_length=64, null=True)
    payer_name_enc = fields.TextField()
    payer_name_masked = fields.CharField(max_length=32)
    payer_id_number_enc = fields.TextField()
    payer_id_number_hash = fields.CharField(max_length=64, db_index=True)
    payer_id_number_masked = fields.CharField(max_length=24)
    total_fen = fields.BigIntField()
    due_date = fields.DateField()
    status = fields.CharField(max_length=12, db_index=True)
    paid_order_no = fields.CharField(max_length=32, null=True)
    paid_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "payment_notice"
        unique_together = (("agency", "notice_no"),)
        constraints = (CheckConstraint(check="total_fen > 0", name="notice_total_positive"),)


class NoticeLine(MoneyLine):
    notice = fields.ForeignKeyField(
        "fees.PaymentNotice", related_name="lines", on_delete=fields.CASCADE
    )

    class Meta:
        table = "payment_notice_line"
        unique_together = (("notice", "position"),)
