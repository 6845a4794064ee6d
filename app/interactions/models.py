"""12345 tickets: categories (Open311 services) and the consultations, complaints and reports."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from app.interactions.states import TICKET
from infra.transitions import Transitions


class Category(Model):
    """A 12345 category: an Open311 service that names the department it goes to."""

    code = fields.CharField(max_length=32, primary_key=True)
    name = fields.CharField(max_length=64)
    description = fields.TextField(default="")
    group = fields.CharField(max_length=32, default="")
    keywords = fields.CharField(max_length=128, default="")
    department_code = fields.CharField(max_length=32)
    # The Open311 service definition: typed attributes a request of this category answers
    # (app/interactions/attributes.py checks them), and when it last changed (discovery's
    # changeset tells clients to refresh what they cached).
    attributes = fields.JSONField(default=list, db_default=[])
    changed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "interaction_category"


class Open311Client(Model):
    """An outside tool that files 12345 requests through Open311 with its own api_key."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64)
    # SHA-256 of the api_key: the key is shown once, at creation, and never stored.
    key_hash = fields.CharField(max_length=64, unique=True)
    key_prefix = fields.CharField(max_length=12)  # to recognise a key in a support call
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "interaction_open311_client"


class Ticket(Model):
    """One consultation, complaint or report. Status moves only through states.TRANSITIONS.

    Filed either by a resident (citizen_id, account_id) or by an Open311 client (client_id,
    with the requester's contact sealed in ``requester``), never both. A client-filed
    ticket has no resident behind it, so nobody can reopen or rate it.
    """

    transitions: ClassVar[Transitions] = TICKET

    id = fields.BigIntField(primary_key=True)
    citizen_id = fields.UUIDField(db_index=True, null=True)
    account_id = fields.BigIntField(null=True)
    client_id = fields.BigIntField(null=True, db_index=True)
    # {"enc": AES-GCM sealed JSON of the Open311 requester fields, "masked": {...}}
    requester = fields.JSONField(null=True)
    channel = fields.CharField(max_length=8)
    kind = fields.CharField(max_length=12)  # consult | complaint | report
    category_code = fields.CharField(max_length=32, db_index=True)
    department_code = fields.CharField(max_length=32, db_index=True)
    text = fields.TextField()
    address = fields.CharField(max_length=200, null=True)
    lat = fields.FloatField(null=True)
    long = fields.FloatField(null=True)
    photo_ids = fields.JSONField(default=list)
    # A link the Open311 client gave (stored as given, never fetched by us).
    media_url = fields.CharField(max_length=500, null=True)
    # Answers to the category's attributes at filing, each with the attribute's description
    # and, for lists, the chosen names: the department reads them as they were asked.
    attributes = fields.JSONField(default=list, db_default=[])
    status = fields.CharField(max_length=10, db_index=True)
    reply = fields.TextField(null=True)
    replied_at = fields.DatetimeField(null=True)
    reopen_count = fields.SmallIntField(default=0)
    rating = fields.SmallIntField(null=True)
    created_at = fields.DatetimeField(db_index=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "interaction_ticket"
        constraints = (
            CheckConstraint(
                check="status IN ('dispatched', 'replied', 'reopened', 'closed')",
                name="interaction_ticket_status",
            ),
            CheckConstraint(
                check="kind IN ('consult', 'complaint', 'report')",
                name="interaction_ticket_kind",
            ),
            CheckConstraint(
                check="rating IS NULL OR rating BETWEEN 1 AND 5", name="interaction_rating_1_5"
            ),
            CheckConstraint(
                check="(citizen_id IS NOT NULL AND account_id IS NOT NULL AND client_id IS NULL)"
                " OR (citizen_id IS NULL AND account_id IS NULL AND client_id IS NOT NULL)",
                name="interaction_ticket_one_filer",
            ),
        )
