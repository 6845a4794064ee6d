from __future__ import annotations

from typing import Any, ClassVar

from tortoise import fields
from tortoise.models import Model

from infra.transitions import Transitions

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"

# A failed attempt keeps an event pending (or, the last one, dead); a handled one is done.
OUTBOX_EVENT = Transitions.of(
    "outbox event", {PENDING: {PENDING, DELIVERED, DEAD}, DELIVERED: set(), DEAD: set()}
)


class OutboxEvent(Model):
    transitions: ClassVar[Transitions] = OUTBOX_EVENT

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=64)
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField()
    # Set when the same consequence must never be recorded twice (e.g. "receipt for order 7").
    dedupe_key = fields.CharField(max_length=160, null=True, unique=True)
    status = fields.CharField(max_length=16, default=PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    # The worker slot holding the lease (host, instance, slot number): a process restarted in
    # the slot gives back what its dead predecessor held instead of waiting out the lease.
    leased_by = fields.CharField(max_length=160, null=True)

    class Meta:
        table = "outbox_event"
        indexes = (("status", "next_attempt_at"),)
