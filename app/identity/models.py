from __future__ import annotations

from typing import Any, ClassVar

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from app.identity.legal.states import LEGAL_PERSON
from infra.transitions import Transitions


class Citizen(Model):
    """One person behind every channel login (一次注册、全省漫游).

    Name, ID number and phone are stored encrypted (``*_enc``), found by keyed hash
    (``*_hash``), and shown only masked (``*_masked``).
    """

    id = fields.UUIDField(primary_key=True)
    verified = fields.BooleanField(default=False)
    name_enc = fields.TextField(null=True)
    name_masked = fields.CharField(max_length=32, null=True)
    id_number_enc = fields.TextField(null=True)
    id_number_hash = fields.CharField(max_length=64, null=True, unique=True)
    id_number_masked = fields.CharField(max_length=24, null=True)
    phone_enc = fields.TextField(null=True)
    phone_hash = fields.CharField(max_length=64, null=True, db_index=True)
    phone_masked = fields.CharField(max_length=16, null=True)
    # Set when this record was folded into another after both proved to be one person.
    merged_into_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()
    verified_at = fields.DatetimeField(null=True)
    # 长辈版: None until the citizen chooses (they are offered it at 60); follows them on
    # every channel. Text scale in percent of the mode's base size.
    elder_mode = fields.BooleanField(null=True)
    text_scale = fields.SmallIntField(default=100)
    preferences_at = fields.DatetimeField(null=True)

    class Meta:
        table = "citizen"


class ChannelAccount(Model):
    """A citizen's account on one channel: WeChat openid, Alipay user_id or app user_id."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=8)
    subject = fields.CharField(max_length=64)
    citizen: fields.ForeignKeyRelation[Citizen] = fields.ForeignKeyField(
        "identity.Citizen", related_name="channel_accounts", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField()
    last_login_at = fields.DatetimeField()

    class Meta:
        table = "channel_account"
        unique_together = (("channel", "subject"),)


class Session(Model):
    """A resident's sign-in. Only the SHA-256 of the token is stored."""

    token_hash = fields.CharField(max_length=64, primary_key=True)
    citizen: fields.ForeignKeyRelation[Citizen] = fields.ForeignKeyField(
        "identity.Citizen", related_name="sessions", on_delete=fields.CASCADE
    )
    account: fields.ForeignKeyRelation[ChannelAccount] = fields.ForeignKeyField(
        "identity.ChannelAccount", related_name="sessions", on_delete=fields.CASCADE
    )
    channel = fields.CharField(max_length=8)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "resident_session"


class LegalPerson(Model):
    """A legal person (法人) as the market-regulation registry reported it, keyed by its USCC.

    Enterprise names are public. The legal representative is personal data: found by the
    keyed hash of the ID number (the same hash as ``Citizen.id_number_hash``, so no account
    is needed yet), the name encrypted and shown masked.
    """

    transitions: ClassVar[Transitions] = LEGAL_PERSON

    id = fields.BigIntField(primary_key=True)
    uscc = fields.CharField(max_length=18, unique=True)
    name = fields.CharField(max_length=128)
    status = fields.CharField(max_length=16, default="active")
    representative_name_enc = fields.TextField()
    representative_name_masked = fields.CharField(max_length=32)
    representative_id_number_enc = fields.TextField()
    representative_id_number_hash = fields.CharField(max_length=64, db_index=True)
    representative_id_number_masked = fields.CharField(max_length=24)
    # Keyed hash of the last record received: a record sent twice changes nothing.
    fingerprint = fields.CharField(max_length=64)
    registry_agency_id = fields.BigIntField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    deregistered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "legal_person"
        constraints = (
            CheckConstraint(
                check="status IN ('active', 'deregistered')", name="legal_person_status_known"
            ),
            CheckConstraint(
                check="(status = 'deregistered') = (deregistered_at IS NOT NULL)",
                name="legal_person_deregistered_consistent",
            ),
        )


class LegalPersonAgent(Model):
    """An agent (经办人) the legal representative authorised to act for the legal person.

    The agent is matched by the keyed hash of the ID number, so a person may be authorised
    before they ever sign in. Rows are never deleted: revoking stamps who and when.
    """

    id = fields.BigIntField(primary_key=True)
    legal_person: fields.ForeignKeyRelation[LegalPerson] = fields.ForeignKeyField(
        "identity.LegalPerson", related_name="agents", on_delete=fields.RESTRICT
    )
    agent_name_enc = fields.TextField()
    agent_name_masked = fields.CharField(max_length=32)
    agent_id_number_hash = fields.CharField(max_length=64, db_index=True)
    agent_id_number_masked = fields.CharField(max_length=24)
    # Last Shanghai day the authorisation holds; none means until revoked.
    expires_on = fields.DateField(null=True)
    granted_by_citizen_id = fields.UUIDField()
    granted_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    # None with revoked_at set: revoked by the registry's change (new representative, 注销).
    revoked_by_citizen_id = fields.UUIDField(null=True)
    revoked_reason = fields.CharField(max_length=24, null=True)

    class Meta:
        table = "legal_person_agent"
        constraints = (
            CheckConstraint(
                check="(revoked_at IS NULL) = (revoked_reason IS NULL)",
                name="legal_person_agent_revocation_complete",
            ),
        )


class LegalPersonEvent(Model):
    """The audit trail of a legal person: registry changes and every grant and revocation.

    Append-only and written in the transaction of the change. ``details`` holds masked
    values only.
    """

    id = fields.BigIntField(primary_key=True)
    legal_person_id = fields.BigIntField(db_index=True)
    action = fields.CharField(max_length=24)
    # registry (agency id) | citizen (citizen id)
    actor_type = fields.CharField(max_length=12)
    actor_ref = fields.CharField(max_length=40)
    details: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    at = fields.DatetimeField()

    class Meta:
        table = "legal_person_event"
