"""Vehicles, drivers and violations as the traffic police send them, and residents' proofs.

VINs and driving licence numbers are personal data: stored encrypted (``*_enc``), found by
keyed hash (``*_hash``) and shown only masked. The ownership proofs (the VIN tail, the file
number) are kept only as keyed hashes: they are compared, never shown.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

UNDECIDED = "undecided"
DECIDED = "decided"
UNPAID = "unpaid"
PAID = "paid"
PAID_ONLINE = "online"
PAID_AT_BANK = "bank"


class Vehicle(Model):
    id = fields.BigIntField(primary_key=True)
    # GA 24.7 plate type code and the canonical GA 36 plate number (浙A12345).
    plate_type = fields.CharField(max_length=2)
    plate_no = fields.CharField(max_length=16)
    vin_enc = fields.TextField()
    vin_hash = fields.CharField(max_length=64, db_index=True)
    vin_tail_hash = fields.CharField(max_length=64)
    vin_masked = fields.CharField(max_length=17)
    agency = fields.ForeignKeyField(
        "agency.Agency", related_name="vehicles", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "violation_vehicle"
        unique_together = (("plate_type", "plate_no"),)


class Driver(Model):
    id = fields.BigIntField(primary_key=True)
    licence_no_enc = fields.TextField()
    licence_no_hash = fields.CharField(max_length=64, unique=True)
    licence_no_masked = fields.CharField(max_length=24)
    file_no_hash = fields.CharField(max_length=64)
    agency = fields.ForeignKeyField(
        "agency.Agency", related_name="drivers", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "violation_driver"


class Violation(Model):
    id = fields.BigIntField(primary_key=True)
    # The traffic police's own id: the key of the agency upsert.
    violation_id = fields.CharField(max_length=64, unique=True)
    agency = fields.ForeignKeyField(
        "agency.Agency", related_name="violations", on_delete=fields.RESTRICT
    )
    vehicle = fields.ForeignKeyField(
        "violations.Vehicle", related_name="violations", on_delete=fields.RESTRICT
    )
    driver = fields.ForeignKeyField(
        "violations.Driver", related_name="violations", null=True, on_delete=fields.RESTRICT
    )
    occurred_at = fields.DatetimeField()
    place = fields.CharField(max_length=256)
    behavior = fields.CharField(max_length=256)
    points = fields.SmallIntField()
    fine_fen = fields.BigIntField()
    decision_no = fields.CharField(max_length=32, null=True, unique=True)
    decided_at = fields.DatetimeField(null=True)
    handling_status = fields.CharField(max_length=16, default=UNDECIDED)
    payment_status = fields.CharField(max_length=16, default=UNPAID)
    paid_at = fields.DatetimeField(null=True)
    paid_via = fields.CharField(max_length=8, null=True)
    order_id = fields.BigIntField(null=True)
    # SHA-256 of the last record the agency sent: the same record again changes nothing.
    fingerprint = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "violation"
        constraints = (
            CheckConstraint(check="fine_fen >= 0", name="violation_fine_not_negative"),
            CheckConstraint(check="points BETWEEN 0 AND 12", name="violation_points_range"),
            CheckConstraint(
                check="(handling_status = 'undecided' AND decision_no IS NULL) OR "
                "(handling_status = 'decided' AND decision_no IS NOT NULL "
                "AND decided_at IS NOT NULL)",
                name="violation_decision_consistent",
            ),
            CheckConstraint(
                check="(payment_status = 'unpaid' AND paid_at IS NULL) OR "
                "(payment_status = 'paid' AND paid_at IS NOT NULL "
                "AND handling_status = 'decided')",
                name="violation_payment_consistent",
            ),
        )


class VehicleAccess(Model):
    """A citizen proved they own this vehicle, and bound puts it among my vehicles."""

    id = fields.BigIntField(primary_key=True)
    citizen = fields.ForeignKeyField(
        "identity.Citizen", related_name="vehicle_accesses", on_delete=fields.CASCADE
    )
    vehicle = fields.ForeignKeyField(
        "violations.Vehicle", related_name="accesses", on_delete=fields.CASCADE
    )
    # The channel account that proved it: new-violation notices go there.
    account_id = fields.BigIntField()
    channel = fields.CharField(max_length=8)
    bound = fields.BooleanField(default=False)
    proven_at = fields.DatetimeField()
    bound_at = fields.DatetimeField(null=True)

    class Meta:
        table = "violation_vehicle_access"
        unique_together = (("citizen", "vehicle"),)


class DriverAccess(Model):
    """A citizen proved they hold this driving licence (licence number + file number)."""

    id = fields.BigIntField(primary_key=True)
    citizen = fields.ForeignKeyField(
        "identity.Citizen", related_name="driver_accesses", on_delete=fields.CASCADE
    )
    driver = fields.ForeignKeyField(
        "violations.Driver", related_name="accesses", on_delete=fields.CASCADE
    )
    proven_at = fields.DatetimeField()

    class Meta:
        table = "violation_driver_access"
        unique_together = (("citizen", "driver"),)
