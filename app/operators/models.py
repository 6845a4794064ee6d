"""Channel operators (platform staff and department staff), kept apart from residents.

Their own Tortoise app label ("operators"), their own tables and their own session tokens:
an operator token is never a resident token and the two stores never share a key.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model


class Operator(Model):
    id = fields.BigIntField(primary_key=True)
    username = fields.CharField(max_length=32, unique=True)
    display_name = fields.CharField(max_length=32)
    password_hash = fields.CharField(max_length=256)  # argon2id, PHC string
    role = fields.CharField(max_length=24)
    # Department codes and region codes this operator may act in (empty for platform admins).
    departments: fields.JSONField[list[str]] = fields.JSONField(default=list)
    regions: fields.JSONField[list[str]] = fields.JSONField(default=list)
    failed_logins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "operator"
        constraints = (
            CheckConstraint(
                check="role IN ('platform_admin', 'department_operator', 'reviewer')",
                name="operator_role_known",
            ),
        )


class OperatorSession(Model):
    """An operator sign-in. Only the SHA-256 of the token is stored."""

    token_hash = fields.CharField(max_length=64, primary_key=True)
    operator: fields.ForeignKeyRelation[Operator] = fields.ForeignKeyField(
        "operators.Operator", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "operator_session"
