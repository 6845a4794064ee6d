from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from app.receipts.states import RECEIPT
from infra.transitions import Transitions
from payments.lines import MoneyLine


class ReceiptCounter(Model):
    """The last number taken under one receipt code.

    Locked FOR UPDATE in the transaction that inserts the receipt, so a number is taken and
    used atomically: a crash rolls both back, and no two receipts share a number.
    """

    code = fields.CharField(max_length=8, primary_key=True)
    last_number = fields.BigIntField(default=0)

    class Meta:
        table = "receipt_counter"
        constraints = (
            CheckConstraint(
                check="last_number >= 0 AND last_number <= 9999999999",
                name="receipt_counter_in_range",
            ),
        )


class Receipt(Model):
    """One fiscal e-receipt: blue (normal) for a paid order, or red-letter for a refund.

    ``source_key`` is ``order:<id>`` for the order's receipt and ``refund:<id>`` for a
    refund's red letter; its unique key makes a second issue for the same cause impossible.
    Red-letter amounts are negative, as printed.
    """

    transitions: ClassVar[Transitions] = RECEIPT

    id = fields.BigIntField(primary_key=True)
    receipt_no = fields.CharField(max_length=18, unique=True)
    code = fields.CharField(max_length=8)
    number = fields.BigIntField()
    check_code = fields.CharField(max_length=6)
    kind = fields.CharField(max_length=12)
    status = fields.CharField(max_length=8, db_index=True)
    source_key = fields.CharField(max_length=40, unique=True)
    order = fields.ForeignKeyField(
        "payments.Order", related_name="receipts", on_delete=fields.RESTRICT
    )
    citizen = fields.ForeignKeyField(
        "identity.Citizen", related_name="receipts", on_delete=fields.RESTRICT
    )
    # The blue receipt a red letter cancels (all or part of).
    original = fields.ForeignKeyField(
        "receipts.Receipt", related_name="red_letters", null=True, on_delete=fields.RESTRICT
    )
    amount_fen = fields.BigIntField()
    # Blue receipts: how much red letters have taken back so far.
    red_lettered_fen = fields.BigIntField(default=0)
    payer_name_enc = fields.TextField()
    payer_name_masked = fields.CharField(max_length=32)
    agency_name = fields.CharField(max_length=128)
    region_code = fields.CharField(max_length=6)
    channel = fields.CharField(max_length=8, null=True)
    description = fields.CharField(max_length=128)
    issued_at = fields.DatetimeField(db_index=True)
    issue_date = fields.DateField()
    key_id = fields.CharField(max_length=16)
    qr_payload = fields.CharField(max_length=255)
    rendered_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "receipt"
        unique_together = (("code", "number"),)
        indexes = (("citizen_id", "issued_at"),)
        constraints = (
            CheckConstraint(
                check="(kind = 'normal' AND amount_fen > 0 AND original_id IS NULL) OR "
                "(kind = 'red_letter' AND amount_fen < 0 AND original_id IS NOT NULL)",
                name="receipt_kind_amount",
            ),
            CheckConstraint(
                check="red_lettered_fen >= 0 AND (kind = 'red_letter' OR "
                "red_lettered_fen <= amount_fen)",
                name="receipt_red_letters_within_amount",
            ),
            CheckConstraint(check="number BETWEEN 1 AND 9999999999", name="receipt_number_range"),
            CheckConstraint(check="status IN ('ISSUED', 'VOIDED')", name="receipt_status_known"),
        )


class ReceiptLine(MoneyLine):
    receipt = fields.ForeignKeyField(
        "receipts.Receipt", related_name="lines", on_delete=fields.CASCADE
    )

    class Meta:
        table = "receipt_line"
        unique_together = (("receipt", "position"),)


class ReceiptFile(Model):
    """A rendering, made once and served from here (PNG, SVG, PDF).

    Stored in the database so every stateless instance serves the same bytes with no shared
    file system. The PDF names the payer in full, so it is sealed (AES-256-GCM) at rest.
    """

    id = fields.BigIntField(primary_key=True)
    receipt = fields.ForeignKeyField(
        "receipts.Receipt", related_name="files", on_delete=fields.CASCADE
    )
    fmt = fields.CharField(max_length=8)
    content = fields.BinaryField()
    sealed = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "receipt_file"
        unique_together = (("receipt", "fmt"),)
