from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Agency(Model):
    """A traffic-police system, a fee-issuing department or a hospital that calls our API."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=40, unique=True)
    # The HMAC secret must be usable to check signatures, so it is encrypted, not hashed.
    secret_enc = fields.TextField()
    name = fields.CharField(max_length=128)
    kind = fields.CharField(max_length=16)
    # Where payment results and status callbacks are delivered (signed, retried).
    webhook_url = fields.CharField(max_length=512, null=True)
    region_code = fields.CharField(max_length=6, null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "agency"
