from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


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
